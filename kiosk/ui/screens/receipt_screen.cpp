#include "screens.hpp"

namespace kiosk::ui::screens {

// The receipt: reference number, what happens next, and Done (which wipes the session).
void receipt(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  if (p.model().busy) p.busy_indicator(kDesignWidth - kMargin - 60, kContentTop + 60, 50);
  choices(p, y, kMargin, 860, 1);
}

}  // namespace kiosk::ui::screens
