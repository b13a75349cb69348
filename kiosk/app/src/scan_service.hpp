#pragma once
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "config.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "kiosk_flow/async.hpp"
#include "kiosk_flow/services.hpp"

namespace scanners {
class Recognizer;
}

namespace kiosk::app {

// Scans through the scanner library on a worker thread: SANE acquisition (scanner.device,
// scanner.resolution_dpi, scanner.options), then recognition (QR code, marks, digits, OCR).
// Fields the recogniser is unsure of come back with needs_review, and the flow asks the
// person about them ("This is what we read"). Scanned pages and review crops are written as
// PNG into a private folder (0700) that is emptied when the next person's scan starts and
// removed when the service ends; the outbox deletes the pages once they are committed.
class LibraryScanner final : public flow::ScanService {
 public:
  LibraryScanner(const Config& config, const forms::Catalogue& catalogue, const forms::Translations& translations);
  ~LibraryScanner() override;
  LibraryScanner(const LibraryScanner&) = delete;
  LibraryScanner& operator=(const LibraryScanner&) = delete;

  bool available() const override { return true; }
  void start(flow::ScanRequest request) override;
  std::optional<flow::ScanResult> poll() override { return worker_.poll(); }

  const std::filesystem::path& folder() const { return folder_; }

 private:
  flow::ScanResult run(const flow::ScanRequest& request);

  const forms::Catalogue& catalogue_;
  const forms::Translations& translations_;
  std::string device_name_;
  int dpi_ = 300;
  std::vector<std::string> options_;
  std::filesystem::path mac_key_file_, font_dir_;
  std::string postal_address_;
  std::filesystem::path folder_;
  std::string last_submission_;                       // worker thread only
  std::unique_ptr<scanners::Recognizer> recognizer_;  // worker thread only; made on first use
  flow::AsyncWorker<flow::ScanResult> worker_;        // last: its thread uses the members above
};

// The plain-language message key for a scanner error code (scanners::ScanError::code()).
std::string scan_message_key(const std::string& error_code);

}  // namespace kiosk::app
