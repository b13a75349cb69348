// Printer and scanner checks and discovery. The printer's state and problems come from the
// print library (print::query_printer, the one mapping of CUPS states) and the scanner list
// from kiosk_scanners, so the doctor and the setup see exactly what the kiosk sees.
#include <cups/cups.h>

#include <memory>

#include "admin/checks.hpp"
#include "admin/setup.hpp"
#include "print/cups_connection.hpp"
#include "print/printer.hpp"
#include "scanners/error.hpp"
#include "scanners/sane_scanner.hpp"

namespace kiosk::admin {

namespace {

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
  const auto http = print::connect_cups();
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
  const print::PrinterStatus status = print::query_printer({"", p.name});
  p.state = status.state;
  p.accepting_jobs = status.accepting_jobs;
  return p;
}

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
}

int print_test_page(const std::string& queue, const std::string& site_name) {
  std::string name = queue;
  if (name.empty()) {
    for (const auto& p : discover_printers())
      if (p.is_default) name = p.name;
    if (name.empty()) throw SetupError("There is no default printer. Choose one first.");
  }
  const auto http = print::connect_cups();
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
  try {
    scanners::SaneSession sane;
    std::vector<ScannerInfo> out;
    for (const auto& d : sane.list_devices()) out.push_back({d.name, d.vendor, d.model, d.type});
    return out;
  } catch (const scanners::ScanError& e) {
    throw SetupError(std::string("The scanner system (SANE) could not list scanners: ") + e.what());
  }
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
