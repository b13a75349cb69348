#include "screens.hpp"

namespace kiosk::ui::screens {

// Which kind of authority, one sentence each.
void who_kind(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
