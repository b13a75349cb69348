#include "screens.hpp"

namespace kiosk::ui::screens {

// Printing: progress, then where to sign (picture), or what went wrong.
void print(Painter& p) {
  progress_with_picture(p);
}

}  // namespace kiosk::ui::screens
