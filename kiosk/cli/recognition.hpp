#pragma once
// Reading filled-in sheets from image files, shared by kioskctl (recognize, scan) and
// kiosk-recognize, the small helper the kiosk's scan service starts for every scan.
#include <string>
#include <vector>

#include "command.hpp"
#include "config.hpp"
#include "scanners/error.hpp"
#include "scanners/image.hpp"

namespace kiosk::cli {

// --config FILE, else the installed file when there is one. False (the reason told) when it cannot be read.
bool load_scan_config(const Args& args, Context& ctx, kiosk::Config& config);

// A scanner error as staff and citizens read it: the translated text (ui.default_language),
// then the English detail for the log.
void report_scan_error(Context& ctx, const scanners::ScanError& e, const kiosk::Config& config);

// Recognises `pages` and prints the result (--json, --crops DIR, --key FILE); exit 0 when every
// field was accepted, 1 when something needs review (a person must look), 4 when the
// recogniser cannot run (its error told).
int recognize_and_report(std::vector<scanners::PageImage> pages, const kiosk::Config& config, const Args& args,
                         Context& ctx);

// FILE... [--json] [--crops DIR] [--key FILE] [--config FILE] [--printed FILE]: imports the files and recognises
// them; `usage` is the command line shown when the arguments are wrong.
int recognize_files(Context& ctx, const std::string& usage);

}  // namespace kiosk::cli
