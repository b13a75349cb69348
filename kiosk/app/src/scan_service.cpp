#include "scan_service.hpp"

#include <stdlib.h>

#include <algorithm>
#include <system_error>

#include <leptonica/allheaders.h>
#include <opencv2/imgproc.hpp>
#include <sodium.h>

#include "print/error.hpp"
#include "print/qr_payload.hpp"
#include "scanners/error.hpp"
#include "scanners/image.hpp"
#include "scanners/recognize.hpp"
#include "scanners/sane_scanner.hpp"
#include "kiosk_app/memory.hpp"

namespace kiosk::app {

namespace {

std::filesystem::path make_private_folder() {
  std::string pattern = (std::filesystem::temp_directory_path() / "kiosk-scans-XXXXXX").string();
  if (!mkdtemp(pattern.data())) throw std::runtime_error("cannot create a private folder for scanned pages");
  return pattern;  // mkdtemp makes it 0700
}

void remove_contents(const std::filesystem::path& folder) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) std::filesystem::remove(entry.path(), ec);
}

std::string random_name() {
  unsigned char bytes[8];
  randombytes_buf(bytes, sizeof bytes);
  static const char* hex = "0123456789abcdef";
  std::string name;
  for (unsigned char b : bytes) name += {hex[b >> 4], hex[b & 15]};
  return name;
}

void write_png(const cv::Mat& grey, const std::filesystem::path& file) {
  auto pix = scanners::pix_from_mat(grey);
  if (!pix || pixWritePng(file.c_str(), pix.get(), 0.0f) != 0)
    throw std::runtime_error("cannot write the scanned page to " + file.string());
}

// What the recogniser read, as the flow's text form (the same form answers are shown in).
std::string value_text(const nlohmann::json& value) {
  if (value.is_null()) return "";
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_string()) return value.get<std::string>();
  if (value.is_array()) {
    std::string joined;
    for (const auto& v : value) joined += (joined.empty() ? "" : ",") + value_text(v);
    return joined;
  }
  return value.dump();
}

void set_device_option(scanners::SaneDevice& device, const std::string& name_value, std::string& detail) {
  const auto eq = name_value.find('=');
  if (eq == std::string::npos) return;
  const auto name = name_value.substr(0, eq);
  const auto value = name_value.substr(eq + 1);
  bool ok = false;
  if (value == "true" || value == "false")
    ok = device.set_option(name, value == "true");
  else if (!value.empty() && std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
    ok = device.set_option(name, std::stoi(value)) || device.set_option(name, value);
  else
    ok = device.set_option(name, value);
  if (!ok) detail += " (the scanner has no option " + name + ")";
}

}  // namespace

std::string scan_message_key(const std::string& code) {
  if (code == "no-paper") return "ui.scan.no-paper";
  if (code == "jammed") return "ui.scan.jammed";
  if (code == "cover-open") return "ui.scan.cover-open";
  if (code == "no-scanner" || code == "open-failed" || code == "sane-busy") return "ui.scan.unavailable";
  return "ui.scan.failed";
}

LibraryScanner::LibraryScanner(const Config& config, const forms::Catalogue& catalogue,
                               const forms::Translations& translations)
    : catalogue_(catalogue),
      translations_(translations),
      device_name_(config.get_string("scanner.device")),
      dpi_(static_cast<int>(config.get_int("scanner.resolution_dpi"))),
      options_(config.get_list("scanner.options")),
      mac_key_file_(config.get_path("print.mac_key_file")),
      font_dir_(config.get_path("print.font_dir")),
      postal_address_(config.get_string("site.postal_address")),
      folder_(make_private_folder()),
      recognizer_idle_(
          std::chrono::seconds(std::max<std::int64_t>(0, config.get_int("scanner.recognizer_idle_seconds")))) {
  unloader_ = std::thread([this] { unload_when_idle(); });
}

LibraryScanner::~LibraryScanner() {
  {
    std::lock_guard lock(recognizer_mutex_);
    stopping_ = true;
  }
  recognizer_changed_.notify_all();
  unloader_.join();
  std::error_code ec;
  std::filesystem::remove_all(folder_, ec);
}

void LibraryScanner::start(flow::ScanRequest request) {
  worker_.post([this, request = std::move(request)] {
    try {
      return run(request);
    } catch (const scanners::ScanError& e) {
      flow::ScanResult r;
      r.outcome = flow::Outcome::Failed;
      r.message_key = scan_message_key(e.code());
      r.detail = "scan failed (" + e.code() + "): " + e.what();
      return r;
    } catch (const std::exception& e) {
      flow::ScanResult r;
      r.outcome = flow::Outcome::Failed;
      r.message_key = "ui.scan.failed";
      r.detail = std::string("scan failed: ") + e.what();
      return r;
    }
  });
}

flow::ScanResult LibraryScanner::run(const flow::ScanRequest& request) {
  flow::ScanResult result;
  // A new person's form: the previous person's pages and crops go first.
  if (request.evidence_code.empty() && !request.next_page &&
      (request.submission_id.empty() || request.submission_id != last_submission_))
    remove_contents(folder_);
  last_submission_ = request.submission_id;

  std::vector<scanners::PageImage> pages;
  std::string option_notes;
  {
    scanners::SaneSession session;
    auto device = session.open(device_name_);
    for (const auto& option : options_) set_device_option(*device, option, option_notes);
    scanners::ScanSettings settings;
    settings.dpi = dpi_;
    for (const auto& source : device->sources())
      if (source.find("ADF") != std::string::npos || source.find("Feeder") != std::string::npos)
        settings.source = scanners::PaperSource::Feeder;
    pages = device->scan(settings);
  }
  if (pages.empty()) throw scanners::ScanError("no-paper", "the scanner returned no page");

  const std::string stem = random_name();
  for (size_t i = 0; i < pages.size(); ++i) {
    const auto file = folder_ / (stem + "-page" + std::to_string(i + 1) + ".png");
    write_png(pages[i].grey, file);
    result.pages.push_back(file);
  }
  // The scanner's buffers and the PNG encoder's are freed; give them back before recognising.
  release_free_heap();
  if (!request.evidence_code.empty()) {
    result.outcome = flow::Outcome::Done;
    result.detail =
        "attachment " + request.evidence_code + " scanned: " + std::to_string(pages.size()) + " page(s)" + option_notes;
    return result;
  }

  std::vector<scanners::PageResult> read;
  try {
    auto& recognizing = recognizer();
    // Each page is handed over: the recogniser frees its pixels once it has its working copy.
    for (auto& page : pages) read.push_back(recognizing.recognize_page(std::move(page)));
  } catch (...) {
    done_recognizing();
    throw;
  }
  done_recognizing();
  // The page images (8.7 MB each at 300 dpi) are not needed past this point.
  pages.clear();
  pages.shrink_to_fit();
  release_free_heap();
  auto submissions = scanners::assemble_submissions(std::move(read), catalogue_);

  // The sheet we expect (same submission id), else the expected form, else any known form.
  const scanners::SubmissionResult* chosen = nullptr;
  for (const auto& s : submissions)
    if (!request.submission_id.empty() && s.submission_id == request.submission_id) chosen = &s;
  if (!chosen)
    for (const auto& s : submissions)
      if (!s.form_id.empty() && (request.expected_form_id.empty() || s.form_id == request.expected_form_id)) {
        chosen = &s;
        break;
      }
  if (!chosen) {
    std::string problems;
    for (const auto& s : submissions) problems += (problems.empty() ? "" : ", ") + s.problem;
    result.outcome = flow::Outcome::Failed;
    result.message_key = "ui.scan.not-read";
    result.detail = "the sheet was scanned but not recognised (" + (problems.empty() ? "unknown form" : problems) + ")";
    return result;
  }
  result.form_id = chosen->form_id;
  result.submission_id = chosen->submission_id;
  // Which pages this scan found: the flow asks for the missing ones and assembles them.
  result.pages_found = chosen->pages_found;
  result.pages_duplicate = chosen->pages_duplicate;
  for (int page : chosen->pages_found) result.page_count = std::max(result.page_count, page);
  for (int page : chosen->pages_missing) result.page_count = std::max(result.page_count, page);
  int uncertain = 0;
  for (const auto& field : chosen->fields) {
    if (field.link_id == "signature") {
      result.signature_found = field.value.is_boolean() && field.value.get<bool>();
      continue;
    }
    flow::ReadField f;
    f.link_id = field.link_id;
    f.value = value_text(field.value);
    f.confidence = field.confidence;
    f.needs_review = field.status == scanners::FieldStatus::NeedsReview;
    if (f.needs_review) {
      ++uncertain;
      if (!field.crop.empty()) {
        // A thumbnail at most 200 x 60 for the staff review screen; the UI draws it as blocks.
        const double scale = std::min({1.0, 200.0 / field.crop.cols, 60.0 / field.crop.rows});
        cv::Mat small;
        cv::resize(field.crop, small,
                   cv::Size(std::max(1, static_cast<int>(field.crop.cols * scale)),
                            std::max(1, static_cast<int>(field.crop.rows * scale))),
                   0, 0, cv::INTER_AREA);
        f.crop_width = small.cols;
        f.crop_height = small.rows;
        f.crop_grey.resize(static_cast<size_t>(small.cols) * static_cast<size_t>(small.rows));
        for (int y = 0; y < small.rows; ++y)
          std::copy_n(small.ptr(y), small.cols, f.crop_grey.begin() + static_cast<std::ptrdiff_t>(y) * small.cols);
      }
    }
    result.fields.push_back(std::move(f));
  }
  result.outcome = flow::Outcome::Done;
  result.detail = "form " + chosen->form_id + " read: " + std::to_string(result.fields.size()) + " fields, " +
                  std::to_string(uncertain) + " to confirm, signature " +
                  (result.signature_found ? "found" : "missing") +
                  (chosen->pages_missing.empty() ? "" : ", pages missing") + option_notes;
  return result;
}

scanners::Recognizer& LibraryScanner::recognizer() {
  std::unique_lock lock(recognizer_mutex_);
  recognizing_ = true;  // from here the unloader leaves it alone
  if (!recognizer_) {
    lock.unlock();  // loading takes a while; nothing else makes one
    scanners::RecognizerOptions options;
    options.postal_address = postal_address_;
    options.fonts.regular = font_dir_ / "DejaVuSans.ttf";
    options.fonts.bold = font_dir_ / "DejaVuSans-Bold.ttf";
    auto loaded = std::make_unique<scanners::Recognizer>(catalogue_, translations_,
                                                         print::MacKey::load_file(mac_key_file_), options);
    lock.lock();
    recognizer_ = std::move(loaded);
  }
  return *recognizer_;
}

void LibraryScanner::done_recognizing() {
  {
    std::lock_guard lock(recognizer_mutex_);
    recognizing_ = false;
    last_used_ = std::chrono::steady_clock::now();
  }
  recognizer_changed_.notify_all();
}

bool LibraryScanner::recognizer_loaded() const {
  std::lock_guard lock(recognizer_mutex_);
  return recognizer_ != nullptr;
}

void LibraryScanner::unload_when_idle() {
  std::unique_lock lock(recognizer_mutex_);
  while (!stopping_) {
    if (!recognizer_ || recognizing_) {
      recognizer_changed_.wait(lock);
      continue;
    }
    const auto due = last_used_ + recognizer_idle_;
    if (std::chrono::steady_clock::now() < due) {
      recognizer_changed_.wait_until(lock, due);
      continue;
    }
    auto unloading = std::move(recognizer_);
    lock.unlock();
    unloading.reset();
    // glibc keeps the freed pages of the worker thread's arena; give them back.
    release_free_heap();
    lock.lock();
  }
}

}  // namespace kiosk::app
