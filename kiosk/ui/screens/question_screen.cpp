#include "screens.hpp"

namespace kiosk::ui::screens {

// One question per screen: yes/no and choices as big buttons, text and numbers on the
// on-screen keyboard with the field and its error message above it.
void question(Painter& p) {
  const auto& m = p.model();
  if (!m.input) {
    const float y = heading(p, kContentTop, kContentWidth);
    choices(p, y, kMargin, kContentWidth, 2);
    return;
  }
  if (m.input->keyboard == flow::Keyboard::Digits) {
    identity(p);
    return;
  }
  // Letters: step and question on top, the field with Next beside it, keys below.
  float y = heading(p, kContentTop, kContentWidth);
  const float field_w = m.choices.size() > 1 ? 900.0f : 1300.0f;
  input_field(p, kMargin, y, field_w);
  const float right = kMargin + field_w + kGap;
  const Theme& th = p.theme();
  const float w = (kDesignWidth - kMargin - right - kGap * static_cast<float>(m.choices.size() - 1)) /
                  static_cast<float>(m.choices.size());
  for (size_t i = 0; i < m.choices.size(); ++i) {
    const auto& c = m.choices[i];
    if (p.button(c.id, c.label, right + static_cast<float>(i) * (w + kGap), y, w, kKeyHeight, p.button_font(),
                 Role::Choice, c.primary ? th.primary_bg : th.choice_bg, c.primary ? th.primary_text : th.choice_text))
      p.intent(c.intent);
  }
  keyboard(p);
}

}  // namespace kiosk::ui::screens
