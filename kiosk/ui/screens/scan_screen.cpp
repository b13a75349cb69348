#include "screens.hpp"

namespace kiosk::ui::screens {

// How to place the sheet (picture), progress, or what went wrong.
void scan(Painter& p) {
  progress_with_picture(p);
}

}  // namespace kiosk::ui::screens
