#include "screens.hpp"

namespace kiosk::ui::screens {

// Talk to a person: phone number and help code.
void help(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
