#pragma once
#include <string>
#include <vector>

#include "config.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
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
// `catalogue` and `translations` must outlive the services.
WiredServices make_services(const Config& config, const forms::Catalogue& catalogue,
                            const forms::Translations& translations);

}  // namespace kiosk::app
