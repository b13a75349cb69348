#include "screens.hpp"

namespace kiosk::ui::screens {

// Who is it for? Me, or someone else.
void who(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
