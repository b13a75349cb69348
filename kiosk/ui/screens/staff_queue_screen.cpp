#include "screens.hpp"

namespace kiosk::ui::screens {

// Staff: one queued submission at a time (reference, form, status, attempts) with retry,
// cancel, reprint receipt and next.
void staff_queue(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
