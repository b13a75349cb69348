#pragma once
#include <string>
#include <vector>

#include "config.hpp"
#include "kiosk_flow/flow.hpp"

namespace kiosk::app {

struct WiredServices {
  flow::Services services;
  // One plain line per part: which implementation runs, or why the part is not available.
  std::vector<std::string> report;
};

// The real printer, scanner and outbox for this kiosk, as far as they are built into
// this version. A part that is missing answers "unavailable" and the kiosk says so on
// screen; nothing pretends to work.
WiredServices make_services(const Config& config);

}  // namespace kiosk::app
