#include "screens.hpp"

namespace kiosk::ui::screens {

// The form in one sentence: fill it in here or print it empty.
void form_intro(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
