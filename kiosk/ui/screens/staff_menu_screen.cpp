#include "screens.hpp"

namespace kiosk::ui::screens {

// Staff mode menu.
void staff_menu(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
