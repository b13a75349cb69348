// kioskctl held list: the sheets waiting for staff review (kept in the store by the kiosk).
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "kiosk_staff/held.hpp"
#include "store/store.hpp"
#include "store_errors.hpp"

namespace kiosk::cli {

namespace {

const char* kHeldListUsage = "held list [--json] [--lang L] [--config FILE] [--store FILE]";

// Lists what the staff review screen lists: reference, form, where it came from, when, and
// how many values staff must check. No answers and no identity numbers: those stay sealed.
int held_list(Context& ctx) {
  Args args(ctx.args, {"--lang", "--config", "--store"}, {"--json"});
  if (!args.ok() || !args.positional().empty()) {
    ctx.err << (args.ok() ? "unexpected argument" : args.error()) << "\nUsage: kioskctl " << kHeldListUsage << "\n";
    return kExitUsage;
  }
  try {
    const std::filesystem::path file = args.value("--config").value_or(Config::default_path().string());
    Config config = (args.has("--config") || std::filesystem::exists(file)) ? Config::load(file) : Config();
    if (auto store = args.value("--store")) {
      const auto path = std::filesystem::absolute(*store);
      config.set("store.path", path.string());
      if (!config.is_set("store.key_file")) config.set("store.key_file", path.string() + ".key");
    }
    const auto db_file = config.get_path("store.path");
    // Opening would create an empty store: an admin who typed the wrong path is told instead.
    if (!std::filesystem::exists(db_file)) {
      ctx.err << "There is no kiosk store at " << db_file.string() << " (check store.path or --store).\n";
      return kExitUnavailable;
    }
    auto store = store::Store::open(db_file, config.get_path("store.key_file"));
    const auto held = staff::list_held(store);
    const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
    const std::string lang = args.value("--lang").value_or(config.get_string("ui.default_language"));
    auto title_of = [&](const std::string& form_id) {
      const auto* form = catalogue.find(form_id);
      return form ? form->title.get(lang) : form_id;
    };
    if (args.has("--json")) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& h : held)
        list.push_back({{"reference", h.reference},
                        {"form", h.form_id},
                        {"title", title_of(h.form_id)},
                        {"source", h.source},
                        {"created", h.created_at},
                        {"fieldsToCheck", h.fields_to_check}});
      ctx.out << nlohmann::json{{"held", list}}.dump(2) << "\n";
      return kExitOk;
    }
    if (held.empty()) ctx.out << "No sheets are waiting for staff review.\n";
    for (const auto& h : held)
      ctx.out << h.reference << "  " << h.created_at << "  " << title_of(h.form_id) << " (" << h.form_id << ")  "
              << (h.source == "desk" ? "scanned at the desk" : "left by the citizen") << "  " << h.fields_to_check
              << (h.fields_to_check == 1 ? " value to check" : " values to check") << "\n";
    return kExitOk;
  } catch (const ConfigError& e) {
    ctx.err << "Configuration problem: " << e.what() << "\n";
    return kExitBadInput;
  } catch (const store::StoreError& e) {
    return report_store_error(ctx, e);
  }
}

const CommandRegistration registration{Command{
    "held list", kHeldListUsage,
    "List the sheets waiting for staff review (reference, form, when, values to check; no personal data)", held_list}};

}  // namespace

}  // namespace kiosk::cli
