#include "store/staff_members.hpp"

#include <map>

#include <algorithm>

namespace kiosk::store {

namespace {

bool has_table(Database& db, const char* name) {
  auto st = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?");
  st.bind(1, name);
  return st.step();
}

bool has_staff_table(Database& db) {
  return has_table(db, "staff_members");
}

// Changes an active member's row (`set_clause` with one parameter, `value`) and audits it, in
// one transaction; NotFound when there is no such active member (unknown or removed).
void update_active_member(Store& store, const std::string& id, const std::string& set_clause, const std::string& value,
                          const std::string& action, const std::string& actor) {
  auto& db = store.db();
  Transaction tx(db);
  db.prepare("UPDATE staff_members SET " + set_clause + " WHERE id=? AND removed_at IS NULL")
      .bind(1, value)
      .bind(2, id)
      .run();
  if (db.changes() == 0)
    throw StaffMemberError(StaffMemberError::Kind::NotFound, "There is no staff member with number " + id + ".");
  store.audit(actor, action, "", "staff number " + id);
  tx.commit();
}

}  // namespace

bool valid_staff_number(const std::string& id) {
  return !id.empty() && id.size() <= 8 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool valid_staff_name(const std::string& name) {
  if (name.empty() || name.size() > 40) return false;
  if (std::all_of(name.begin(), name.end(), [](char c) { return c == ' '; })) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

StaffMemberInfo StaffMembers::add(const std::string& id, const std::string& name, const std::string& pin_hash,
                                  const std::string& actor) {
  if (!valid_staff_number(id))
    throw StaffMemberError(StaffMemberError::Kind::BadInput, "The staff number must be 1 to 8 digits.");
  if (!valid_staff_name(name))
    throw StaffMemberError(StaffMemberError::Kind::BadInput,
                           "The name must be 1 to 40 characters (initials or a name), on one line.");
  if (pin_hash.rfind("$argon2id$", 0) != 0)
    throw StaffMemberError(StaffMemberError::Kind::BadInput, "Only an Argon2id hash of the PIN is stored.");
  auto& db = store_.db();
  Transaction tx(db);
  auto existing = db.prepare("SELECT removed_at IS NOT NULL FROM staff_members WHERE id=?");
  existing.bind(1, id);
  if (existing.step())
    throw StaffMemberError(StaffMemberError::Kind::Duplicate,
                           existing.integer(0) != 0
                               ? "Staff number " + id +
                                     " belonged to a member who was removed. Numbers are not reused, so the audit "
                                     "log stays clear: choose another number."
                               : "Staff number " + id + " is already in use.");
  StaffMemberInfo info{id, name, now_iso(), ""};
  db.prepare("INSERT INTO staff_members(id, name, pin_hash, added_at) VALUES(?,?,?,?)")
      .bind(1, id)
      .bind(2, name)
      .bind(3, pin_hash)
      .bind(4, info.added_at)
      .run();
  store_.audit(actor, "staff-member-add", "", "staff number " + id);
  tx.commit();
  return info;
}

void StaffMembers::set_pin_hash(const std::string& id, const std::string& pin_hash, const std::string& actor) {
  if (pin_hash.rfind("$argon2id$", 0) != 0)
    throw StaffMemberError(StaffMemberError::Kind::BadInput, "Only an Argon2id hash of the PIN is stored.");
  update_active_member(store_, id, "pin_hash=?", pin_hash, "staff-member-set-pin", actor);
}

std::vector<StaffMemberInfo> StaffMembers::list() {
  std::vector<StaffMemberInfo> out;
  auto st = store_.db().prepare(
      "SELECT id, name, added_at, COALESCE(removed_at,'') FROM staff_members ORDER BY length(id), id");
  while (st.step()) out.push_back({st.text(0), st.text(1), st.text(2), st.text(3)});
  return out;
}

void StaffMembers::remove(const std::string& id, const std::string& actor) {
  update_active_member(store_, id, "pin_hash='', removed_at=?", now_iso(), "staff-member-remove", actor);
}

bool has_sign_in_failure_tables(Database& db) {
  return has_table(db, "staff_sign_in_failures");
}

StoredSignInFailures load_sign_in_failures(Database& db) {
  StoredSignInFailures out;
  auto counts =
      db.prepare("SELECT scope, failures, locked_until, lockouts FROM staff_sign_in_failures ORDER BY scope");
  while (counts.step())
    out.counts.push_back({counts.text(0), static_cast<int>(counts.integer(1)), counts.integer(2),
                          static_cast<int>(counts.integer(3))});
  auto wrong = db.prepare("SELECT at FROM staff_wrong_pins ORDER BY at");
  while (wrong.step()) out.wrong_pins.push_back(wrong.integer(0));
  return out;
}

void save_sign_in_failures(Database& db, const StoredSignInFailures& failures, std::int64_t now_ms) {
  Transaction tx(db);
  // A new lock-out ends at least a minimum lock-out (60 s) after the one before it of its scope
  // ended; the same lock-out read back and saved again moves by milliseconds at most.
  constexpr std::int64_t kNewLockoutMs = 30000;
  std::map<std::string, std::int64_t> before;
  for (const auto& c : load_sign_in_failures(db).counts) before[c.scope] = c.locked_until;
  for (const auto& c : failures.counts) {
    const auto it = before.find(c.scope);
    const std::int64_t previous = it == before.end() ? 0 : it->second;
    if (c.lockouts > 0 && c.locked_until > now_ms && c.locked_until >= previous + kNewLockoutMs)
      db.prepare("INSERT INTO staff_lockouts(at, scope, locked_until) VALUES(?,?,?)")
          .bind(1, now_ms)
          .bind(2, c.scope)
          .bind(3, c.locked_until)
          .run();
  }
  constexpr std::int64_t kKeptMs = 90LL * 24 * 3600 * 1000;
  db.prepare("DELETE FROM staff_lockouts WHERE at < ?").bind(1, now_ms - kKeptMs).run();
  db.exec("DELETE FROM staff_sign_in_failures; DELETE FROM staff_wrong_pins;");
  for (const auto& c : failures.counts)
    db.prepare("INSERT INTO staff_sign_in_failures(scope, failures, locked_until, lockouts) VALUES(?,?,?,?)")
        .bind(1, c.scope)
        .bind(2, static_cast<std::int64_t>(c.failures))
        .bind(3, c.locked_until)
        .bind(4, static_cast<std::int64_t>(c.lockouts))
        .run();
  for (const auto at : failures.wrong_pins) db.prepare("INSERT INTO staff_wrong_pins(at) VALUES(?)").bind(1, at).run();
  tx.commit();
}

std::int64_t count_staff_lockouts_since(Database& db, std::int64_t since_ms) {
  if (!has_table(db, "staff_lockouts")) return 0;
  auto st = db.prepare("SELECT count(*) FROM staff_lockouts WHERE at >= ?");
  st.bind(1, since_ms);
  return st.step() ? st.integer(0) : 0;
}

bool any_active_staff_member(Database& db) {
  if (!has_staff_table(db)) return false;
  auto st = db.prepare("SELECT 1 FROM staff_members WHERE removed_at IS NULL LIMIT 1");
  return st.step();
}

std::optional<StaffCredential> find_active_staff_member(Database& db, const std::string& id) {
  if (!valid_staff_number(id) || !has_staff_table(db)) return std::nullopt;
  auto st = db.prepare("SELECT id, name, pin_hash FROM staff_members WHERE id=? AND removed_at IS NULL");
  st.bind(1, id);
  if (!st.step()) return std::nullopt;
  return StaffCredential{st.text(0), st.text(1), st.text(2)};
}

}  // namespace kiosk::store
