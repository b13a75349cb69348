#include "forms/assets.hpp"

#include <cstdlib>

#ifndef KIOSK_ASSETS_SOURCE_DIR
#define KIOSK_ASSETS_SOURCE_DIR ""
#endif
#ifndef KIOSK_ASSETS_INSTALL_DIR
#define KIOSK_ASSETS_INSTALL_DIR "/usr/share/helsenorge-kiosk"
#endif

namespace forms {

std::filesystem::path assets_dir() {
  if (const char* env = std::getenv("KIOSK_ASSETS_DIR"); env && *env) return env;
  std::error_code ec;
  const std::filesystem::path installed = KIOSK_ASSETS_INSTALL_DIR;
  const std::filesystem::path source = KIOSK_ASSETS_SOURCE_DIR;
  // An installed package has no source tree; a build does, and must use its own
  // assets even when an older package is installed on the same machine.
  if (!source.empty() && std::filesystem::is_directory(source / "forms", ec)) return source;
  return installed;
}

}  // namespace forms
