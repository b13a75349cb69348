#include "screens.hpp"

namespace kiosk::ui::screens {

// Sending into the outbox: progress, or what went wrong.
// Text and choices on the left, the picture on the right.
void send(Painter& p) {
  const float width = 1040;
  const float y = heading(p, kContentTop, width);
  if (p.model().busy) p.busy_indicator(kMargin + 60, y + 70, 50);
  choices(p, p.model().busy ? y + 160 : y, kMargin, width, 1);
  p.picture("picture", p.model().picture, 1200, kContentTop, 640, 640);
}

}  // namespace kiosk::ui::screens
