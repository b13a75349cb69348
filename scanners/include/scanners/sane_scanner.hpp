#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "scanners/image.hpp"

namespace scanners {

struct ScannerInfo {
  std::string name;  // SANE device name, e.g. "pnm:0" or "fujitsu:fi-7160:12345"
  std::string vendor;
  std::string model;
  std::string type;
};

enum class PaperSource { Flatbed, Feeder, FeederDuplex };

struct ScanSettings {
  int dpi = 300;
  PaperSource source = PaperSource::Flatbed;
  // Stop after this many pages even if the feeder still has paper (0: no limit).
  int max_pages = 0;
};

class SaneDevice;

// Receives one page's rows as the scanner sends them, 8-bit grey (the kiosk writes them
// straight into the page's PNG file: scanners::PngRowWriter).
class PageRows {
 public:
  virtual ~PageRows() = default;
  // `grey` holds the page's width in pixels.
  virtual void add_row(const std::uint8_t* grey) = 0;
  // The page is complete with `rows` rows (at least one).
  virtual void finish(int rows) = 0;
};

// sane_init() ... sane_exit() for the lifetime of the object. SANE allows one of these per
// process at a time; a second one throws ScanError "sane-busy".
class SaneSession {
 public:
  SaneSession();
  ~SaneSession();
  SaneSession(const SaneSession&) = delete;
  SaneSession& operator=(const SaneSession&) = delete;

  // Every scanner SANE can see (local ones only).
  std::vector<ScannerInfo> list_devices() const;
  // Opens `name`, or the first scanner found when empty. Throws ScanError "no-scanner" or
  // "open-failed" with a plain-language message.
  std::unique_ptr<SaneDevice> open(const std::string& name) const;
};

// One open scanner (sane_open ... sane_close).
class SaneDevice {
 public:
  ~SaneDevice();
  SaneDevice(const SaneDevice&) = delete;
  SaneDevice& operator=(const SaneDevice&) = delete;

  const std::string& name() const { return name_; }
  // The paper sources the scanner offers (its "source" option), e.g. "Flatbed", "ADF Duplex".
  std::vector<std::string> sources() const;
  // Sets an option by its SANE name; for values the backend constrains, the nearest allowed
  // value is used. Returns false when the scanner has no such (active, settable) option.
  bool set_option(const std::string& option, const std::string& value);
  bool set_option(const std::string& option, int value);
  bool set_option(const std::string& option, bool value);

  // Scans one page (flatbed) or every page in the feeder until it is empty. `on_page` is
  // called after each page (return false to stop). Throws ScanError with plain-language
  // messages: "no-paper" (feeder empty before the first page), "jammed", "cover-open",
  // "device-busy", "io-error", "cancelled".
  std::vector<PageImage> scan(const ScanSettings& settings, const std::function<bool(const PageImage&)>& on_page = {});
  // The same, but each page's rows go to the PageRows that `open_page(page number from 1,
  // width in pixels)` returns, as they arrive: no page is held in memory. `open_page` is
  // called when a page's first row arrives. Returns the number of pages scanned: a page
  // opened but not finished (the feeder ran empty part-way) is not counted. Same errors as
  // scan().
  int scan_rows(const ScanSettings& settings,
                const std::function<std::unique_ptr<PageRows>(int page, int width)>& open_page);
  // Asks a running scan to stop (any thread); scan() then throws "cancelled".
  void cancel();

 private:
  friend class SaneSession;
  SaneDevice(void* handle, std::string name);
  // Scans sheets until the flatbed's one is done, the feeder is empty, max_pages are read
  // or `after_page` says stop; `open_page` as for scan_rows. Returns the number of pages.
  int scan_sheets(const ScanSettings& settings,
                  const std::function<std::unique_ptr<PageRows>(int page, int width, int expected_rows)>& open_page,
                  const std::function<bool(int page)>& after_page);

  void* handle_;
  std::string name_;
  std::atomic<bool> cancel_requested_{false};
};

}  // namespace scanners
