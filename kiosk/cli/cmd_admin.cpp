// kioskctl doctor | config example | config check | setup
#include <unistd.h>

#include <iostream>
#include <ostream>

#include "admin/checks.hpp"
#include "admin/config_file.hpp"
#include "admin/qr_keys.hpp"
#include "admin/setup.hpp"
#include "admin/start_gate.hpp"
#include "command.hpp"
#include "config.hpp"
#include "kiosk_flow/session.hpp"
#include "print/error.hpp"
#include "print/qr_key_files.hpp"
#include "staff_pin_input.hpp"
#include "store_key.hpp"

namespace kiosk::cli {

namespace {

bool parse_count(const std::optional<std::string>& text, std::uint64_t& out) {
  if (!text) return true;
  if (text->empty() || text->find_first_not_of("0123456789") != std::string::npos) return false;
  out = std::stoull(*text);
  return true;
}

int doctor(Context& ctx) {
  const std::string usage =
      "doctor [--json] [--config FILE] [--skip-devices] [--skip-broker] [--min-free-mb N] [--timeout-ms N]";
  Args args(ctx.args, {"--config", "--min-free-mb", "--timeout-ms"}, {"--json", "--skip-devices", "--skip-broker"});
  std::uint64_t min_free_mb = 500, timeout_ms = 3000;
  if (!args.ok() || !args.positional().empty() || !parse_count(args.value("--min-free-mb"), min_free_mb) ||
      !parse_count(args.value("--timeout-ms"), timeout_ms)) {
    ctx.err << (args.ok() ? "--min-free-mb and --timeout-ms take a whole number" : args.error()) << "\nUsage: kioskctl "
            << usage << "\n";
    return kExitUsage;
  }
  admin::DoctorOptions options;
  options.config_file = args.value("--config").value_or("");
  options.min_free_bytes = min_free_mb * 1024 * 1024;
  options.network_timeout = std::chrono::milliseconds(timeout_ms);
  options.skip_devices = args.has("--skip-devices");
  options.skip_broker = args.has("--skip-broker");
  const admin::DoctorReport report = admin::run_doctor(options);
  if (args.has("--json")) {
    ctx.out << report.to_json().dump(2) << "\n";
  } else {
    for (const auto& c : report.checks) {
      std::string label = admin::to_string(c.status);
      label.resize(8, ' ');
      ctx.out << label << c.title << ": " << c.message;
      if (!c.fix.empty()) ctx.out << " Fix: " << c.fix;
      ctx.out << "\n";
    }
    ctx.out << (report.ok() ? "Everything needed works.\n" : "Something is wrong: see the lines marked failed.\n");
  }
  return report.ok() ? kExitOk : kExitFailed;
}

int config_example(Context& ctx) {
  Args args(ctx.args, {}, {});
  if (!args.ok() || !args.positional().empty()) {
    ctx.err << (args.ok() ? "no arguments expected" : args.error()) << "\nUsage: kioskctl config example\n";
    return kExitUsage;
  }
  ctx.out << Config::example_toml();
  return kExitOk;
}

int config_check(Context& ctx) {
  Args args(ctx.args, {"--config"}, {});
  if (!args.ok() || !args.positional().empty()) {
    ctx.err << (args.ok() ? "unexpected argument" : args.error()) << "\nUsage: kioskctl config check [--config FILE]\n";
    return kExitUsage;
  }
  const std::filesystem::path file = args.value("--config").value_or(Config::default_path().string());
  try {
    const Config config = Config::load(file);
    for (const auto& w : config.warnings()) ctx.err << "warning: " << w << "\n";
    ctx.out << file.string() << " is valid"
            << (config.warnings().empty() ? "." : " (" + std::to_string(config.warnings().size()) + " warning(s)).")
            << "\n";
    return kExitOk;
  } catch (const ConfigError& e) {
    ctx.err << e.what() << "\n";
    return kExitBadInput;
  }
}

int setup_list(Context& ctx) {
  int rc = kExitOk;
  try {
    const auto printers = admin::discover_printers();
    ctx.out << "Printers (CUPS):" << (printers.empty() ? " none" : "") << "\n";
    for (const auto& p : printers)
      ctx.out << "  " << p.name << (p.is_default ? " (default)" : "") << "  " << p.state << "  " << p.description
              << "\n";
  } catch (const admin::SetupError& e) {
    ctx.err << e.what() << "\n";
    rc = kExitUnavailable;
  }
  try {
    const auto scanners = admin::discover_scanners();
    ctx.out << "Scanners (SANE):" << (scanners.empty() ? " none" : "") << "\n";
    for (const auto& s : scanners) ctx.out << "  " << s.device << "  " << s.vendor << " " << s.model << "\n";
  } catch (const admin::SetupError& e) {
    ctx.err << e.what() << "\n";
    rc = kExitUnavailable;
  }
  return rc;
}

// Whether the store already has staff members (a store that cannot be read: not known, not said).
bool members_exist(const Config& config) {
  try {
    return admin::count_active_staff_members(config.get_path("store.path")) > 0;
  } catch (const admin::SetupError&) {
    return false;
  }
}

// Setup's part of the QR key ring: the kiosk's own key when there is none yet (never replaced:
// sheets printed with it must still verify), and the operator's key when the certificate
// folder has one (qr-operator.key), so sheets printed at the operator's other kiosks verify.
void setup_qr_keys(Context& ctx, const Config& config, const std::optional<std::string>& certs_from) {
  const auto key_file = config.get_path("print.mac_key_file");
  if (admin::ensure_qr_key(config))
    ctx.out << "made the QR code key " << key_file.string() << " (back it up with the store key)\n";
  if (!certs_from) return;
  const auto operator_key = std::filesystem::path(*certs_from) / print::kOperatorQrKeyFileName;
  std::error_code ec;
  if (!std::filesystem::exists(operator_key, ec)) return;
  try {
    const auto id =
        print::import_qr_operator_key(key_file, operator_key, {admin::kiosk_user_uid(), admin::kiosk_user_gid()});
    ctx.out << "imported the operator QR code key " << id << "\n";
  } catch (const print::PrintError& e) {
    throw admin::SetupError(e.what());
  }
}

// A one-time code that opens the on-screen setup on a kiosk already in use (start_gate.hpp).
int setup_screen_code(Context& ctx, const std::string& usage) {
  // Parsed again with only its own flags: anything else of the setup is refused, not ignored.
  Args args(ctx.args, {"--config", "--valid-minutes"}, {"--screen-code"});
  std::uint64_t minutes = admin::kScreenCodeDefaultLifetime.count();
  if (!args.ok() || !args.positional().empty() || !args.has("--screen-code") ||
      !parse_count(args.value("--valid-minutes"), minutes)) {
    ctx.err << "--screen-code goes alone, with --valid-minutes N (a whole number) and --config FILE at most.\nUsage: "
               "kioskctl "
            << usage << "\n";
    return kExitUsage;
  }
  const std::filesystem::path file = args.value("--config").value_or(Config::default_path().string());
  if (minutes < 1 || minutes > 24 * 60) {
    ctx.err << "A screen code is valid for 1 minute to 24 hours: --valid-minutes takes 1 to 1440.\n";
    return kExitBadInput;
  }
  try {
    const std::string code = admin::issue_screen_code(file, std::chrono::minutes(static_cast<std::int64_t>(minutes)));
    ctx.out << "Screen code: " << code.substr(0, 5) << " " << code.substr(5) << "\n"
            << "Type it on the kiosk's touch screen within " << minutes
            << " minutes to open the setup there. It works once; " << admin::kScreenCodeTries
            << " wrong tries end it. Only its hash is kept, in " << admin::screen_code_file(file).string() << ".\n";
    return kExitOk;
  } catch (const admin::SetupError& e) {
    ctx.err << e.what() << "\n";
    return kExitUnavailable;
  }
}

int setup(Context& ctx) {
  const std::string usage =
      "setup [--config FILE] [--list] [--site-name S] [--kiosk-id ID] [--printer QUEUE] [--scanner DEVICE]\n"
      "       [--broker URL] [--reply-queue Q] [--certs-from DIR] [--cert-dir DIR]\n"
      "       [--staff-id N --staff-name NAME] [--pin-stdin]\n"
      "       [--languages nb,nn,se,en] [--default-language L] [--set KEY=VALUE]... [--test-print]\n"
      "       setup --screen-code [--valid-minutes N] [--config FILE]";
  Args args(
      ctx.args,
      {"--config", "--site-name", "--kiosk-id", "--printer", "--scanner", "--broker", "--reply-queue", "--certs-from",
       "--cert-dir", "--languages", "--default-language", "--set", "--staff-id", "--staff-name", "--valid-minutes"},
      {"--list", "--pin-stdin", "--test-print", "--screen-code"});
  if (!args.ok() || !args.positional().empty()) {
    ctx.err << (args.ok() ? "unexpected argument " + args.positional().front() : args.error()) << "\nUsage: kioskctl "
            << usage << "\n";
    return kExitUsage;
  }
  if (args.has("--list")) return setup_list(ctx);
  if (args.has("--screen-code") || args.has("--valid-minutes")) return setup_screen_code(ctx, usage);
  // The first staff member (their own number, name and PIN) instead of the shared staff PIN.
  const bool member = args.has("--staff-id") || args.has("--staff-name");
  if (member && !(args.has("--staff-id") && args.has("--staff-name") && args.has("--pin-stdin"))) {
    ctx.err << "A staff member needs --staff-id, --staff-name and --pin-stdin (the PIN is read from standard "
               "input).\nUsage: kioskctl "
            << usage << "\n";
    return kExitUsage;
  }
  std::string pin;
  struct WipeOnExit {
    std::string& text;
    ~WipeOnExit() { flow::wipe_string(text); }
  } wipe{pin};
  if (args.has("--pin-stdin")) {
    pin = read_staff_pin(ctx);
    if (pin.empty()) return kExitBadInput;
  }

  const std::filesystem::path file = args.value("--config").value_or(Config::default_path().string());
  const admin::ConfigFile read = admin::load_config_file(file);
  if (read.exists && !read.valid()) {
    ctx.err << read.error << "\nCorrect that line first (or move the file away to start from the defaults).\n";
    return kExitBadInput;
  }
  Config config = read.config.value_or(Config());
  // Relative paths given here mean what they would mean in the file: against its folder.
  if (!read.config) config.set_base_dir(std::filesystem::absolute(file).parent_path());
  try {
    auto set_if = [&](const char* flag, const char* key) {
      if (auto v = args.value(flag)) admin::set_from_text(config, key, *v);
    };
    set_if("--site-name", "site.name");
    set_if("--kiosk-id", "site.kiosk_id");
    set_if("--reply-queue", "broker.reply_queue");
    set_if("--languages", "ui.languages");
    set_if("--default-language", "ui.default_language");
    for (const auto& assignment : args.values("--set")) {
      const auto eq = assignment.find('=');
      if (eq == std::string::npos) throw admin::SetupError("--set needs KEY=VALUE, e.g. --set ui.theme=high-contrast");
      admin::set_from_text(config, assignment.substr(0, eq), assignment.substr(eq + 1));
    }
    if (auto broker = args.value("--broker")) {
      admin::parse_broker_url(*broker);
      config.set("broker.url", *broker);
    }
    if (auto printer = args.value("--printer")) {
      config.set("printer.queue", *printer);
      try {
        bool found = false;
        for (const auto& p : admin::discover_printers()) found = found || p.name == *printer;
        if (!found) ctx.err << "warning: CUPS has no printer \"" << *printer << "\" now (see kioskctl setup --list).\n";
      } catch (const admin::SetupError& e) {
        ctx.err << "warning: " << e.what() << "\n";
      }
    }
    if (auto scanner = args.value("--scanner")) {
      config.set("scanner.device", *scanner);
      bool found = false;
      for (const auto& s : admin::discover_scanners()) found = found || s.device == *scanner;
      if (!found) ctx.err << "warning: SANE finds no scanner \"" << *scanner << "\" now (see kioskctl setup --list).\n";
    }
    if (args.has("--pin-stdin") && !member) config.set("staff.pin_hash", admin::hash_staff_pin(pin));
    admin::validate_languages(config.get_list("ui.languages"), config.get_string("ui.default_language"));
    if (auto source = args.value("--certs-from")) {
      const std::filesystem::path cert_dir =
          args.value("--cert-dir").value_or((config.get_path("store.path").parent_path() / "certs").string());
      for (const auto& f :
           admin::import_certificates(*source, cert_dir, admin::kiosk_user_uid(), admin::kiosk_user_gid())) {
        ctx.out << "imported " << f.destination.string();
        if (!f.config_key.empty()) {
          config.set(f.config_key, f.destination.string());
          ctx.out << " as " << f.config_key;
        }
        ctx.out << "\n";
      }
    }
    // As root: the store key sealed as a systemd credential before the store is opened (a new
    // key is made sealed; a plain key file from an older install is converted and removed).
    if (::geteuid() == 0 && installed_store_key(config)) {
      try {
        ctx.out << seal_store_key(config, false).message << "\n";
      } catch (const std::runtime_error& e) {
        throw admin::SetupUnavailable(std::string("The store key could not be sealed: ") + e.what());
      }
    }
    setup_qr_keys(ctx, config, args.value("--certs-from"));
    if (member) {
      const std::string id = *args.value("--staff-id");
      Config with_key = config;  // never written back: its key path may be a memory file
      use_store_key(with_key);
      admin::add_staff_member(with_key, id, *args.value("--staff-name"), pin);
      ctx.out << "added staff member " << id << " to " << config.get_path("store.path").string()
              << " (they sign in with this number and their PIN)\n";
    } else if (args.has("--pin-stdin") && members_exist(config)) {
      ctx.err << "warning: staff members exist, so the shared staff PIN does not open staff mode (kioskctl staff "
                 "list).\n";
    }
    admin::write_config(file, config);
    ctx.out << "wrote " << file.string() << "\n";
    if (args.has("--test-print")) {
      const int job = admin::print_test_page(config.get_string("printer.queue"), config.get_string("site.name"));
      ctx.out << "test page sent (CUPS job " << job << ")\n";
    }
  } catch (const admin::SetupUnavailable& e) {
    ctx.err << e.what() << "\n";
    return kExitUnavailable;
  } catch (const admin::SetupError& e) {
    ctx.err << e.what() << "\n";
    return kExitBadInput;
  } catch (const ConfigError& e) {
    ctx.err << e.what() << "\n";
    return kExitBadInput;
  }
  ctx.out << "Now run: kioskctl doctor --config " << file.string() << "\n";
  return kExitOk;
}

int undelivered(Context& ctx) {
  Args args(ctx.args, {"--config", "--store"}, {});
  if (!args.ok() || !args.positional().empty()) {
    ctx.err << (args.ok() ? "unexpected argument" : args.error())
            << "\nUsage: kioskctl admin undelivered [--config FILE] [--store FILE]\n";
    return kExitUsage;
  }
  std::filesystem::path store_file;
  if (auto store = args.value("--store")) {
    store_file = *store;
  } else {
    const std::filesystem::path file = args.value("--config").value_or(Config::default_path().string());
    // A removed or broken configuration still has the default store path.
    const admin::ConfigFile read = admin::load_config_file(file);
    if (read.exists && !read.valid()) ctx.err << "warning: " << read.error << " (using the default store path)\n";
    store_file = read.config.value_or(Config()).get_path("store.path");
  }
  try {
    ctx.out << admin::count_undelivered(store_file) << "\n";
    return kExitOk;
  } catch (const std::exception& e) {
    ctx.err << e.what() << "\n";
    return kExitUnavailable;
  }
}

const CommandRegistration registration{
    Command{"doctor",
            "doctor [--json] [--config FILE] [--skip-devices] [--skip-broker] [--min-free-mb N] [--timeout-ms N]",
            "check every part of the installation; one line per check", doctor},
    Command{"config example", "config example", "print the documented configuration file with every default",
            config_example},
    Command{"config check", "config check [--config FILE]", "check a configuration file (errors name the line)",
            config_check},
    Command{"setup",
            "setup [--list] [--config FILE] [--printer Q] [--scanner D] [--broker URL] [--certs-from DIR] "
            "[--staff-id N --staff-name NAME] [--pin-stdin] ...",
            "first-run setup without the touch screen (writes the configuration, adds the first staff member)", setup},
    Command{"admin undelivered", "admin undelivered [--config FILE] [--store FILE]",
            "print how many submissions are not yet delivered (used before a purge)", undelivered},
};

}  // namespace

}  // namespace kiosk::cli
