// kioskctl recognize FILE... --json [--crops DIR] | scan [--device NAME] [--batch] | scanners
// (recognition itself: recognition.cpp, shared with kiosk-recognize)
#include <filesystem>
#include <ostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/translations.hpp"
#include "recognition.hpp"
#include "scanners/error.hpp"
#include "scanners/image.hpp"
#include "scanners/sane_scanner.hpp"

namespace kiosk::cli {

namespace {

int scan_cmd(Context& ctx) {
  const std::string usage =
      "scan [--device NAME] [--batch] [--duplex] [--json] [--crops DIR] [--key FILE] [--config FILE] [--printed FILE]";
  Args args(ctx.args, {"--device", "--crops", "--key", "--config", "--printed"}, {"--batch", "--duplex", "--json"});
  if (!args.ok() || !args.positional().empty()) {
    ctx.err << (args.ok() ? "" : args.error() + "\n") << "Usage: kioskctl " << usage << "\n";
    return kExitUsage;
  }
  kiosk::Config config;
  if (!load_scan_config(args, ctx, config)) return kExitBadInput;
  std::vector<scanners::PageImage> pages;
  try {
    scanners::SaneSession session;
    auto device = session.open(args.value("--device").value_or(config.get_string("scanner.device")));
    scanners::ScanSettings settings;
    settings.dpi = static_cast<int>(config.get_int("scanner.resolution_dpi"));
    settings.source = args.has("--duplex")  ? scanners::PaperSource::FeederDuplex
                      : args.has("--batch") ? scanners::PaperSource::Feeder
                                            : scanners::PaperSource::Flatbed;
    pages = device->scan(settings);
  } catch (const scanners::ScanError& e) {
    report_scan_error(ctx, e, config);
    return kExitUnavailable;
  }
  return recognize_and_report(std::move(pages), config, args, ctx);
}

int scanners_cmd(Context& ctx) {
  Args args(ctx.args, {}, {"--json"});
  if (!args.ok()) {
    ctx.err << args.error() << "\nUsage: kioskctl scanners [--json]\n";
    return kExitUsage;
  }
  try {
    scanners::SaneSession session;
    const auto devices = session.list_devices();
    if (args.has("--json")) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& d : devices)
        list.push_back({{"name", d.name}, {"vendor", d.vendor}, {"model", d.model}, {"type", d.type}});
      ctx.out << list.dump(2) << "\n";
    } else {
      if (devices.empty()) {
        const auto translations = forms::Translations::load_directory(forms::assets_dir() / "i18n");
        ctx.out << translations.text(kiosk::Config{}.get_string("ui.default_language"), "scan.error.no-scanner")
                << "\n";
      }
      for (const auto& d : devices) ctx.out << d.name << "  " << d.vendor << " " << d.model << "\n";
    }
    return devices.empty() ? kExitUnavailable : kExitOk;
  } catch (const scanners::ScanError& e) {
    report_scan_error(ctx, e, kiosk::Config{});
    return kExitUnavailable;
  }
}

const CommandRegistration registration{
    Command{"recognize", "recognize FILE... [--json] [--crops DIR] [--key FILE] [--config FILE] [--printed FILE]",
            "Read filled-in paper forms from image files (PNG, JPEG, TIFF, PDF); exit 1 when something needs review",
            [](Context& ctx) {
              return recognize_files(
                  ctx,
                  "kioskctl recognize FILE... [--json] [--crops DIR] [--key FILE] [--config FILE] [--printed FILE]");
            }},
    Command{"scan",
            "scan [--device NAME] [--batch] [--duplex] [--json] [--crops DIR] [--key FILE] [--config FILE] [--printed "
            "FILE]",
            "Scan pages with the scanner (flatbed, or the feeder until empty) and read them", scan_cmd},
    Command{"scanners", "scanners [--json]", "List the scanners SANE can see", scanners_cmd}};

}  // namespace

}  // namespace kiosk::cli
