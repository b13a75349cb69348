#pragma once
#include <filesystem>
#include <memory>

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

struct FontAtlasDeleter {
  void operator()(ImFontAtlas* atlas) const noexcept;
};
using FontAtlasPtr = std::unique_ptr<ImFontAtlas, FontAtlasDeleter>;

// An atlas of its own with the fonts added and rasterised (8-bit coverage), ready for an ImGui context
// (ImGui::CreateContext(atlas.get())) and a texture upload; the font file data is already
// dropped (the glyphs are in the atlas). It needs neither an ImGui context nor OpenGL, so
// the kiosk window builds it on another thread while OpenGL starts. ImGui's allocator counts
// allocations in the current context, so no ImGui context may be in use while it runs.
struct BuiltFonts {
  FontAtlasPtr atlas;
  Fonts fonts;
};
BuiltFonts build_font_atlas();

}  // namespace kiosk::ui
