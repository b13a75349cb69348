#pragma once
#include <sys/types.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "config.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "kiosk_flow/async.hpp"
#include "kiosk_flow/services.hpp"
#include "scanners/printed.hpp"

namespace scanners {
class Recognizer;
struct PageImage;
struct SubmissionResult;
}  // namespace scanners

namespace kiosk::app {

// Scans through the scanner library on a worker thread: SANE acquisition (scanner.device,
// scanner.resolution_dpi, scanner.options), then recognition (QR code, marks, digits, OCR).
// Fields the recogniser is unsure of come back with needs_review, and the flow asks the
// person about them ("This is what we read"). Scanned pages and review crops are written as
// PNG into a private folder (0700) inside scanner.page_dir, which must be in memory (tmpfs:
// the unit's RuntimeDirectory): on any other file system the scan is refused with a plain
// message unless scanner.pages_on_disk (development). A wipe empties the folder at once and
// discards a scan still running; the folder is removed when the service ends, and the outbox
// deletes the pages once they are sealed into the store.
// Recognition runs in a short-lived helper process by default (scanner.recognize_in_helper):
// `kiosk-recognize --json --crops` next to the running program reads the page files and
// writes the fields and review crops back. The recogniser's memory (Tesseract, the digit and
// letter networks, OpenCV and Leptonica working images, the libraries' code: ~75 MB at its
// peak) then never counts against the kiosk's process, and a crash on an untrusted scan ends
// only the helper (the scan fails with a plain message). Without the helper (switched off, or
// no kiosk-recognize next to the program) the recogniser runs here, loaded when a scan needs it and
// unloaded scanner.recognizer_idle_seconds after the last scan.
class LibraryScanner final : public flow::ScanService {
 public:
  LibraryScanner(const Config& config, const forms::Catalogue& catalogue, const forms::Translations& translations);
  ~LibraryScanner() override;
  LibraryScanner(const LibraryScanner&) = delete;
  LibraryScanner& operator=(const LibraryScanner&) = delete;

  bool available() const override { return true; }
  void start(flow::ScanRequest request) override;
  std::optional<flow::ScanResult> poll() override { return worker_.poll(); }
  void wipe(const std::vector<std::filesystem::path>& keep) override;

  // The private folder of this kiosk's pages (inside scanner.page_dir); empty before the first scan.
  std::filesystem::path folder() const;
  // True while the recogniser is loaded in this process (tests, benchmark).
  bool recognizer_loaded() const;
  // The helper program recognition runs in; empty when it runs in this process.
  const std::filesystem::path& helper_program() const { return helper_program_; }
  // Peak resident memory of the last helper process in kB (its VmHWM, sampled while it runs); 0 before
  // the first (benchmark).
  long last_helper_peak_kb() const { return helper_peak_kb_.load(); }

 private:
  struct PagesNotPrivate : std::runtime_error {
    using std::runtime_error::runtime_error;
  };
  flow::ScanResult scan(const flow::ScanRequest& request);  // run(), its errors as plain results
  flow::ScanResult run(const flow::ScanRequest& request);
  // The page folder, made on first use inside page_dir_; throws PagesNotPrivate when page_dir_
  // is not in memory (unless pages_on_disk_).
  std::filesystem::path private_folder();
  // Worker thread: the loaded recogniser (loading it if needed), marked as in use until
  // done_recognizing().
  scanners::Recognizer& recognizer();
  void done_recognizing();
  void unload_when_idle();  // the unloader thread
  // `printed`: what the kiosk printed on the sheet it expects (its unchanged boxes are verified,
  // not read); null for a blank form or one filled at home.
  std::vector<scanners::SubmissionResult> recognize_here(std::vector<scanners::PageImage>& pages,
                                                         const scanners::PrintedSheet* printed);
  std::vector<scanners::SubmissionResult> recognize_in_helper(const std::filesystem::path& folder,
                                                              const std::vector<std::filesystem::path>& pages,
                                                              const scanners::PrintedSheet* printed,
                                                              const std::string& form_id);

  const forms::Catalogue& catalogue_;
  const forms::Translations& translations_;
  std::string device_name_;
  int dpi_ = 300;
  std::vector<std::string> options_;
  std::filesystem::path mac_key_file_, font_dir_;
  std::string postal_address_;
  std::filesystem::path page_dir_;  // scanner.page_dir: must be tmpfs unless pages_on_disk_
  bool pages_on_disk_ = false;
  mutable std::mutex folder_mutex_;
  std::filesystem::path folder_;              // guarded; made at the first scan
  std::atomic<std::uint64_t> generation_{0};  // moved on by every wipe
  std::string last_submission_;               // worker thread only
  std::filesystem::path helper_program_, helper_config_;
  std::atomic<long> helper_peak_kb_{0};

  std::chrono::milliseconds recognizer_idle_;
  mutable std::mutex recognizer_mutex_;
  std::condition_variable recognizer_changed_;
  std::unique_ptr<scanners::Recognizer> recognizer_;  // guarded; used by the worker thread
  bool recognizing_ = false;                          // guarded
  bool stopping_ = false;                             // guarded
  pid_t helper_pid_ = 0;                              // guarded; the running helper, killed on stop
  std::chrono::steady_clock::time_point last_used_;   // guarded
  std::thread unloader_;                              // joined in the destructor

  flow::AsyncWorker<flow::ScanResult> worker_;  // last: its thread uses the members above
};

// The plain-language message key for a scanner error code (scanners::ScanError::code()).
std::string scan_message_key(const std::string& error_code);

}  // namespace kiosk::app
