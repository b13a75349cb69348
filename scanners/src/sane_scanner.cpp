#include "scanners/sane_scanner.hpp"

#include <sane/sane.h>
#include <sane/saneopts.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <mutex>

#include "scanners/error.hpp"

namespace scanners {

namespace {

std::mutex g_session_mutex;
bool g_session_active = false;

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

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

SaneSession::SaneSession() {
  std::lock_guard lock(g_session_mutex);
  if (g_session_active) throw ScanError("sane-busy", "The scanner is already in use by this program.");
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

// 8-bit grey with a known height, the usual case: the lines go straight into the page, with
// no second page-sized buffer (8.7 MB at 300 dpi) beside it while the kiosk draws.
PageImage SaneDevice::read_grey_page(int width, int lines) {
  SANE_Handle h = as_handle(handle_);
  PageImage page;
  page.source = name_;
  page.grey = cv::Mat(lines, width, CV_8UC1);
  const size_t capacity = page.grey.total();
  const size_t max_bytes = static_cast<size_t>(width) * 30000;
  size_t filled = 0;
  std::vector<std::uint8_t> more;  // lines past the announced height (a backend that miscounted)
  std::vector<SANE_Byte> spill(65536);
  for (;;) {
    if (cancel_requested_) throw ScanError("cancelled", "The scan was stopped.");
    SANE_Int len = 0;
    SANE_Byte* into = filled < capacity ? page.grey.data + filled : spill.data();
    const size_t room = filled < capacity ? std::min<size_t>(capacity - filled, 65536) : spill.size();
    const SANE_Status status = sane_read(h, into, static_cast<SANE_Int>(room), &len);
    if (status == SANE_STATUS_EOF) break;
    if (status != SANE_STATUS_GOOD) throw_status(status, name_);
    if (filled >= capacity) more.insert(more.end(), spill.begin(), spill.begin() + len);
    filled += static_cast<size_t>(len);
    if (filled > max_bytes) throw ScanError("io-error", "The scanner sent more data than a page can hold.");
  }
  const int got = static_cast<int>(filled / static_cast<size_t>(width));
  if (got <= 0) throw ScanError("io-error", "The scanner sent an empty page.");
  if (got < lines) page.grey = page.grey.rowRange(0, got);
  if (got > lines) {
    const cv::Mat extra(got - lines, width, CV_8UC1, more.data());
    cv::Mat whole;
    cv::vconcat(page.grey, extra, whole);
    page.grey = whole;
  }
  return page;
}

PageImage SaneDevice::read_page() {
  SANE_Handle h = as_handle(handle_);
  SANE_Parameters p{};
  SANE_Status status = sane_get_parameters(h, &p);
  if (status != SANE_STATUS_GOOD) throw_status(status, name_);
  if (p.bytes_per_line <= 0 || p.pixels_per_line <= 0 || p.pixels_per_line > 20000 || p.lines > 30000)
    throw ScanError("io-error", "The scanner sent a page of an impossible size.");
  if (p.format == SANE_FRAME_GRAY && p.depth == 8 && p.bytes_per_line == p.pixels_per_line && p.lines > 0)
    return read_grey_page(p.pixels_per_line, p.lines);
  std::vector<std::uint8_t> data;
  if (p.lines > 0) data.reserve(static_cast<size_t>(p.bytes_per_line) * static_cast<size_t>(p.lines));
  std::vector<SANE_Byte> buffer(65536);
  const size_t max_bytes = static_cast<size_t>(p.bytes_per_line) * 30000;
  for (;;) {
    if (cancel_requested_) throw ScanError("cancelled", "The scan was stopped.");
    SANE_Int len = 0;
    status = sane_read(h, buffer.data(), static_cast<SANE_Int>(buffer.size()), &len);
    if (status == SANE_STATUS_EOF) break;
    if (status != SANE_STATUS_GOOD) throw_status(status, name_);
    data.insert(data.end(), buffer.begin(), buffer.begin() + len);
    if (data.size() > max_bytes) throw ScanError("io-error", "The scanner sent more data than a page can hold.");
  }
  const int lines = static_cast<int>(data.size() / static_cast<size_t>(p.bytes_per_line));
  if (lines <= 0) throw ScanError("io-error", "The scanner sent an empty page.");
  const int w = p.pixels_per_line;
  PageImage page;
  page.grey = cv::Mat(lines, w, CV_8UC1);
  page.source = name_;
  for (int y = 0; y < lines; ++y) {
    const std::uint8_t* row = data.data() + static_cast<size_t>(y) * static_cast<size_t>(p.bytes_per_line);
    std::uint8_t* out = page.grey.ptr<std::uint8_t>(y);
    for (int x = 0; x < w; ++x) {
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
  return page;
}

std::vector<PageImage> SaneDevice::scan(const ScanSettings& settings,
                                        const std::function<bool(const PageImage&)>& on_page) {
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
  std::vector<PageImage> pages;
  for (;;) {
    if (cancel_requested_) throw ScanError("cancelled", "The scan was stopped.");
    SANE_Status status = sane_start(h);
    if (status == SANE_STATUS_EOF && !pages.empty()) {
      // Some backends (pnm among them) want the finished frame closed before the next sheet.
      sane_cancel(h);
      status = sane_start(h);
    }
    if (status == SANE_STATUS_NO_DOCS && feeder && !pages.empty()) break;  // feeder is empty: batch done
    if (status != SANE_STATUS_GOOD) {
      sane_cancel(h);
      throw_status(status, name_);
    }
    PageImage page;
    try {
      page = read_page();
    } catch (const ScanError& e) {
      sane_cancel(h);
      if (e.code() == "no-paper" && feeder && !pages.empty()) break;
      throw;
    }
    page.dpi_hint = settings.dpi;
    page.source = name_ + " page " + std::to_string(pages.size() + 1);
    pages.push_back(std::move(page));
    const bool go_on = !on_page || on_page(pages.back());
    if (!feeder || !go_on || (settings.max_pages > 0 && static_cast<int>(pages.size()) >= settings.max_pages)) break;
  }
  sane_cancel(h);  // ends the scan session (needed after the last frame)
  return pages;
}

}  // namespace scanners
