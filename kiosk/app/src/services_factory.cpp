#include "kiosk_app/services_factory.hpp"

namespace kiosk::app {

WiredServices make_services(const Config& config) {
  (void)config;
  WiredServices wired;
  wired.services.printer = std::make_shared<flow::UnavailablePrinter>();
  wired.report.push_back("print: not available in this version of the kiosk (the print library is not built in)");
  wired.services.scanner = std::make_shared<flow::UnavailableScanner>();
  wired.report.push_back("scan: not available in this version of the kiosk (the scanner library is not built in)");
  wired.services.outbox = std::make_shared<flow::UnavailableOutbox>();
  wired.report.push_back("outbox: not available in this version of the kiosk (the queue library is not built in)");
  return wired;
}

}  // namespace kiosk::app
