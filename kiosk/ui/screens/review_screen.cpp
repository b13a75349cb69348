#include "screens.hpp"

namespace kiosk::ui::screens {

// "This is what we read": one uncertain field at a time as a yes/no, then Send. In staff
// review the field's area of the sheet is drawn beside the value read from it.
void review(Painter& p) {
  const auto& model = p.model();
  const bool picture = model.picture != flow::Picture::None;
  const bool crop = model.crop.has_value();
  const float width = picture || crop ? 1040 : kContentWidth;
  const float y = heading(p, kContentTop, width);
  choices(p, y, kMargin, width, picture || crop ? 1 : 2);
  if (picture) p.picture("picture", model.picture, 1200, kContentTop, 640, 640);
  if (crop) p.crop("crop", *model.crop, 1200, kContentTop, 640, 400);
}

}  // namespace kiosk::ui::screens
