#include "screens.hpp"

namespace kiosk::ui::screens {

// Staff: one queued submission at a time (reference, form, status, attempts) with retry,
// cancel, reprint receipt and next; or the sheets held for review as a list of rows (form,
// when, values to check) to pick one from.
void staff_queue(Painter& p) {
  float y = heading(p, kContentTop, kContentWidth);
  const Theme& th = p.theme();
  for (const auto& row : p.model().rows) {
    if (p.button(row.id, row.label, kMargin, y, kContentWidth, kKeyHeight, p.button_font(), Role::Row, th.choice_bg,
                 th.choice_text))
      p.intent(row.intent);
    y += kKeyHeight + kGap;
  }
  if (!p.model().rows.empty()) y += kGap;
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
