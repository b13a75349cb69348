// kioskctl demo: the scripted demo that README command 1 runs where there is no display.
// It grows with each part of the product; each step writes what it did into --out.
#include <filesystem>
#include <fstream>
#include <ostream>

#include "command.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"

namespace kiosk::cli {

namespace {

int demo(Context& ctx) {
  Args args(ctx.args, {"--out", "--config"}, {});
  if (!args.ok() || !args.value("--out")) {
    ctx.err << (args.ok() ? "--out DIR is required" : args.error()) << "\nUsage: kioskctl demo --out DIR [--config FILE]\n";
    return kExitUsage;
  }
  const std::filesystem::path out_dir = *args.value("--out");
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    ctx.err << "Cannot create the demo folder " << out_dir << ": " << ec.message() << "\n";
    return kExitUnavailable;
  }
  const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
  std::ofstream list(out_dir / "catalogue.txt");
  for (const auto& q : catalogue.forms()) list << q.id << "\t" << q.category << "\t" << q.title.get("nb") << "\n";
  if (!list) {
    ctx.err << "Cannot write to the demo folder " << out_dir << "\n";
    return kExitUnavailable;
  }
  std::ofstream summary(out_dir / "summary.txt");
  summary << "Helsenorge ekstra enkel kiosk: scripted demo\n"
          << "1. Loaded the form catalogue: " << catalogue.forms().size() << " forms (catalogue.txt)\n";
  ctx.out << "Demo: " << catalogue.forms().size() << " forms in the catalogue. Results are in " << out_dir.string()
          << "\n";
  return kExitOk;
}

const CommandRegistration registration{
    Command{"demo", "demo --out DIR [--config FILE]",
         "Run the scripted demo session and write what it did (screenshots, summary) into DIR", demo}};

}  // namespace

}  // namespace kiosk::cli
