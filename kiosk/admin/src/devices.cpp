// Printer (CUPS) and scanner (SANE) checks and discovery, written directly against the C
// libraries so the doctor works before and without the kiosk's own print/scan libraries.
#include <cups/cups.h>
#include <sane/sane.h>

#include <memory>
#include <mutex>

#include "admin/checks.hpp"
#include "admin/setup.hpp"
#if KIOSK_ADMIN_WITH_PRINT
#include "print/printer.hpp"
#endif

namespace kiosk::admin {

namespace {

struct HttpCloser {
  void operator()(http_t* h) const noexcept { httpClose(h); }
};

struct Dests {
  cups_dest_t* list = nullptr;
  int count = 0;
  Dests() = default;
  Dests(const Dests&) = delete;
  Dests& operator=(const Dests&) = delete;
  ~Dests() {
    if (list) cupsFreeDests(count, list);
  }
};

// Asks the CUPS server itself (not network browsing, which takes seconds) for its queues.
// Throws SetupError when the server cannot be reached.
void load_dests(Dests& dests) {
  std::unique_ptr<http_t, HttpCloser> http(
      httpConnect2(cupsServer(), ippPort(), nullptr, AF_UNSPEC, cupsEncryption(), 1, 5000, nullptr));
  if (!http)
    throw SetupError(std::string("Cannot reach the print service (CUPS) at ") + cupsServer() +
                     ". Start it with: systemctl start cups");
  dests.count = cupsGetDests2(http.get(), &dests.list);
  if (dests.count == 0 && cupsLastError() > IPP_STATUS_OK_EVENTS_COMPLETE &&
      cupsLastError() != IPP_STATUS_ERROR_NOT_FOUND)
    throw SetupError(std::string("The print service (CUPS) did not answer: ") + cupsLastErrorString() + ".");
}

std::string option(const cups_dest_t& dest, const char* name) {
  const char* value = cupsGetOption(name, dest.num_options, dest.options);
  return value ? value : "";
}

PrinterInfo to_info(const cups_dest_t& dest) {
  PrinterInfo p;
  p.name = dest.name;
  p.is_default = dest.is_default != 0;
  p.description = option(dest, "printer-info");
  if (p.description.empty()) p.description = option(dest, "printer-make-and-model");
  const std::string state = option(dest, "printer-state");
  p.state = state == "3" ? "idle" : state == "4" ? "printing" : state == "5" ? "stopped" : "unknown";
  p.accepting_jobs = option(dest, "printer-is-accepting-jobs") != "false";
  return p;
}

// Reasons that mean a person must go to the printer.
std::string reason_in_plain_words(const std::string& reasons) {
  if (reasons.find("media-empty") != std::string::npos || reasons.find("media-needed") != std::string::npos)
    return "it is out of paper. Fill the paper tray.";
  if (reasons.find("media-jam") != std::string::npos) return "paper is stuck. Open the printer and remove the paper.";
  if (reasons.find("toner-empty") != std::string::npos || reasons.find("marker-supply-empty") != std::string::npos)
    return "it is out of toner or ink. Replace the cartridge.";
  if (reasons.find("door-open") != std::string::npos || reasons.find("cover-open") != std::string::npos)
    return "a door or cover is open. Close it.";
  if (reasons.find("offline") != std::string::npos || reasons.find("connecting-to-device") != std::string::npos)
    return "it is off or not connected. Check power and cable.";
  return "";
}

#if KIOSK_ADMIN_WITH_PRINT
// The print library's stable problem codes, for the admin.
std::string problem_in_plain_words(const std::string& code) {
  if (code == "out-of-paper") return "it is out of paper. Fill the paper tray.";
  if (code == "paper-jam") return "paper is stuck. Open the printer and remove the paper.";
  if (code == "out-of-toner") return "it is out of toner or ink. Replace the cartridge.";
  if (code == "cover-open") return "a door or cover is open. Close it.";
  if (code == "printer-offline") return "it is off or not connected. Check power and cable.";
  if (code == "printer-stopped") return "CUPS has stopped it after an error.";
  if (code == "printer-not-found") return "CUPS does not know it.";
  return "";
}
#endif

// SANE may only be started once at a time in a process.
std::mutex& sane_mutex() {
  static std::mutex m;
  return m;
}

struct SaneSession {
  SANE_Status status;
  SaneSession() {
    SANE_Int version = 0;
    status = sane_init(&version, nullptr);
  }
  SaneSession(const SaneSession&) = delete;
  SaneSession& operator=(const SaneSession&) = delete;
  ~SaneSession() {
    if (status == SANE_STATUS_GOOD) sane_exit();
  }
};

}  // namespace

std::vector<PrinterInfo> discover_printers() {
  Dests dests;
  load_dests(dests);
  std::vector<PrinterInfo> out;
  for (int i = 0; i < dests.count; ++i)
    if (!dests.list[i].instance) out.push_back(to_info(dests.list[i]));
  return out;
}

CheckResult check_printer(const std::string& queue) {
  CheckResult r;
  r.id = "printer";
  r.title = "Printer";
  std::vector<PrinterInfo> printers;
  try {
    printers = discover_printers();
  } catch (const SetupError&) {
    r.status = CheckStatus::Failed;
    r.message = std::string("The print service (CUPS) at ") + cupsServer() + " cannot be reached or does not answer.";
    r.fix = "Start the print service: systemctl start cups";
    return r;
  }
  const PrinterInfo* found = nullptr;
  for (const auto& p : printers)
    if (queue.empty() ? p.is_default : p.name == queue) found = &p;
  if (!found) {
    r.status = CheckStatus::Failed;
    r.message = queue.empty() ? "There is no default printer." : "There is no printer queue \"" + queue + "\".";
    std::string names;
    for (const auto& p : printers) names += (names.empty() ? "" : ", ") + p.name;
    r.fix = printers.empty() ? "Add the printer in CUPS (lpadmin or http://localhost:631), then set printer.queue."
                             : "Set printer.queue to one of: " + names + " (kioskctl setup --printer NAME).";
    return r;
  }
#if KIOSK_ADMIN_WITH_PRINT
  // The print library's own reading of the printer, so the doctor agrees with the kiosk.
  const print::PrinterStatus status = print::query_printer({"", found->name});
  if (!status.ready()) {
    r.status = CheckStatus::Failed;
    std::string plain;
    for (const auto& p : status.problems) {
      const std::string words = problem_in_plain_words(p.code);
      plain += (plain.empty() ? "" : " ") + (words.empty() ? p.detail + "." : words);
    }
    r.message = "Printer \"" + found->name + "\" is " + status.state +
                (status.accepting_jobs ? "" : " and refuses jobs") + (plain.empty() ? "." : ": " + plain);
    r.fix = "Fix the printer, then run: cupsenable " + found->name + " && cupsaccept " + found->name;
    return r;
  }
  r.message = "Printer \"" + found->name + "\" is " + status.state + ".";
  return r;
#endif
  // Read the state reasons from the full attribute list of this one printer.
  Dests dests;
  load_dests(dests);
  const cups_dest_t* dest = cupsGetDest(found->name.c_str(), nullptr, dests.count, dests.list);
  const std::string reasons = dest ? option(*dest, "printer-state-reasons") : "";
  const std::string plain = reason_in_plain_words(reasons);
  if (found->state == "stopped" || !found->accepting_jobs || !plain.empty()) {
    r.status = CheckStatus::Failed;
    r.message = "Printer \"" + found->name + "\" is " + found->state +
                (found->accepting_jobs ? "" : " and refuses jobs") +
                (plain.empty() ? (reasons.empty() || reasons == "none" ? "." : " (" + reasons + ").") : ": " + plain);
    r.fix = plain.empty() ? "Fix the printer, then run: cupsenable " + found->name + " && cupsaccept " + found->name
                          : "Then run: cupsenable " + found->name;
    return r;
  }
  r.message = "Printer \"" + found->name + "\" is " + found->state + ".";
  return r;
}

int print_test_page(const std::string& queue, const std::string& site_name) {
  std::string name = queue;
  if (name.empty()) {
    for (const auto& p : discover_printers())
      if (p.is_default) name = p.name;
    if (name.empty()) throw SetupError("There is no default printer. Choose one first.");
  }
  std::unique_ptr<http_t, HttpCloser> http(
      httpConnect2(cupsServer(), ippPort(), nullptr, AF_UNSPEC, cupsEncryption(), 1, 5000, nullptr));
  if (!http) throw SetupError("Cannot reach the print service (CUPS). Start it with: systemctl start cups");
  const int job = cupsCreateJob(http.get(), name.c_str(), "Helsenorge kiosk test page", 0, nullptr);
  if (job <= 0) throw SetupError("The printer \"" + name + "\" refused the test page: " + cupsLastErrorString() + ".");
  const std::string text = "Helsenorge kiosk - test page\n\nSite: " + site_name + "\nPrinter queue: " + name +
                           "\n\nIf you can read this, the kiosk can print.\n";
  if (cupsStartDocument(http.get(), name.c_str(), job, "test-page.txt", CUPS_FORMAT_TEXT, 1) != HTTP_STATUS_CONTINUE ||
      cupsWriteRequestData(http.get(), text.data(), text.size()) != HTTP_STATUS_CONTINUE ||
      cupsFinishDocument(http.get(), name.c_str()) != IPP_STATUS_OK) {
    const std::string reason = cupsLastErrorString();
    cupsCancelJob2(http.get(), name.c_str(), job, 0);
    throw SetupError("The test page could not be sent to \"" + name + "\": " + reason + ".");
  }
  return job;
}

std::vector<ScannerInfo> discover_scanners() {
  std::lock_guard lock(sane_mutex());
  SaneSession sane;
  if (sane.status != SANE_STATUS_GOOD)
    throw SetupError(std::string("The scanner system (SANE) did not start: ") + sane_strstatus(sane.status) + ".");
  const SANE_Device** devices = nullptr;
  const SANE_Status status = sane_get_devices(&devices, SANE_FALSE);
  if (status != SANE_STATUS_GOOD)
    throw SetupError(std::string("The scanner system (SANE) could not list scanners: ") + sane_strstatus(status) + ".");
  std::vector<ScannerInfo> out;
  for (size_t i = 0; devices && devices[i]; ++i) {
    const SANE_Device* d = devices[i];
    out.push_back(
        {d->name ? d->name : "", d->vendor ? d->vendor : "", d->model ? d->model : "", d->type ? d->type : ""});
  }
  return out;
}

CheckResult check_scanner(const std::string& device) {
  CheckResult r;
  r.id = "scanner";
  r.title = "Scanner";
  std::vector<ScannerInfo> scanners;
  try {
    scanners = discover_scanners();
  } catch (const SetupError& e) {
    r.status = CheckStatus::Failed;
    r.message = e.what();
    r.fix = "Reinstall the scanner drivers: apt-get install --reinstall libsane1";
    return r;
  }
  if (scanners.empty()) {
    r.status = CheckStatus::Failed;
    r.message = "No scanner was found.";
    r.fix = "Check that the scanner is on and its USB cable is in, then run: scanimage -L";
    return r;
  }
  if (device.empty()) {
    r.message = "Scanner \"" + scanners.front().device + "\" (" + scanners.front().vendor + " " +
                scanners.front().model + ") found; scanner.device is empty, so the kiosk uses it.";
    return r;
  }
  for (const auto& s : scanners) {
    if (s.device == device) {
      r.message = "Scanner \"" + device + "\" (" + s.vendor + " " + s.model + ") found.";
      return r;
    }
  }
  r.status = CheckStatus::Failed;
  std::string names;
  for (const auto& s : scanners) names += (names.empty() ? "" : ", ") + s.device;
  r.message = "Scanner \"" + device + "\" was not found.";
  r.fix = "Check that it is on and connected. Scanners found now: " + names + " (kioskctl setup --scanner NAME).";
  return r;
}

}  // namespace kiosk::admin
