#include "screens.hpp"

namespace kiosk::ui::screens {

// Staff sign-in: the staff number (when members exist), then the PIN shown as stars, both
// typed on the digit pad.
void staff_pin(Painter& p) {
  identity(p);
}

}  // namespace kiosk::ui::screens
