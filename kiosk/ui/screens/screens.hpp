#pragma once
#include "kiosk_ui/renderer.hpp"

// One function per screen (one file each). A screen reads the model through the
// Painter and reports touches as intents; it holds no data and does no I/O.
namespace kiosk::ui::screens {

// Shared layout pieces (common.cpp).
float heading(Painter& p, float y, float width);                        // title, body, error; returns the next free y
float choices(Painter& p, float y, float x, float width, int columns);  // returns the next free y
void input_field(Painter& p, float x, float y, float w);
void keyboard(Painter& p);  // letters at the bottom, or the digit pad on the right
void nav_bar(Painter& p);
void inactivity_warning(Painter& p);
void band(Painter& p);
// Print, scan and send: text, progress and choices on the left, the picture on the right.
void progress_with_picture(Painter& p);
inline constexpr float kContentWidth = kDesignWidth - 2 * kMargin;
inline constexpr float kDigitPadLeft = 1240.0f;
inline constexpr float kLettersTop = 624.0f;

void start(Painter& p);
void task(Painter& p);
void who(Painter& p);
void who_kind(Painter& p);
void form_choice(Painter& p);
void form_intro(Painter& p);
void identity(Painter& p);
void refused(Painter& p);
void question(Painter& p);
void overview(Painter& p);
void print(Painter& p);
void scan(Painter& p);
void review(Painter& p);
void send(Painter& p);
void receipt(Painter& p);
void help(Painter& p);
void staff_pin(Painter& p);
void staff_menu(Painter& p);
void staff_info(Painter& p);
void staff_queue(Painter& p);

}  // namespace kiosk::ui::screens
