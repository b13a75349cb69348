#include <stdexcept>
#include <system_error>

#include <imgui.h>

#include "forms/assets.hpp"
#include "kiosk_ui/fonts.hpp"

namespace kiosk::ui {

std::filesystem::path find_font_file() {
  std::error_code ec;
  const auto shipped = forms::assets_dir() / "fonts" / "DejaVuSans.ttf";
  if (std::filesystem::exists(shipped, ec)) return shipped;
  return "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
}

Fonts load_fonts(ImFontAtlas& atlas) {
  const auto file = find_font_file();
  std::error_code ec;
  if (!std::filesystem::exists(file, ec))
    throw std::runtime_error("The font " + file.string() + " is missing. Install the package fonts-dejavu-core.");
  // Basic Latin + Latin-1 (æ ø å á), Latin Extended-A (č đ ŋ š ŧ ž), general
  // punctuation (– ’ …) and Cyrillic with its supplement (Ukrainian ґ є і ї).
  static const ImWchar kRanges[] = {0x0020, 0x00FF, 0x0100, 0x017F, 0x2010, 0x2027, 0x0400, 0x052F, 0};
  ImFontConfig config;
  config.OversampleH = 1;  // sizes are exact: no need for sub-pixel positioning copies
  config.OversampleV = 1;
  config.PixelSnapH = true;
  auto add = [&](float px) {
    ImFont* f = atlas.AddFontFromFileTTF(file.string().c_str(), px, &config, kRanges);
    if (!f) throw std::runtime_error("The font " + file.string() + " could not be read.");
    return f;
  };
  Fonts fonts;
  fonts.body = add(32);
  fonts.nav = fonts.body;
  fonts.button = add(40);
  fonts.large_body = fonts.button;
  fonts.title = add(48);
  fonts.large_button = fonts.title;
  fonts.large_title = add(56);
  return fonts;
}

void FontAtlasDeleter::operator()(ImFontAtlas* atlas) const noexcept {
  delete atlas;
}

BuiltFonts build_font_atlas() {
  BuiltFonts built;
  built.atlas.reset(new ImFontAtlas());
  built.fonts = load_fonts(*built.atlas);
  unsigned char* pixels = nullptr;
  int width = 0, height = 0;
  built.atlas->GetTexDataAsAlpha8(&pixels, &width, &height);
  if (!pixels) throw std::runtime_error("The font " + find_font_file().string() + " could not be rasterised.");
  // Each size holds its own copy of the font file (~750 kB) until this; the glyphs stay.
  built.atlas->ClearInputData();
  return built;
}

}  // namespace kiosk::ui
