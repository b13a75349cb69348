#include "screens.hpp"

namespace kiosk::ui::screens {

// The representative's own number, then the represented person's: digit pad on the right.
void identity(Painter& p) {
  const float width = kDigitPadLeft - kMargin - 40;
  float y = heading(p, kContentTop, width);
  input_field(p, kMargin, y, width);
  y += kKeyHeight + 8 + 2 * p.line_height(p.body_font()) + 24;
  choices(p, y, kMargin, width, 1);
  keyboard(p);
}

}  // namespace kiosk::ui::screens
