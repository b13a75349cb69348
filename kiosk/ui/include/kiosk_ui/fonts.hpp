#pragma once
#include <filesystem>

struct ImFont;
struct ImFontAtlas;

namespace kiosk::ui {

// The kiosk's fonts, loaded into ImGui's atlas: DejaVu Sans with Latin, Latin
// Extended-A (æ ø å and the Sámi letters á č đ ŋ š ŧ ž) and Cyrillic (for Ukrainian).
struct Fonts {
  ImFont* body = nullptr;
  ImFont* button = nullptr;
  ImFont* title = nullptr;
  ImFont* large_body = nullptr;
  ImFont* large_button = nullptr;
  ImFont* large_title = nullptr;
  ImFont* nav = nullptr;
};

// Where DejaVuSans.ttf is: assets/fonts when shipped there, else Debian's fonts-dejavu-core.
std::filesystem::path find_font_file();

// Adds the fonts to `atlas` (before it is built). Throws std::runtime_error with a plain
// message when the font file is missing.
Fonts load_fonts(ImFontAtlas& atlas);

}  // namespace kiosk::ui
