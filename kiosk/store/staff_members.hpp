#pragma once
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace kiosk::store {

// A staff member as listed: never the PIN or its hash.
struct StaffMemberInfo {
  std::string id;    // the staff number (digits)
  std::string name;  // initials or name, as staff know each other
  std::string added_at;
  std::string removed_at;  // empty while the member may sign in
  bool active() const { return removed_at.empty(); }
};

// A member who may sign in, with the Argon2id hash of their PIN.
struct StaffCredential {
  std::string id;
  std::string name;
  std::string pin_hash;
};

class StaffMemberError : public std::runtime_error {
 public:
  enum class Kind { BadInput, Duplicate, NotFound };
  StaffMemberError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }

 private:
  Kind kind_;
};

// Staff numbers are 1 to 8 digits; names 1 to 40 characters without control characters.
bool valid_staff_number(const std::string& id);
bool valid_staff_name(const std::string& name);

// The kiosk's staff members (table staff_members, migration 5). Adding and removing are
// audited as `actor` (who, what, which staff number; never a PIN).
class StaffMembers {
 public:
  explicit StaffMembers(Store& store) : store_(store) {}

  // Throws StaffMemberError: BadInput for a malformed number, name or hash, Duplicate when
  // the number is taken (also by a removed member: numbers are not reused).
  StaffMemberInfo add(const std::string& id, const std::string& name, const std::string& pin_hash,
                      const std::string& actor);
  // A new PIN for an active member (a forgotten PIN). Audited as `actor`.
  // Throws StaffMemberError: NotFound when there is no such active member, BadInput for a bad hash.
  void set_pin_hash(const std::string& id, const std::string& pin_hash, const std::string& actor);
  // Every member, also the removed ones, by staff number.
  std::vector<StaffMemberInfo> list();
  // The member can no longer sign in: the hash is erased, the row (number, name) is kept.
  // Throws StaffMemberError(NotFound) when there is no such active member.
  void remove(const std::string& id, const std::string& actor);

 private:
  Store& store_;
};

// Staff sign-in failures as kept in the store (migration 6): per scope ("*": the kiosk, else a
// staff number) the wrong PINs in a row and the end of a lock-out, and the times of recent
// wrong member PINs kiosk-wide. Times in milliseconds since the epoch.
struct StoredSignInCount {
  std::string scope;
  int failures = 0;
  std::int64_t locked_until = 0;
  int lockouts = 0;  // lock-outs in a row (migration 7)
};
struct StoredSignInFailures {
  std::vector<StoredSignInCount> counts;
  std::vector<std::int64_t> wrong_pins;
};
// False for a store made before migration 6 (the kiosk's own store is always migrated when it starts).
bool has_sign_in_failure_tables(Database& db);
StoredSignInFailures load_sign_in_failures(Database& db);
// Replaces what is kept, in one transaction. A scope whose lock-out series went on (a new
// lock-out since the last save) is recorded in staff_lockouts at `now_ms`.
void save_sign_in_failures(Database& db, const StoredSignInFailures& failures, std::int64_t now_ms);

// Staff sign-in lock-outs (of a staff number or of everyone) that started at or after `since_ms`
// (milliseconds since the epoch), for the health report: many lock-outs mean someone is guessing
// PINs. 0 for a store made before migration 7.
std::int64_t count_staff_lockouts_since(Database& db, std::int64_t since_ms);

// Read-only look-ups on any connection to the store (the kiosk's sign-in uses its own).
// A store made before migration 5 has no members.
bool any_active_staff_member(Database& db);
std::optional<StaffCredential> find_active_staff_member(Database& db, const std::string& id);

}  // namespace kiosk::store
