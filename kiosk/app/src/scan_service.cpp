#include "scan_service.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>
#include <sstream>
#include <system_error>

#include <leptonica/allheaders.h>
#include <opencv2/imgproc.hpp>

#include "forms/answers.hpp"
#include "print/error.hpp"
#include "print/qr_key_files.hpp"
#include "print/qr_payload.hpp"
#include "scanners/error.hpp"
#include "scanners/image.hpp"
#include "scanners/recognize.hpp"
#include "scanners/sane_scanner.hpp"
#include "kiosk_app/memory.hpp"
#include "private_folder.hpp"
#include "random_id.hpp"
#include "subprocess.hpp"

namespace kiosk::app {

namespace {

// How long one helper may take for a scan before it is stopped (a normal page: ~1 s).
constexpr int kHelperTimeoutSeconds = 120;

std::filesystem::path make_private_folder(const std::filesystem::path& parent) {
  std::string pattern = (parent / "kiosk-scans-XXXXXX").string();
  if (!mkdtemp(pattern.data()))
    throw std::runtime_error("cannot create a private folder for scanned pages in " + parent.string() + ": " +
                             std::strerror(errno));
  return pattern;  // mkdtemp makes it 0700
}

void remove_contents(const std::filesystem::path& folder, const std::vector<std::filesystem::path>& keep = {}) {
  if (folder.empty()) return;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
    if (std::find(keep.begin(), keep.end(), entry.path()) != keep.end()) continue;
    std::error_code ignored;
    std::filesystem::remove_all(entry.path(), ignored);
  }
}

// One page's rows into its PNG file as the scanner sends them.
class PngPage final : public scanners::PageRows {
 public:
  PngPage(const std::filesystem::path& file, int width) : writer_(file, width) {}
  void add_row(const std::uint8_t* grey) override { writer_.add_row(grey); }
  void finish(int) override { writer_.finish(); }

 private:
  scanners::PngRowWriter writer_;
};

// The page files of one scan: removed again if the scan fails part-way (a failed scan
// leaves nothing of the person's sheet behind).
struct ScannedFiles {
  std::vector<std::filesystem::path> files;
  bool kept = false;
  std::vector<std::filesystem::path> keep() {
    kept = true;
    return files;
  }
  ScannedFiles() = default;
  ScannedFiles(const ScannedFiles&) = delete;
  ScannedFiles& operator=(const ScannedFiles&) = delete;
  ~ScannedFiles() {
    if (kept) return;
    std::error_code ec;
    for (const auto& file : files) std::filesystem::remove(file, ec);
  }
};

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

// TOML basic string (the helper's configuration file).
std::string toml_string(const std::string& text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      char escaped[8];
      std::snprintf(escaped, sizeof escaped, "\\u%04x", static_cast<unsigned>(static_cast<unsigned char>(c)));
      out += escaped;
    } else {
      out += c;
    }
  }
  return out + "\"";
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
      page_dir_(scan_page_dir(config)),
      pages_on_disk_(config.get_bool("scanner.pages_on_disk")),
      recognizer_idle_(
          std::chrono::seconds(std::max<std::int64_t>(0, config.get_int("scanner.recognizer_idle_seconds")))) {
  if (config.get_bool("scanner.recognize_in_helper")) helper_program_ = program_next_to_this_one("kiosk-recognize");
  unloader_ = std::thread([this] { unload_when_idle(); });
}

LibraryScanner::~LibraryScanner() {
  {
    std::lock_guard lock(recognizer_mutex_);
    stopping_ = true;
    if (helper_pid_ > 0) kill(helper_pid_, SIGKILL);  // the worker reaps it
  }
  recognizer_changed_.notify_all();
  unloader_.join();
  std::lock_guard lock(folder_mutex_);
  std::error_code ec;
  if (!folder_.empty()) std::filesystem::remove_all(folder_, ec);
}

std::filesystem::path LibraryScanner::folder() const {
  std::lock_guard lock(folder_mutex_);
  return folder_;
}

void LibraryScanner::wipe(const std::vector<std::filesystem::path>& keep) {
  // First the generation (a scan running now sees it when it ends and deletes what it wrote),
  // then what is in the folder already.
  ++generation_;
  std::lock_guard lock(folder_mutex_);
  remove_contents(folder_, keep);
}

std::filesystem::path LibraryScanner::private_folder() {
  if (!pages_on_disk_) {
    const auto problem = memory_folder_problem(page_dir_);
    if (!problem.empty())
      throw PagesNotPrivate("scanning refused: scanned pages must stay in memory, but " + problem +
                            " (set scanner.page_dir to a tmpfs folder; scanner.pages_on_disk = true is for "
                            "development only)");
  }
  std::lock_guard lock(folder_mutex_);
  std::error_code ec;
  if (folder_.empty() || !std::filesystem::is_directory(folder_, ec)) folder_ = make_private_folder(page_dir_);
  return folder_;
}

void LibraryScanner::start(flow::ScanRequest request) {
  const std::uint64_t generation = generation_.load();
  worker_.post([this, request = std::move(request), generation] {
    auto result = scan(request);
    result.ticket = request.ticket;
    if (generation_.load() != generation) {
      // The session was wiped while this sheet was read: nothing of it is kept.
      std::error_code ec;
      for (const auto& page : result.pages) std::filesystem::remove(page, ec);
      flow::ScanResult discarded;
      discarded.outcome = flow::Outcome::Failed;
      discarded.message_key = "ui.scan.failed";
      discarded.detail = "scan discarded: the session was wiped while it ran";
      discarded.ticket = request.ticket;
      return discarded;
    }
    return result;
  });
}

flow::ScanResult LibraryScanner::scan(const flow::ScanRequest& request) {
  try {
    return run(request);
  } catch (const PagesNotPrivate& e) {
    flow::ScanResult r;
    r.outcome = flow::Outcome::Failed;
    r.message_key = "ui.scan.unavailable";
    r.detail = e.what();
    return r;
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
}

flow::ScanResult LibraryScanner::run(const flow::ScanRequest& request) {
  flow::ScanResult result;
  const auto folder = private_folder();
  // A new person's form: the previous person's pages and crops go first.
  if (request.evidence_code.empty() && !request.next_page &&
      (request.submission_id.empty() || request.submission_id != last_submission_))
    remove_contents(folder);
  last_submission_ = request.submission_id;

  // The scanner's lines go straight into the page files (no page image in this process,
  // 8.7 MB at 300 dpi); the files are what the recogniser and the outbox read.
  const std::string stem = random_hex(8);
  ScannedFiles written;
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
    const int scanned = device->scan_rows(settings, [&](int page, int width) {
      auto file = folder / (stem + "-page" + std::to_string(page) + ".png");
      written.files.push_back(file);
      return std::make_unique<PngPage>(file, width);
    });
    // A page that was started but not finished has removed its own file.
    written.files.resize(std::min(written.files.size(), static_cast<size_t>(std::max(0, scanned))));
  }
  if (written.files.empty()) throw scanners::ScanError("no-paper", "the scanner returned no page");
  result.pages = written.keep();
  // The scanner's and the PNG encoder's buffers are freed; give them back before recognising.
  release_free_heap();
  if (!request.evidence_code.empty()) {
    result.outcome = flow::Outcome::Done;
    result.detail = "attachment " + request.evidence_code + " scanned: " + std::to_string(result.pages.size()) +
                    " page(s)" + option_notes;
    return result;
  }

  // The sheet the kiosk printed pre-filled for this session: its boxes are compared with what was
  // printed, so the person is asked only about what they changed by hand.
  std::optional<scanners::PrintedSheet> printed;
  if (!request.submission_id.empty() && !request.printed.values.empty())
    printed = scanners::PrintedSheet{request.submission_id, request.printed};
  struct WipePrinted {
    std::optional<scanners::PrintedSheet>& printed;
    ~WipePrinted() {
      if (printed) printed->answers.wipe();
    }
  } wipe_printed{printed};
  const scanners::PrintedSheet* printed_sheet = printed ? &*printed : nullptr;
  std::vector<scanners::SubmissionResult> submissions;
  if (helper_program_.empty()) {
    // The recogniser in this process reads the pages back from their files.
    std::vector<scanners::PageImage> pages;
    for (size_t i = 0; i < result.pages.size(); ++i) {
      auto read = scanners::import_image_file(result.pages[i]);
      for (auto& page : read) {
        page.dpi_hint = dpi_;
        page.source = device_name_ + " page " + std::to_string(i + 1);
        pages.push_back(std::move(page));
      }
    }
    submissions = recognize_here(pages, printed_sheet);
  } else {
    submissions = recognize_in_helper(folder, result.pages, printed_sheet, request.expected_form_id);
  }

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
    // Nothing on the sheet at all: most likely its back was scanned.
    const bool blank = !submissions.empty() && std::all_of(submissions.begin(), submissions.end(),
                                                           [](const auto& s) { return s.problem == "blank-page"; });
    if (blank) {
      result.outcome = flow::Outcome::Failed;
      result.message_key = "ui.scan.blank-page";
      result.detail = "the sheet was scanned but is blank (no ink at all)";
      return result;
    }
    std::string problems;
    for (const auto& s : submissions) problems += (problems.empty() ? "" : ", ") + s.problem;
    result.outcome = flow::Outcome::Failed;
    result.message_key = "ui.scan.not-read";
    result.detail = "the sheet was scanned but not recognised (" + (problems.empty() ? "unknown form" : problems) + ")";
    return result;
  }
  // A sheet whose QR code names another submission (a stranger's page left on the glass, a page
  // of another copy) never joins this one: refused, and its images are deleted at once.
  if (!request.submission_id.empty() && !chosen->submission_id.empty() &&
      chosen->submission_id != request.submission_id) {
    std::error_code ec;
    for (const auto& page : result.pages) std::filesystem::remove(page, ec);
    result.pages.clear();
    result.outcome = flow::Outcome::Failed;
    result.message_key = "ui.scan.other-sheet";
    result.detail = "the sheet belongs to another submission (form " + chosen->form_id + "); refused";
    return result;
  }
  result.form_id = chosen->form_id;
  result.submission_id = chosen->submission_id;
  result.key_problem = chosen->key_problem;
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
    f.printed = field.printed;
    f.reason = field.reason;
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
                  (chosen->pages_missing.empty() ? "" : ", pages missing") +
                  (chosen->key_problem.empty() ? "" : ", " + chosen->key_problem + ": for staff review") + option_notes;
  return result;
}

std::vector<scanners::SubmissionResult> LibraryScanner::recognize_here(std::vector<scanners::PageImage>& pages,
                                                                       const scanners::PrintedSheet* printed) {
  std::vector<scanners::PageResult> read;
  try {
    auto& recognizing = recognizer();
    // Each page is handed over: the recogniser frees its pixels once it has its working copy.
    for (auto& page : pages) read.push_back(recognizing.recognize_page(std::move(page), printed));
  } catch (...) {
    done_recognizing();
    throw;
  }
  done_recognizing();
  // The page images (8.7 MB each at 300 dpi) are not needed past this point.
  pages.clear();
  pages.shrink_to_fit();
  release_free_heap();
  return scanners::assemble_submissions(std::move(read), catalogue_);
}

std::vector<scanners::SubmissionResult> LibraryScanner::recognize_in_helper(
    const std::filesystem::path& folder, const std::vector<std::filesystem::path>& pages,
    const scanners::PrintedSheet* printed, const std::string& form_id) {
  const std::string stem = random_hex(8);
  const auto crops = folder / (stem + "-crops");
  const auto config_file = folder / (stem + "-recognize.toml");
  const auto log_file = folder / (stem + "-recognize.log");
  const auto printed_file = folder / (stem + "-printed.json");
  struct Cleanup {
    std::filesystem::path crops, config_file, log_file, printed_file;
    ~Cleanup() {
      std::error_code ec;
      std::filesystem::remove_all(crops, ec);
      std::filesystem::remove(config_file, ec);
      std::filesystem::remove(log_file, ec);
      std::filesystem::remove(printed_file, ec);
    }
  } cleanup{crops, config_file, log_file, printed_file};
  // The printed values go to the helper in the same private folder as the page images (memory only).
  const forms::Questionnaire* form = printed ? catalogue_.find(form_id) : nullptr;
  if (form) {
    std::ofstream out(printed_file);
    out << nlohmann::json{{"submission", printed->submission_id},
                          {"form", form->id},
                          {"answers", forms::to_questionnaire_response(*form, printed->answers, "completed", "")}}
               .dump();
    if (!out)
      throw std::runtime_error("cannot write the printed values for the recogniser to " + printed_file.string());
  }
  {
    std::ofstream toml(config_file);
    toml << "[site]\npostal_address = " << toml_string(postal_address_)
         << "\n[print]\nfont_dir = " << toml_string(font_dir_.string())
         << "\nmac_key_file = " << toml_string(mac_key_file_.string()) << "\n";
    if (!toml) throw std::runtime_error("cannot write the recogniser's settings to " + config_file.string());
  }
  std::vector<std::string> words;
  for (const auto& page : pages) words.push_back(page.string());
  for (const char* w : {"--json", "--crops"}) words.emplace_back(w);
  words.push_back(crops.string());
  words.emplace_back("--key");
  words.push_back(mac_key_file_.string());
  words.emplace_back("--config");
  words.push_back(config_file.string());
  if (form) {
    words.emplace_back("--printed");
    words.push_back(printed_file.string());
  }

  ChildProcess::Options streams;
  streams.output_pipe = true;
  streams.errors_file = log_file;
  // Nothing else of the kiosk's (its X connection, the store) is handed to the helper.
  streams.close_other_fds = true;
  std::optional<ChildProcess> helper;
  {
    std::lock_guard lock(recognizer_mutex_);
    if (stopping_) throw std::runtime_error("the kiosk is stopping");
    try {
      helper.emplace(helper_program_, words, streams);
    } catch (const ChildProcess::StartError& e) {
      throw std::runtime_error(e.no_pipe ? std::string("cannot start the recogniser (no pipe)")
                                         : "cannot start the recogniser " + helper_program_.string());
    }
    helper_pid_ = helper->pid();
  }
  // The helper's own peak: its VmHWM, read while it runs (wait4's ru_maxrss would count this
  // process too, as posix_spawn's child shares this address space until it execs).
  long peak_kb = 0;
  const auto status_file = "/proc/" + std::to_string(helper->pid()) + "/status";
  auto sample_peak = [&] {
    std::ifstream status(status_file);
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmHWM:", 0) == 0) peak_kb = std::max(peak_kb, std::atol(line.c_str() + 6));
  };
  // Killed (SIGKILL) when it takes too long; helper_pid_ is still set, so the pid is not yet reaped.
  auto got = helper->collect(std::chrono::seconds(kHelperTimeoutSeconds), sample_peak);
  {
    std::lock_guard lock(recognizer_mutex_);
    helper_pid_ = 0;  // reaped below: never signalled again
  }
  const auto ended = helper->wait_status();
  helper_peak_kb_ = peak_kb;
  if (got.timed_out)
    throw std::runtime_error("the recogniser took more than " + std::to_string(kHelperTimeoutSeconds) +
                             " s and was stopped");
  if (ended.signal)
    throw std::runtime_error("the recogniser stopped on this sheet (signal " + std::to_string(ended.signal) + ")");
  // kiosk-recognize: 0 every field accepted, 1 something to review; anything else failed.
  const int code = ended.code;
  if (code != 0 && code != 1) {
    std::ifstream log(log_file);
    std::stringstream said;
    said << log.rdbuf();
    throw std::runtime_error("the recogniser failed (exit " + std::to_string(code) + "): " + said.str().substr(0, 400));
  }
  const auto json = nlohmann::json::parse(got.out, nullptr, false);
  if (json.is_discarded() || !json.is_object() || !json.contains("submissions"))
    throw std::runtime_error("the recogniser's answer could not be read");
  return scanners::from_json(json, crops);
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
                                                         print::load_qr_key_ring(mac_key_file_), options);
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
