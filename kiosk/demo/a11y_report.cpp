// kiosk-demo a11y-report (run by `kioskctl a11y-report`): walks every screen of every form in
// every language with the real screens (no window) and prints every "ekstra enkel" rule a
// screen breaks.
#include <filesystem>
#include <ostream>

#include "command.hpp"
#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_ui/a11y.hpp"

namespace kiosk::cli {

namespace {

int a11y_report(Context& ctx) {
  Args args(ctx.args, {"--config"}, {"--json"});
  if (!args.ok()) {
    ctx.err << args.error() << "\nUsage: kioskctl a11y-report [--json] [--config FILE]\n";
    return kExitUsage;
  }
  Config config;
  std::error_code ec;
  if (auto file = args.value("--config")) {
    config = Config::load(*file);
  } else if (std::filesystem::exists(Config::default_path(), ec)) {
    config = Config::load(Config::default_path());
  }
  const auto assets = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
  const auto translations = forms::Translations::load_directory(assets / "i18n");
  const auto rules = forms::RepresentationRules::load(assets / "representation.json");
  const auto reports = ui::walk_all_screens(catalogue, translations, rules, flow::FlowOptions::from_config(config));
  size_t violations = 0;
  for (const auto& r : reports) violations += r.violations.size();
  if (args.has("--json"))
    ctx.out << ui::report_json(reports).dump(2) << "\n";
  else
    ctx.out << ui::report_text(reports);
  return violations == 0 ? kExitOk : kExitFailed;
}

const CommandRegistration registration{
    Command{"a11y-report", "a11y-report [--json] [--config FILE]",
            "Check every kiosk screen against the ekstra enkel rules; prints one line per problem (none when clean)",
            a11y_report}};

}  // namespace

}  // namespace kiosk::cli
