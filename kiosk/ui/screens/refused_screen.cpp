#include "screens.hpp"

namespace kiosk::ui::screens {

// Why this cannot be done, and a way to get help.
void refused(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
