#pragma once
#include "kiosk_ui/record.hpp"

namespace kiosk::ui {

// Colours of one theme. Every text/background pair has a contrast of at least 7:1
// (checked by the a11y tests, not assumed).
struct Theme {
  Rgb page_bg, text, error_text;
  Rgb band_bg;  // the decorative band in the top quarter
  Rgb choice_bg, choice_text, primary_bg, primary_text, button_border;
  Rgb nav_bg, nav_text;
  Rgb key_bg, key_text;
  Rgb field_bg, field_text, field_border;
  Rgb overlay_bg, overlay_text, shade;
  Rgb picture_sheet, picture_ink, picture_highlight;
};

const Theme& standard_theme();
const Theme& high_contrast_theme();

// WCAG 2 contrast ratio between two colours (1..21).
double contrast_ratio(Rgb a, Rgb b);

}  // namespace kiosk::ui
