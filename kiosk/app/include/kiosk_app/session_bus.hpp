#pragma once

namespace kiosk::app {

// Called at the start of main(), before any thread runs (it sets an environment variable).
// SDL's audio start-up asks libdbus for the session bus. The kiosk unit has none, so libdbus
// "autolaunches" one: it forks the multi-threaded kiosk to run dbus-launch. A child forked
// while another thread holds an allocator lock can hang for ever before it execs (seen under
// AddressSanitizer), and a kiosk has no use for a session bus daemon of its own anyway.
// When no session bus is set and none is at $XDG_RUNTIME_DIR/bus, this points libdbus at an
// address that fails at once, so nothing is forked; a desktop session's bus is left alone.
void avoid_session_bus_autolaunch();

}  // namespace kiosk::app
