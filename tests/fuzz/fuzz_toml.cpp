// The configuration file: an admin's typo or a damaged disk. Config::parse refuses with a
// ConfigError naming the line; it never crashes, and what it accepts is inside every range.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const auto config = kiosk::Config::parse(std::string(reinterpret_cast<const char*>(data), size), "/etc/kiosk",
                                             "fuzz.toml");
    for (const auto& [key, range] : kiosk::Config::ranges()) {
      const auto value = config.get_int(key);
      if (value < range.min || value > range.max) std::abort();
    }
  } catch (const kiosk::ConfigError&) {
  }
  return 0;
}
