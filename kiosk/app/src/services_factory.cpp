#include "kiosk_app/services_factory.hpp"

#if HAVE_KIOSK_PRINT
#include "print_service.hpp"
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
  wired.services.scanner = std::make_shared<flow::UnavailableScanner>();
  wired.report.push_back("scan: not available in this version of the kiosk (the scanner library is not built in)");
  wired.services.outbox = std::make_shared<flow::UnavailableOutbox>();
  wired.report.push_back("outbox: not available in this version of the kiosk (the queue library is not built in)");
  return wired;
}

}  // namespace kiosk::app
