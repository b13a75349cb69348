// kioskctl keys list | keys rotate-qr | keys import-qr FILE: the QR key ring (print/qr_key_files.hpp).
#include <ctime>
#include <ostream>

#include <nlohmann/json.hpp>

#include "admin/checks.hpp"
#include "command.hpp"
#include "command_config.hpp"
#include "print/error.hpp"
#include "print/qr_key_files.hpp"

namespace kiosk::cli {

namespace {

print::KeyFileOwner owner() {
  return {admin::kiosk_user_uid(), admin::kiosk_user_gid()};
}

std::string date_text(std::time_t t) {
  char text[32] = "-";
  std::tm tm{};
  if (t > 0 && ::gmtime_r(&t, &tm)) std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &tm);
  return text;
}

int keys_list(Context& ctx) {
  const std::string usage = "keys list [--config FILE] [--json]";
  Args args(ctx.args, {"--config"}, {"--json"});
  if (!args.ok() || !args.positional().empty()) {
    ctx.err << (args.ok() ? "unexpected argument" : args.error()) << "\nUsage: kioskctl " << usage << "\n";
    return kExitUsage;
  }
  try {
    const Config config = load_config(args);
    const auto keys = print::list_qr_keys(config.get_path("print.mac_key_file"));
    bool all_usable = true;
    nlohmann::json list = nlohmann::json::array();
    for (const auto& k : keys) {
      all_usable = all_usable && k.problem.empty();
      nlohmann::json j = {
          {"id", k.id}, {"role", print::to_string(k.role)}, {"since", date_text(k.since)}, {"file", k.file.string()}};
      if (!k.problem.empty()) j["problem"] = k.problem;
      list.push_back(std::move(j));
    }
    if (args.has("--json")) {
      ctx.out << nlohmann::json{{"qr_keys", list}}.dump(2) << "\n";
    } else {
      // Never the key bytes: the id is all anyone needs to tell keys apart.
      ctx.out << "QR code keys (new sheets are signed with the current one; all are accepted when scanned):\n";
      for (const auto& k : keys) {
        std::string role = print::to_string(k.role);
        role.resize(9, ' ');
        ctx.out << "  " << (k.id.empty() ? "--------" : k.id) << "  " << role << "  " << date_text(k.since) << "  "
                << k.file.string() << (k.problem.empty() ? "" : "  NOT USABLE: " + k.problem) << "\n";
      }
    }
    return all_usable ? kExitOk : kExitFailed;
  } catch (const ConfigError& e) {
    return report_config_error(ctx, e);
  }
}

int keys_rotate(Context& ctx) {
  const std::string usage = "keys rotate-qr [--config FILE]";
  Args args(ctx.args, {"--config"}, {});
  if (!args.ok() || !args.positional().empty()) {
    ctx.err << (args.ok() ? "unexpected argument" : args.error()) << "\nUsage: kioskctl " << usage << "\n";
    return kExitUsage;
  }
  try {
    const Config config = load_config(args);
    const auto keep = static_cast<int>(config.get_int("print.qr_previous_keys"));
    const auto r = print::rotate_qr_key(config.get_path("print.mac_key_file"), keep, owner());
    ctx.out << "New current QR key " << r.new_id << ". The previous key " << r.old_id
            << " is kept: sheets printed with it are still accepted (the newest " << keep
            << " previous keys are kept, print.qr_previous_keys).\n";
    for (const auto& id : r.dropped)
      ctx.out << "Dropped the old key " << id << ": sheets printed with it now go to staff review.\n";
    ctx.out << "Back up the new key with the store key.\n";
    return kExitOk;
  } catch (const ConfigError& e) {
    return report_config_error(ctx, e);
  } catch (const print::PrintError& e) {
    ctx.err << e.what() << "\n";
    return kExitUnavailable;
  }
}

int keys_import(Context& ctx) {
  const std::string usage = "keys import-qr FILE [--config FILE]";
  Args args(ctx.args, {"--config"}, {});
  if (!args.ok() || args.positional().size() != 1) {
    ctx.err << (args.ok() ? "give one key file" : args.error()) << "\nUsage: kioskctl " << usage << "\n";
    return kExitUsage;
  }
  try {
    const Config config = load_config(args);
    const auto id =
        print::import_qr_operator_key(config.get_path("print.mac_key_file"), args.positional().front(), owner());
    ctx.out << "Imported the operator QR key " << id
            << ": sheets printed at any kiosk with this key are accepted here.\n";
    return kExitOk;
  } catch (const ConfigError& e) {
    return report_config_error(ctx, e);
  } catch (const print::PrintError& e) {
    ctx.err << e.what() << "\n";
    return e.code() == "qr-key-import" ? kExitBadInput : kExitUnavailable;
  }
}

const CommandRegistration registration{
    Command{"keys list", "keys list [--config FILE] [--json]",
            "list the QR code keys the kiosk accepts (ids, roles and dates; never the keys)", keys_list},
    Command{"keys rotate-qr", "keys rotate-qr [--config FILE]",
            "make a new QR code key; the old one is kept so sheets printed with it are still accepted", keys_rotate},
    Command{"keys import-qr", "keys import-qr FILE [--config FILE]",
            "import an operator-wide QR code key, so sheets printed at other kiosks are accepted", keys_import},
};

}  // namespace

}  // namespace kiosk::cli
