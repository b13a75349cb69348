#include "scanners/sane_scanner.hpp"

#include <sane/sane.h>
#include <sane/saneopts.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <mutex>

#include <pthread.h>

#include "scanners/error.hpp"

namespace scanners {

namespace {

std::mutex g_session_mutex;
bool g_session_active = false;

// Backends built on sanei_thread (SANE's `test` backend among them) run their reader in a
// pthread with asynchronous cancellation and cancel it on sane_cancel. A reader cancelled while
// it holds the dynamic loader's lock dies with it, and the next dlclose (sane_exit unloading its
// backends) waits for ever. One such window is glibc loading libgcc_s for the first unwind of
// the process (the cancel itself): one thread that ends with pthread_exit loads it before any
// backend thread exists. Measured with a plain C program on the `test` backend, this lowers but
// does not remove the hang (TESTING.md: 3 of 9,000 runs without, 1 of 12,000 with).
void* end_with_pthread_exit(void*) {
  pthread_exit(nullptr);
}

void load_unwinder_once() {
  static std::once_flag loaded;
  std::call_once(loaded, [] {
    pthread_t thread;
    if (pthread_create(&thread, nullptr, end_with_pthread_exit, nullptr) == 0) pthread_join(thread, nullptr);
  });
}

SANE_Handle as_handle(void* h) {
  return static_cast<SANE_Handle>(h);
}

// Plain-language message for a SANE status, by what a person at the kiosk can do about it.
[[noreturn]] void throw_status(SANE_Status status, const std::string& device) {
  switch (status) {
    case SANE_STATUS_NO_DOCS:
      throw ScanError("no-paper", "There is no paper in the scanner. Put the pages in the feeder and try again.");
    case SANE_STATUS_JAMMED:
      throw ScanError("jammed",
                      "The paper is stuck in the scanner. Open the scanner, take the paper out gently and try again.");
    case SANE_STATUS_COVER_OPEN:
      throw ScanError("cover-open", "The scanner lid is open. Close it and try again.");
    case SANE_STATUS_DEVICE_BUSY:
      throw ScanError("device-busy", "The scanner is busy. Wait a moment and try again.");
    case SANE_STATUS_CANCELLED:
      throw ScanError("cancelled", "The scan was stopped.");
    case SANE_STATUS_NO_MEM:
      throw ScanError("io-error", "The scanner ran out of memory. Try again with fewer pages.");
    case SANE_STATUS_ACCESS_DENIED:
      throw ScanError("open-failed", "The kiosk is not allowed to use the scanner " + device + ". Ask staff for help.");
    default:
      throw ScanError("io-error", std::string("The scanner stopped with an error (") + sane_strstatus(status) +
                                      "). Check that it is switched on and connected, then try again.");
  }
}

int find_option(SANE_Handle h, const std::string& name, const SANE_Option_Descriptor** out) {
  SANE_Int count = 0;
  if (sane_control_option(h, 0, SANE_ACTION_GET_VALUE, &count, nullptr) != SANE_STATUS_GOOD) return -1;
  for (SANE_Int i = 1; i < count; ++i) {
    const SANE_Option_Descriptor* d = sane_get_option_descriptor(h, i);
    if (d && d->name && name == d->name) {
      if (!SANE_OPTION_IS_ACTIVE(d->cap) || !SANE_OPTION_IS_SETTABLE(d->cap)) return -1;
      *out = d;
      return i;
    }
  }
  return -1;
}

// One line as SANE sends it, to 8-bit grey.
void line_to_grey(const SANE_Parameters& p, const SANE_Byte* row, std::uint8_t* out) {
  for (int x = 0; x < p.pixels_per_line; ++x) {
    if (p.format == SANE_FRAME_RGB && p.depth == 8) {
      out[x] = static_cast<std::uint8_t>((row[3 * x] * 299 + row[3 * x + 1] * 587 + row[3 * x + 2] * 114) / 1000);
    } else if (p.depth == 16) {
      const size_t step = p.format == SANE_FRAME_RGB ? 6 : 2;
      out[x] = row[static_cast<size_t>(x) * step + 1];  // high byte (little-endian host)
    } else if (p.depth == 1) {
      out[x] = (row[x / 8] & (0x80 >> (x % 8))) ? 0 : 255;  // SANE: 1 = black
    } else {
      out[x] = row[x];
    }
  }
}

// The bytes one line of `p` must hold for line_to_grey (and the 8-bit grey fast path) to
// stay inside it.
std::int64_t bytes_needed_per_line(const SANE_Parameters& p) {
  const std::int64_t pixels = p.pixels_per_line;
  const std::int64_t channels = p.format == SANE_FRAME_RGB ? 3 : 1;
  if (p.depth == 1) return (pixels + 7) / 8;
  if (p.depth == 16) return pixels * channels * 2;
  return pixels * channels;
}

// The current frame's lines, converted to grey, handed to `rows` one by one as they arrive:
// only a 64 KB read buffer is held, never the page.
void read_frame_rows(SANE_Handle h, const std::string& device, const std::atomic<bool>& cancel_requested,
                     const SANE_Parameters& p, PageRows& rows) {
  const auto line = static_cast<size_t>(p.bytes_per_line);
  const bool grey8 = p.format == SANE_FRAME_GRAY && p.depth == 8;
  std::vector<SANE_Byte> chunk(std::max<size_t>(65536, 2 * line));
  std::vector<std::uint8_t> grey(static_cast<size_t>(p.pixels_per_line));
  size_t have = 0;
  int count = 0;
  for (;;) {
    if (cancel_requested) throw ScanError("cancelled", "The scan was stopped.");
    SANE_Int len = 0;
    const SANE_Status status = sane_read(h, chunk.data() + have, static_cast<SANE_Int>(chunk.size() - have), &len);
    if (status == SANE_STATUS_EOF) break;
    // A cancel from another thread makes backends end the read in their own way (the test
    // backend: an I/O error or an early end of the frame): it is the cancel, not a fault.
    if (cancel_requested) throw ScanError("cancelled", "The scan was stopped.");
    if (status != SANE_STATUS_GOOD) throw_status(status, device);
    have += static_cast<size_t>(len);
    size_t used = 0;
    for (; have - used >= line; used += line) {
      if (++count > 30000) throw ScanError("io-error", "The scanner sent more data than a page can hold.");
      if (grey8) {
        rows.add_row(chunk.data() + used);
      } else {
        line_to_grey(p, chunk.data() + used, grey.data());
        rows.add_row(grey.data());
      }
    }
    std::memmove(chunk.data(), chunk.data() + used, have - used);
    have -= used;
  }
  if (cancel_requested) throw ScanError("cancelled", "The scan was stopped.");  // never a cut-off page
  if (count <= 0) throw ScanError("io-error", "The scanner sent an empty page.");
  rows.finish(count);
}

// Rows into a page image: preallocated when the scanner says how many lines come.
class MatRows final : public PageRows {
 public:
  MatRows(int width, int expected_rows) : width_(width) {
    if (expected_rows > 0) page_.create(expected_rows, width, CV_8UC1);
  }
  void add_row(const std::uint8_t* grey) override {
    if (rows_ < page_.rows)
      std::memcpy(page_.ptr(rows_), grey, static_cast<size_t>(width_));
    else  // a backend that miscounted its lines
      page_.push_back(cv::Mat(1, width_, CV_8UC1, const_cast<std::uint8_t*>(grey)).clone());
    ++rows_;
  }
  void finish(int rows) override {
    if (rows < page_.rows) page_ = page_.rowRange(0, rows);
  }
  cv::Mat take() { return std::move(page_); }

 private:
  int width_;
  int rows_ = 0;
  cv::Mat page_;
};

// Opens the page's real PageRows only when its first row arrives: a sheet that turns out
// not to be there (an empty feeder reported on the first read) leaves no page behind.
class RowsOnFirstRow final : public PageRows {
 public:
  explicit RowsOnFirstRow(std::function<std::unique_ptr<PageRows>()> open) : open_(std::move(open)) {}
  void add_row(const std::uint8_t* grey) override {
    if (!rows_) rows_ = open_();
    rows_->add_row(grey);
  }
  void finish(int rows) override {
    if (rows_) rows_->finish(rows);
  }

 private:
  std::function<std::unique_ptr<PageRows>()> open_;
  std::unique_ptr<PageRows> rows_;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

SaneSession::SaneSession() {
  std::lock_guard lock(g_session_mutex);
  if (g_session_active) throw ScanError("sane-busy", "The scanner is already in use by this program.");
  load_unwinder_once();
  SANE_Int version = 0;
  const SANE_Status status = sane_init(&version, nullptr);
  if (status != SANE_STATUS_GOOD)
    throw ScanError("no-scanner", std::string("The scanner system could not start: ") + sane_strstatus(status));
  g_session_active = true;
}

SaneSession::~SaneSession() {
  std::lock_guard lock(g_session_mutex);
  sane_exit();
  g_session_active = false;
}

std::vector<ScannerInfo> SaneSession::list_devices() const {
  const SANE_Device** list = nullptr;
  std::vector<ScannerInfo> out;
  if (sane_get_devices(&list, SANE_TRUE) != SANE_STATUS_GOOD || !list) return out;
  for (int i = 0; list[i]; ++i) {
    const SANE_Device* d = list[i];
    out.push_back(
        {d->name ? d->name : "", d->vendor ? d->vendor : "", d->model ? d->model : "", d->type ? d->type : ""});
  }
  return out;
}

std::unique_ptr<SaneDevice> SaneSession::open(const std::string& name) const {
  std::string device = name;
  if (device.empty()) {
    const auto devices = list_devices();
    if (devices.empty())
      throw ScanError("no-scanner", "No scanner was found. Check that the scanner is switched on and connected.");
    device = devices.front().name;
  }
  SANE_Handle handle = nullptr;
  const SANE_Status status = sane_open(device.c_str(), &handle);
  if (status != SANE_STATUS_GOOD || !handle) {
    if (status == SANE_STATUS_INVAL || status == SANE_STATUS_UNSUPPORTED)
      throw ScanError("no-scanner",
                      "The scanner \"" + device + "\" was not found. Check that it is switched on and connected.");
    throw_status(status, device);
  }
  return std::unique_ptr<SaneDevice>(new SaneDevice(handle, device));
}

SaneDevice::SaneDevice(void* handle, std::string name) : handle_(handle), name_(std::move(name)) {}

SaneDevice::~SaneDevice() {
  if (handle_) {
    sane_cancel(as_handle(handle_));
    sane_close(as_handle(handle_));
  }
}

std::vector<std::string> SaneDevice::sources() const {
  const SANE_Option_Descriptor* d = nullptr;
  std::vector<std::string> out;
  if (find_option(as_handle(handle_), SANE_NAME_SCAN_SOURCE, &d) < 0) return out;
  if (d->constraint_type == SANE_CONSTRAINT_STRING_LIST)
    for (int i = 0; d->constraint.string_list[i]; ++i) out.emplace_back(d->constraint.string_list[i]);
  return out;
}

bool SaneDevice::set_option(const std::string& option, const std::string& value) {
  const SANE_Option_Descriptor* d = nullptr;
  const int index = find_option(as_handle(handle_), option, &d);
  if (index < 0 || d->type != SANE_TYPE_STRING) return false;
  std::vector<char> buffer(static_cast<size_t>(std::max<SANE_Int>(d->size, static_cast<SANE_Int>(value.size() + 1))),
                           0);
  std::memcpy(buffer.data(), value.c_str(), value.size());
  SANE_Int info = 0;
  return sane_control_option(as_handle(handle_), index, SANE_ACTION_SET_VALUE, buffer.data(), &info) ==
         SANE_STATUS_GOOD;
}

bool SaneDevice::set_option(const std::string& option, int value) {
  const SANE_Option_Descriptor* d = nullptr;
  const int index = find_option(as_handle(handle_), option, &d);
  if (index < 0 || (d->type != SANE_TYPE_INT && d->type != SANE_TYPE_FIXED)) return false;
  const bool fixed = d->type == SANE_TYPE_FIXED;
  SANE_Word word = fixed ? SANE_FIX(value) : value;
  if (d->constraint_type == SANE_CONSTRAINT_WORD_LIST) {
    // The nearest value the backend offers (e.g. 300 dpi when it lists 75..600).
    const SANE_Word* list = d->constraint.word_list;
    SANE_Word best = list[1];
    for (SANE_Int i = 1; i <= list[0]; ++i)
      if (std::abs(list[i] - word) < std::abs(best - word)) best = list[i];
    word = best;
  } else if (d->constraint_type == SANE_CONSTRAINT_RANGE) {
    word = std::clamp(word, d->constraint.range->min, d->constraint.range->max);
  }
  SANE_Int info = 0;
  return sane_control_option(as_handle(handle_), index, SANE_ACTION_SET_VALUE, &word, &info) == SANE_STATUS_GOOD;
}

bool SaneDevice::set_option(const std::string& option, bool value) {
  const SANE_Option_Descriptor* d = nullptr;
  const int index = find_option(as_handle(handle_), option, &d);
  if (index < 0 || d->type != SANE_TYPE_BOOL) return false;
  SANE_Word word = value ? SANE_TRUE : SANE_FALSE;
  SANE_Int info = 0;
  return sane_control_option(as_handle(handle_), index, SANE_ACTION_SET_VALUE, &word, &info) == SANE_STATUS_GOOD;
}

void SaneDevice::cancel() {
  cancel_requested_ = true;
  sane_cancel(as_handle(handle_));  // SANE allows this from another thread (signal-safe)
}

std::vector<PageImage> SaneDevice::scan(const ScanSettings& settings,
                                        const std::function<bool(const PageImage&)>& on_page) {
  std::vector<PageImage> pages;
  MatRows* current = nullptr;
  scan_sheets(
      settings,
      [&](int, int width, int expected_rows) {
        auto rows = std::make_unique<MatRows>(width, expected_rows);
        current = rows.get();
        return rows;
      },
      [&](int page_number) {
        PageImage page;
        page.grey = current->take();
        page.dpi_hint = settings.dpi;
        page.source = name_ + " page " + std::to_string(page_number);
        pages.push_back(std::move(page));
        return !on_page || on_page(pages.back());
      });
  return pages;
}

int SaneDevice::scan_rows(const ScanSettings& settings,
                          const std::function<std::unique_ptr<PageRows>(int page, int width)>& open_page) {
  return scan_sheets(
      settings, [&](int page, int width, int) { return open_page(page, width); }, [](int) { return true; });
}

int SaneDevice::scan_sheets(
    const ScanSettings& settings,
    const std::function<std::unique_ptr<PageRows>(int page, int width, int expected_rows)>& open_page,
    const std::function<bool(int page)>& after_page) {
  cancel_requested_ = false;
  SANE_Handle h = as_handle(handle_);
  set_option(SANE_NAME_SCAN_MODE, std::string(SANE_VALUE_SCAN_MODE_GRAY));
  set_option(SANE_NAME_SCAN_RESOLUTION, settings.dpi);
  set_option(SANE_NAME_BIT_DEPTH, 8);
  set_option("grayify", true);  // the pnm test backend's way of asking for grey
  const bool feeder = settings.source != PaperSource::Flatbed;
  const auto offered = sources();
  if (!offered.empty()) {
    // Pick the source by what backends call it: "Flatbed", "ADF", "Automatic Document Feeder", "ADF Duplex".
    std::string chosen;
    for (const auto& s : offered) {
      const std::string l = lower(s);
      const bool is_feeder = l.find("adf") != std::string::npos || l.find("feeder") != std::string::npos;
      const bool is_duplex = l.find("duplex") != std::string::npos;
      if (settings.source == PaperSource::Flatbed && !is_feeder && chosen.empty()) chosen = s;
      if (settings.source == PaperSource::Feeder && is_feeder && !is_duplex && chosen.empty()) chosen = s;
      if (settings.source == PaperSource::FeederDuplex && is_feeder && is_duplex) chosen = s;
    }
    if (chosen.empty() && settings.source == PaperSource::FeederDuplex)  // duplex not offered: one-sided feeder
      for (const auto& s : offered)
        if (chosen.empty() &&
            (lower(s).find("adf") != std::string::npos || lower(s).find("feeder") != std::string::npos))
          chosen = s;
    if (!chosen.empty()) set_option(SANE_NAME_SCAN_SOURCE, chosen);
  }
  int pages = 0;
  for (;;) {
    if (cancel_requested_) throw ScanError("cancelled", "The scan was stopped.");
    SANE_Status status = sane_start(h);
    if (status == SANE_STATUS_EOF && pages > 0) {
      // Some backends (pnm among them) want the finished frame closed before the next sheet.
      sane_cancel(h);
      status = sane_start(h);
    }
    if (status == SANE_STATUS_NO_DOCS && feeder && pages > 0) break;  // feeder is empty: batch done
    if (status != SANE_STATUS_GOOD) {
      sane_cancel(h);
      if (cancel_requested_) throw ScanError("cancelled", "The scan was stopped.");
      throw_status(status, name_);
    }
    // Alive until after_page has taken the page.
    std::unique_ptr<RowsOnFirstRow> rows;
    try {
      SANE_Parameters p{};
      status = sane_get_parameters(h, &p);
      if (status != SANE_STATUS_GOOD) throw_status(status, name_);
      // A backend's line length is checked against its pixels before any line is read: a short
      // one would make the conversion read past the line, a huge one allocate without bound.
      if (p.bytes_per_line <= 0 || p.pixels_per_line <= 0 || p.pixels_per_line > 20000 || p.lines > 30000 ||
          p.bytes_per_line < bytes_needed_per_line(p) || p.bytes_per_line > bytes_needed_per_line(p) + 4096)
        throw ScanError("io-error", "The scanner sent a page of an impossible size.");
      rows = std::make_unique<RowsOnFirstRow>([&open_page, page = pages + 1, width = p.pixels_per_line,
                                               lines = p.lines] { return open_page(page, width, lines); });
      read_frame_rows(h, name_, cancel_requested_, p, *rows);
    } catch (const ScanError& e) {
      sane_cancel(h);
      if (cancel_requested_ && e.code() != "cancelled") throw ScanError("cancelled", "The scan was stopped.");
      if (e.code() == "no-paper" && feeder && pages > 0) break;
      throw;
    } catch (...) {  // e.g. no memory, or the page file could not be written: the frame is closed too
      sane_cancel(h);
      throw;
    }
    ++pages;
    const bool go_on = after_page(pages);
    if (!feeder || !go_on || (settings.max_pages > 0 && pages >= settings.max_pages)) break;
  }
  sane_cancel(h);  // ends the scan session (needed after the last frame)
  return pages;
}

}  // namespace scanners
