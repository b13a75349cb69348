#include <algorithm>
#include <cmath>

#include "kiosk_ui/theme.hpp"

namespace kiosk::ui {

const Theme& standard_theme() {
  static const Theme theme{
      /*page_bg*/ 0xFAF8F2,       /*text*/ 0x111111,         /*error_text*/ 0x9B0000,
      /*band_bg*/ 0xDCE8F2,
      /*choice_bg*/ 0x003A70,     /*choice_text*/ 0xFFFFFF,  /*primary_bg*/ 0x0B4F2A,
      /*primary_text*/ 0xFFFFFF,
      /*button_border*/ 0x111111,
      /*nav_bg*/ 0xE4E4E4,        /*nav_text*/ 0x111111,
      /*key_bg*/ 0xFFFFFF,        /*key_text*/ 0x111111,
      /*field_bg*/ 0xFFFFFF,      /*field_text*/ 0x111111,   /*field_border*/ 0x111111,
      /*overlay_bg*/ 0xFFFFFF,    /*overlay_text*/ 0x111111, /*shade*/ 0x444444,
      /*picture_sheet*/ 0xFFFFFF, /*picture_ink*/ 0x333333,  /*picture_highlight*/ 0xFFD400,
  };
  return theme;
}

const Theme& high_contrast_theme() {
  static const Theme theme{
      /*page_bg*/ 0x000000,       /*text*/ 0xFFFFFF,         /*error_text*/ 0xFFD400,
      /*band_bg*/ 0x000000,
      /*choice_bg*/ 0xFFFF00,     /*choice_text*/ 0x000000,  /*primary_bg*/ 0xFFFFFF,
      /*primary_text*/ 0x000000,
      /*button_border*/ 0xFFFFFF,
      /*nav_bg*/ 0x000000,        /*nav_text*/ 0xFFFFFF,
      /*key_bg*/ 0x000000,        /*key_text*/ 0xFFFFFF,
      /*field_bg*/ 0x000000,      /*field_text*/ 0xFFFFFF,   /*field_border*/ 0xFFFFFF,
      /*overlay_bg*/ 0x000000,    /*overlay_text*/ 0xFFFFFF, /*shade*/ 0x000000,
      /*picture_sheet*/ 0x000000, /*picture_ink*/ 0xFFFFFF,  /*picture_highlight*/ 0xFFFF00,
  };
  return theme;
}

namespace {
double channel(unsigned value) {
  const double c = value / 255.0;
  return c <= 0.04045 ? c / 12.92 : std::pow((c + 0.055) / 1.055, 2.4);
}
double luminance(Rgb rgb) {
  return 0.2126 * channel((rgb >> 16) & 0xFF) + 0.7152 * channel((rgb >> 8) & 0xFF) + 0.0722 * channel(rgb & 0xFF);
}
}  // namespace

double contrast_ratio(Rgb a, Rgb b) {
  const double la = luminance(a), lb = luminance(b);
  return (std::max(la, lb) + 0.05) / (std::min(la, lb) + 0.05);
}

}  // namespace kiosk::ui
