#include "screens.hpp"

namespace kiosk::ui::screens {

// Which form, when a task has more than one for this person.
void form_choice(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, y, kMargin, kContentWidth, 2);
}

}  // namespace kiosk::ui::screens
