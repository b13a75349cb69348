#include "kiosk_app/services_factory.hpp"

#if HAVE_KIOSK_PRINT
#include "print_service.hpp"
#endif
#if HAVE_KIOSK_SCANNERS && HAVE_KIOSK_PRINT
#include "scan_service.hpp"
#endif
#if HAVE_KIOSK_OUTBOX
#include "outbox_service.hpp"
#endif
#if HAVE_KIOSK_STAFF
#include "kiosk_staff/directory.hpp"
#endif

namespace kiosk::app {

WiredServices make_services(const Config& config, const forms::Catalogue& catalogue,
                            const forms::Translations& translations) {
  WiredServices wired;
#if HAVE_KIOSK_PRINT
  wired.services.printer = std::make_shared<LibraryPrinter>(config, catalogue, translations);
  if (config.get_string("ui.print_to_folder").empty())
    wired.report.push_back("print: CUPS queue " + (config.get_string("printer.queue").empty()
                                                       ? std::string("(the default printer)")
                                                       : config.get_string("printer.queue")));
  else
    wired.report.push_back("print: PDF files into " + config.get_path("ui.print_to_folder").string());
#else
  (void)config;
  (void)catalogue;
  (void)translations;
  wired.services.printer = std::make_shared<flow::UnavailablePrinter>();
  wired.report.push_back("print: not available in this version of the kiosk (the print library is not built in)");
#endif
#if HAVE_KIOSK_SCANNERS && HAVE_KIOSK_PRINT
  try {
    wired.services.scanner = std::make_shared<LibraryScanner>(config, catalogue, translations);
    const auto& device = config.get_string("scanner.device");
    wired.report.push_back("scan: SANE " + (device.empty() ? std::string("(the first scanner found)") : device) +
                           ", recognised by the scanner library");
  } catch (const std::exception& e) {
    wired.services.scanner = std::make_shared<flow::UnavailableScanner>();
    wired.report.push_back(std::string("scan: not available: ") + e.what());
  }
#else
  wired.services.scanner = std::make_shared<flow::UnavailableScanner>();
  wired.report.push_back("scan: not available in this version of the kiosk (the scanner library is not built in)");
#endif
#if HAVE_KIOSK_OUTBOX
  auto outbox = std::make_shared<LibraryOutbox>(config);
  wired.report.push_back("outbox: store " + config.get_path("store.path").string() +
                         (outbox->delivers() ? ", delivered to " + config.get_string("broker.url")
                                             : ", no broker configured: submissions stay queued"));
  wired.services.outbox = std::move(outbox);
#else
  wired.services.outbox = std::make_shared<flow::UnavailableOutbox>();
  wired.report.push_back("outbox: not available in this version of the kiosk (the queue library is not built in)");
#endif
#if HAVE_KIOSK_STAFF
  // Staff members sign in with their own number and PIN (kioskctl staff add).
  wired.services.staff = std::make_shared<staff::StoreStaffDirectory>(config.get_path("store.path"));
#endif
  return wired;
}

}  // namespace kiosk::app
