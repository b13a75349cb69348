#pragma once
#include <filesystem>

namespace forms {

// Where the catalogue, translations and fonts are: $KIOSK_ASSETS_DIR when set, else the
// source tree's assets/ in a build, else the installed /usr/share/<package> folder.
std::filesystem::path assets_dir();

}  // namespace forms
