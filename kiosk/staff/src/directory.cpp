#include "kiosk_staff/directory.hpp"

#include <chrono>

#include "store/staff_members.hpp"

namespace kiosk::staff {

bool StoreStaffDirectory::has_members() {
  if (!std::filesystem::exists(db_file_)) return false;
  store::Database db(db_file_, false);
  return store::any_active_staff_member(db);
}

std::optional<flow::StaffMember> StoreStaffDirectory::find(const std::string& staff_number) {
  if (!std::filesystem::exists(db_file_)) return std::nullopt;
  store::Database db(db_file_, false);
  auto found = store::find_active_staff_member(db, staff_number);
  if (!found) return std::nullopt;
  return flow::StaffMember{std::move(found->id), std::move(found->name), std::move(found->pin_hash)};
}

namespace {

constexpr const char* kKioskScope = "*";

}  // namespace

flow::SignInFailures StoreStaffDirectory::load_failures() {
  if (!std::filesystem::exists(db_file_)) return in_memory_;
  store::Database db(db_file_, false);
  if (!store::has_sign_in_failure_tables(db)) return in_memory_;
  const auto stored = store::load_sign_in_failures(db);
  flow::SignInFailures out;
  for (const auto& c : stored.counts) {
    const flow::SignInFailures::Count count{c.failures, c.locked_until, c.lockouts};
    if (c.scope == kKioskScope)
      out.kiosk = count;
    else
      out.numbers[c.scope] = count;
  }
  out.recent = stored.wrong_pins;
  return out;
}

void StoreStaffDirectory::save_failures(const flow::SignInFailures& failures) {
  in_memory_ = failures;
  if (!std::filesystem::exists(db_file_)) return;
  store::Database db(db_file_, false);
  if (!store::has_sign_in_failure_tables(db)) return;
  store::StoredSignInFailures stored;
  if (failures.kiosk.failures != 0 || failures.kiosk.locked_until != 0)
    stored.counts.push_back(
        {kKioskScope, failures.kiosk.failures, failures.kiosk.locked_until, failures.kiosk.lockouts});
  for (const auto& [number, count] : failures.numbers)
    stored.counts.push_back({number, count.failures, count.locked_until, count.lockouts});
  stored.wrong_pins = failures.recent;
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  store::save_sign_in_failures(db, stored, now_ms);
}

}  // namespace kiosk::staff
