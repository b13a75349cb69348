#include "screens.hpp"

namespace kiosk::ui::screens {

// Staff PIN: shown as stars, typed on the digit pad.
void staff_pin(Painter& p) {
  identity(p);
}

}  // namespace kiosk::ui::screens
