#include "screens.hpp"

namespace kiosk::ui::screens {

// Staff sign-in: the staff number (when members exist), then the PIN shown as stars, both
// typed on the digit pad. While the PIN is checked (on a worker) there is no button: the
// progress animation stands where "Unlock" was.
void staff_pin(Painter& p) {
  if (!p.model().busy) {
    identity(p);
    return;
  }
  const float width = kDigitPadLeft - kMargin - 40;
  float y = heading(p, kContentTop, width);
  input_field(p, kMargin, y, width);
  y += kKeyHeight + 8 + 2 * p.line_height(p.body_font()) + 24;
  p.busy_indicator(kMargin + 60, y + 50, 40);
  p.set_disabled(true);  // keys do nothing while the PIN is checked (the flow ignores them too)
  keyboard(p);
  p.set_disabled(false);
}

}  // namespace kiosk::ui::screens
