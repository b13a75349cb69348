#include "screens.hpp"

namespace kiosk::ui::screens {

// "This is what we read": one uncertain field at a time as a yes/no, then Send.
void review(Painter& p) {
  const bool picture = p.model().picture != flow::Picture::None;
  const float width = picture ? 1040 : kContentWidth;
  const float y = heading(p, kContentTop, width);
  choices(p, y, kMargin, width, picture ? 1 : 2);
  if (picture) p.picture("picture", p.model().picture, 1200, kContentTop, 640, 640);
}

}  // namespace kiosk::ui::screens
