#include "screens.hpp"

namespace kiosk::ui::screens {

// Sending into the outbox: progress, or what went wrong.
void send(Painter& p) {
  progress_with_picture(p);
}

}  // namespace kiosk::ui::screens
