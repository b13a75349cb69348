#include "kiosk_app/services_factory.hpp"

#include "kiosk_staff/directory.hpp"
#include "outbox_service.hpp"
#include "print_service.hpp"
#include "scan_service.hpp"

namespace kiosk::app {

WiredServices make_services(const Config& config, const forms::Catalogue& catalogue,
                            const forms::Translations& translations) {
  WiredServices wired;
  wired.services.printer = std::make_shared<LibraryPrinter>(config, catalogue, translations);
  if (config.get_string("ui.print_to_folder").empty())
    wired.report.push_back("print: CUPS queue " + (config.get_string("printer.queue").empty()
                                                       ? std::string("(the default printer)")
                                                       : config.get_string("printer.queue")));
  else
    wired.report.push_back("print: PDF files into " + config.get_path("ui.print_to_folder").string());
  try {
    wired.services.scanner = std::make_shared<LibraryScanner>(config, catalogue, translations);
    const auto& device = config.get_string("scanner.device");
    wired.report.push_back("scan: SANE " + (device.empty() ? std::string("(the first scanner found)") : device) +
                           ", recognised by the scanner library");
  } catch (const std::exception& e) {
    wired.services.scanner = std::make_shared<flow::UnavailableScanner>();
    wired.report.push_back(std::string("scan: not available: ") + e.what());
  }
  auto outbox = std::make_shared<LibraryOutbox>(config);
  wired.report.push_back("outbox: store " + config.get_path("store.path").string() +
                         (outbox->delivers() ? ", sent to " + config.get_string("broker.url") +
                                                   " by the delivery service (kioskctl queue deliver)"
                                             : ", no broker configured: submissions stay queued"));
  wired.services.outbox = std::move(outbox);
  // Staff members sign in with their own number and PIN (kioskctl staff add).
  wired.services.staff = std::make_shared<staff::StoreStaffDirectory>(config.get_path("store.path"));
  return wired;
}

}  // namespace kiosk::app
