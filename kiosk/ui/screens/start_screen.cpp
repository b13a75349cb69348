#include <algorithm>

#include "screens.hpp"

namespace kiosk::ui::screens {

// Welcome and language choice. The staff entrance sits in the top band, out of the way.
void start(Painter& p) {
  const float y = heading(p, kContentTop, kContentWidth);
  choices(p, std::max(y, 480.0f), kMargin, kContentWidth, 2);
  const Theme& th = p.theme();
  if (p.button("staff.open", p.model().staff, kDesignWidth - 24 - 220, 24, 220, kKeyHeight, p.fonts().nav, Role::Staff,
               th.nav_bg, th.nav_text))
    p.intent(flow::intent::OpenStaff{});
}

}  // namespace kiosk::ui::screens
