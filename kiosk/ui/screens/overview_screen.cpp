#include <algorithm>

#include "screens.hpp"

namespace kiosk::ui::screens {

// "Se over svarene dine": a few answers at a time on the left, each question with its answer in
// plain words and "Endre" beside it; printing (and more answers) on the right, within reach.
void overview(Painter& p) {
  const auto& m = p.model();
  const Theme& th = p.theme();
  constexpr float kLeftWidth = 1140.0f;
  constexpr float kChangeWidth = 300.0f;
  constexpr float kTextWidth = kLeftWidth - kChangeWidth - 2 * kGap;
  float y = heading(p, kContentTop, kLeftWidth);
  for (size_t i = 0; i < m.rows.size(); ++i) {
    const auto& row = m.rows[i];
    const std::string id = "row." + std::to_string(i);
    float h = p.text(id + ".question", row.explain, kMargin, y, kTextWidth, p.body_font(), Role::Body, th.text);
    h += 4 + p.text(id + ".answer", row.value, kMargin, y + h + 4, kTextWidth, p.button_font(), Role::Fact, th.text);
    if (p.button(row.id, row.label, kMargin + kTextWidth + 2 * kGap, y, kChangeWidth, kKeyHeight, p.button_font(),
                 Role::Row, th.choice_bg, th.choice_text))
      p.intent(row.intent);
    y += std::max(h, kKeyHeight) + kGap;
  }
  const float right = kMargin + kLeftWidth + 4 * kGap;
  choices(p, kContentTop + 120, right, kDesignWidth - kMargin - right, 1);
}

}  // namespace kiosk::ui::screens
