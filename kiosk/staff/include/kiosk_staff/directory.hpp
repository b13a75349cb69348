#pragma once
#include <filesystem>

#include "kiosk_flow/staff_lock.hpp"

namespace kiosk::staff {

// The kiosk's staff members, read from the store's staff_members table (migration 5) on a
// connection of its own, so members the admin adds or removes with kioskctl count at the
// next sign-in without a restart. No store yet, or a store from before migration 5: no
// members (the shared staff PIN). A store that cannot be read throws (the flow then
// refuses sign-in rather than falling back to the shared PIN).
class StoreStaffDirectory final : public flow::StaffDirectory {
 public:
  explicit StoreStaffDirectory(std::filesystem::path db_file) : db_file_(std::move(db_file)) {}
  bool has_members() override;
  std::optional<flow::StaffMember> find(const std::string& staff_number) override;

 private:
  std::filesystem::path db_file_;
};

}  // namespace kiosk::staff
