#include "kiosk_staff/directory.hpp"

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

}  // namespace kiosk::staff
