// kioskctl held list: the sheets waiting for staff review (kept in the store by the kiosk).
// kioskctl staff add/list/remove: the staff members who sign in with their own number and PIN.
#include <iostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "command_config.hpp"
#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "kiosk_flow/session.hpp"
#include "kiosk_flow/staff_lock.hpp"
#include "kiosk_staff/held.hpp"
#include "store/staff_members.hpp"
#include "store/store.hpp"
#include "staff_pin_input.hpp"
#include "store_errors.hpp"

namespace kiosk::cli {

namespace {

const char* kHeldListUsage = "held list [--json] [--lang L] [--config FILE] [--store FILE]";
const char* kStaffAddUsage = "staff add --id NUMBER --name NAME --pin-stdin [--config FILE] [--store FILE]";
const char* kStaffListUsage = "staff list [--json] [--config FILE] [--store FILE]";
const char* kStaffSetPinUsage = "staff set-pin --id NUMBER --pin-stdin [--config FILE] [--store FILE]";
const char* kStaffRemoveUsage = "staff remove --id NUMBER [--force] [--config FILE] [--store FILE]";

std::optional<store::Store> open_existing_store(Context& ctx, const Config& config) {
  const auto db_file = config.get_path("store.path");
  if (report_missing_store(ctx, db_file)) return std::nullopt;
  return store::Store::open(db_file, config.get_path("store.key_file"));
}

bool usage_error(Context& ctx, const Args& args, const char* usage) {
  if (args.ok() && args.positional().empty()) return false;
  ctx.err << (args.ok() ? "unexpected argument" : args.error()) << "\nUsage: kioskctl " << usage << "\n";
  return true;
}

int staff_error(Context& ctx, const store::StaffMemberError& e) {
  ctx.err << e.what() << "\n";
  return e.kind() == store::StaffMemberError::Kind::NotFound ? kExitFailed : kExitBadInput;
}

// Loads the configuration, opens the existing store and runs `body` on it; every known
// failure becomes a plain message and exit code (one mapping for every command here).
template <typename Body>
int with_existing_store(Context& ctx, const Args& args, Body body) {
  try {
    const Config config = load_config(args);
    auto store = open_existing_store(ctx, config);
    if (!store) return kExitUnavailable;
    return body(config, *store);
  } catch (const ConfigError& e) {
    return report_config_error(ctx, e);
  } catch (const store::StaffMemberError& e) {
    return staff_error(ctx, e);
  } catch (const store::StoreError& e) {
    return report_store_error(ctx, e);
  }
}

// Lists what the staff review screen lists: reference, form, where it came from, when, and
// how many values staff must check. No answers and no identity numbers: those stay sealed.
int held_list(Context& ctx) {
  Args args(ctx.args, {"--lang", "--config", "--store"}, {"--json"});
  if (usage_error(ctx, args, kHeldListUsage)) return kExitUsage;
  return with_existing_store(ctx, args, [&](const Config& config, store::Store& store) {
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
  });
}

// Opens the existing store, hashes the PIN and hands the hash to `save`; the PIN is wiped
// whatever happens. One error mapping for every command that stores a member's PIN.
template <typename Save>
int store_pin_hash(Context& ctx, const Args& args, std::string& pin, Save save) {
  struct WipeOnExit {
    std::string& text;
    ~WipeOnExit() { flow::wipe_string(text); }
  } wipe{pin};
  return with_existing_store(ctx, args, [&](const Config& config, store::Store& store) {
    const std::string hash = flow::StaffLock::hash_pin(pin);
    flow::wipe_string(pin);
    return save(config, store, hash);
  });
}

// The PIN comes on standard input only (never on the command line, where shell history and
// `ps` would show it); only its Argon2id hash is stored.
int staff_add(Context& ctx) {
  Args args(ctx.args, {"--id", "--name", "--config", "--store"}, {"--pin-stdin"});
  if (usage_error(ctx, args, kStaffAddUsage)) return kExitUsage;
  if (!args.has("--id") || !args.has("--name") || !args.has("--pin-stdin")) {
    ctx.err << "staff add needs --id, --name and --pin-stdin (the PIN is read from standard input).\nUsage: kioskctl "
            << kStaffAddUsage << "\n";
    return kExitUsage;
  }
  const std::string id = *args.value("--id");
  const std::string name = *args.value("--name");
  if (!store::valid_staff_number(id)) {
    ctx.err << "The staff number must be 1 to 8 digits (got \"" << id << "\").\n";
    return kExitBadInput;
  }
  if (!store::valid_staff_name(name)) {
    ctx.err << "The name must be 1 to 40 characters (initials or a name), on one line.\n";
    return kExitBadInput;
  }
  std::string pin = read_staff_pin(ctx);
  if (pin.empty()) return kExitBadInput;
  return store_pin_hash(ctx, args, pin, [&](const Config& config, store::Store& store, const std::string& hash) {
    store::StaffMembers(store).add(id, name, hash, "admin");
    ctx.out << "Added staff member " << id << " (" << name << "). They sign in with this number and their PIN.\n";
    if (!config.get_string("staff.pin_hash").empty())
      ctx.out << "Note: now that staff members exist, the shared staff PIN (staff.pin_hash) no longer opens staff "
                 "mode.\n";
    return kExitOk;
  });
}

// Number, name and whether they may sign in: never a PIN or a hash.
int staff_list(Context& ctx) {
  Args args(ctx.args, {"--config", "--store"}, {"--json"});
  if (usage_error(ctx, args, kStaffListUsage)) return kExitUsage;
  return with_existing_store(ctx, args, [&](const Config&, store::Store& store) {
    const auto members = store::StaffMembers(store).list();
    if (args.has("--json")) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& m : members) {
        nlohmann::json row = {
            {"id", m.id}, {"name", m.name}, {"status", m.active() ? "active" : "removed"}, {"added", m.added_at}};
        if (!m.active()) row["removed"] = m.removed_at;
        list.push_back(std::move(row));
      }
      ctx.out << nlohmann::json{{"members", list}}.dump(2) << "\n";
      return kExitOk;
    }
    if (members.empty())
      ctx.out << "No staff members. Staff mode opens with the shared staff PIN (kioskctl setup --pin-stdin).\n";
    for (const auto& m : members)
      ctx.out << m.id << "  " << m.name << "  "
              << (m.active() ? "added " + m.added_at : "removed " + m.removed_at + " (cannot sign in)") << "\n";
    return kExitOk;
  });
}

// A member who forgot their PIN gets a new one (the old one stops working at once).
int staff_set_pin(Context& ctx) {
  Args args(ctx.args, {"--id", "--config", "--store"}, {"--pin-stdin"});
  if (usage_error(ctx, args, kStaffSetPinUsage)) return kExitUsage;
  if (!args.has("--id") || !args.has("--pin-stdin")) {
    ctx.err << "staff set-pin needs --id and --pin-stdin (the PIN is read from standard input).\nUsage: kioskctl "
            << kStaffSetPinUsage << "\n";
    return kExitUsage;
  }
  const std::string id = *args.value("--id");
  std::string pin = read_staff_pin(ctx);
  if (pin.empty()) return kExitBadInput;
  return store_pin_hash(ctx, args, pin, [&](const Config&, store::Store& store, const std::string& hash) {
    store::StaffMembers(store).set_pin_hash(id, hash, "admin");
    ctx.out << "Staff member " << id << " has a new PIN.\n";
    return kExitOk;
  });
}

int staff_remove(Context& ctx) {
  Args args(ctx.args, {"--id", "--config", "--store"}, {"--force"});
  if (usage_error(ctx, args, kStaffRemoveUsage)) return kExitUsage;
  if (!args.has("--id")) {
    ctx.err << "staff remove needs --id NUMBER.\nUsage: kioskctl " << kStaffRemoveUsage << "\n";
    return kExitUsage;
  }
  const std::string id = *args.value("--id");
  return with_existing_store(ctx, args, [&](const Config& config, store::Store& store) {
    store::StaffMembers members(store);
    // Without an active member nobody can open staff mode, and the kiosk shows "out of order"
    // until the admin adds one over ssh: never by a slip of the keyboard.
    std::size_t active = 0;
    bool is_active_member = false;
    for (const auto& m : members.list()) {
      if (!m.active()) continue;
      ++active;
      is_active_member = is_active_member || m.id == id;
    }
    // (With the shared staff PIN set, it opens staff mode again once no member is left.)
    const bool shared_pin = !config.get_string("staff.pin_hash").empty();
    if (is_active_member && active == 1 && !shared_pin && !args.has("--force")) {
      ctx.err << "Staff member " << id
              << " is the last one who can open staff mode. Add another first (kioskctl staff add), or remove them "
                 "anyway with --force: the kiosk then shows \"out of order\" until a staff member is added.\n";
      return kExitBadInput;
    }
    members.remove(id, "admin");
    ctx.out << "Removed staff member " << id
            << ". They can no longer sign in; the number stays in the audit log and is not given to anyone else.\n";
    return kExitOk;
  });
}

const CommandRegistration registration{
    Command{"held list", kHeldListUsage,
            "List the sheets waiting for staff review (reference, form, when, values to check; no personal data)",
            held_list},
    Command{"staff add", kStaffAddUsage,
            "Add a staff member who signs in at the kiosk with their own number and PIN (PIN on standard input)",
            staff_add},
    Command{"staff list", kStaffListUsage, "List the staff members (number, name, active or removed; never a PIN)",
            staff_list},
    Command{"staff set-pin", kStaffSetPinUsage, "Give a staff member a new PIN (on standard input)", staff_set_pin},
    Command{"staff remove", kStaffRemoveUsage, "Remove a staff member: they can no longer sign in", staff_remove},
};

}  // namespace

}  // namespace kiosk::cli
