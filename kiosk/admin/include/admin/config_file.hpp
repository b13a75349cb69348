#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "config.hpp"

namespace kiosk::admin {

// The one way the admin code reads the configuration file (doctor, first-run check, setup).
struct ConfigFile {
  bool exists = false;
  std::optional<Config> config;  // set when the file exists and is valid
  std::string error;             // why it is not valid (names the key and line), when it exists

  bool valid() const { return config.has_value(); }
};

// Never throws: a missing file, a syntax error or a wrong type is described in the result.
ConfigFile load_config_file(const std::filesystem::path& file);

}  // namespace kiosk::admin
