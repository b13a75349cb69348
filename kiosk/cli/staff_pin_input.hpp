#pragma once
#include <iostream>
#include <string>

#include "command.hpp"
#include "kiosk_flow/session.hpp"

namespace kiosk::cli {

// Reads a staff PIN from standard input (never from the command line, where shell history
// and `ps` would show it): 6 to 12 digits, else empty, the admin told why and the text wiped.
// The one reader for `staff add`, `staff set-pin` and `setup --pin-stdin`.
inline std::string read_staff_pin(Context& ctx) {
  std::string pin;
  std::getline(std::cin, pin);
  if (!pin.empty() && pin.back() == '\r') pin.pop_back();
  if (pin.size() < 6 || pin.size() > 12 || pin.find_first_not_of("0123456789") != std::string::npos) {
    flow::wipe_string(pin);
    ctx.err << "The PIN must be 6 to 12 digits (0-9 only), typed on the kiosk's digit pad.\n";
  }
  return pin;
}

}  // namespace kiosk::cli
