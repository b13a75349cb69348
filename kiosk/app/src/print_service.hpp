#pragma once
#include <filesystem>
#include <memory>

#include "config.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "kiosk_flow/async.hpp"
#include "kiosk_flow/services.hpp"

namespace kiosk::app {

// Prints through the print library: layout + PDF (libharu) and a CUPS job followed to
// completion, on a worker thread; the kiosk's CUPS jobs are purged (spooled document and
// history) as soon as they end. With config ui.print_to_folder set, the PDF is written into
// that folder instead of going to CUPS (demos, a kiosk without a printer; the doctor warns).
class LibraryPrinter final : public flow::PrintService {
 public:
  LibraryPrinter(const Config& config, const forms::Catalogue& catalogue, const forms::Translations& translations);
  bool available() const override { return true; }
  void start(flow::PrintRequest request) override;
  std::optional<flow::PrintResult> poll() override { return worker_.poll(); }

 private:
  flow::PrintResult run(const flow::PrintRequest& request) const;

  const forms::Catalogue& catalogue_;
  const forms::Translations& translations_;
  std::string queue_, postal_address_, help_phone_, site_name_;
  std::filesystem::path mac_key_file_, folder_;
  flow::AsyncWorker<flow::PrintResult> worker_;  // last: its thread uses the members above
};

}  // namespace kiosk::app
