#include "kiosk_app/session_bus.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>

namespace kiosk::app {

void avoid_session_bus_autolaunch() {
  if (const char* address = std::getenv("DBUS_SESSION_BUS_ADDRESS"); address && *address) return;
  if (const char* runtime = std::getenv("XDG_RUNTIME_DIR"); runtime && *runtime) {
    std::error_code ec;
    if (std::filesystem::exists(std::filesystem::path(runtime) / "bus", ec)) return;  // libdbus finds it
  }
  // A socket path that cannot exist (under a file): connecting fails at once, nothing is launched.
  ::setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/dev/null/kiosk-has-no-session-bus", 1);
}

}  // namespace kiosk::app
