#include "screens.hpp"

namespace kiosk::ui::screens {

// What do you want to do? Tasks from the catalogue, at most four at a time.
void task(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
