#pragma once
#include <filesystem>

#include "kiosk_flow/staff_lock.hpp"

namespace kiosk::staff {

// The kiosk's staff members, read from the store's staff_members table (migration 5) on a
// connection of its own, so members the admin adds or removes with kioskctl count at the
// next sign-in without a restart. No store yet, or a store from before migration 5: no
// members (the shared staff PIN). A store that cannot be read throws (the flow then
// refuses sign-in rather than falling back to the shared PIN).
// Wrong PINs and lock-outs are kept in the store too (migration 6), so a restart does not
// clear a lock-out; with no store yet (or one from before migration 6) only in memory.
class StoreStaffDirectory final : public flow::StaffDirectory {
 public:
  explicit StoreStaffDirectory(std::filesystem::path db_file) : db_file_(std::move(db_file)) {}
  bool has_members() override;
  std::optional<flow::StaffMember> find(const std::string& staff_number) override;
  flow::SignInFailures load_failures() override;
  void save_failures(const flow::SignInFailures& failures) override;

 private:
  std::filesystem::path db_file_;
  flow::SignInFailures in_memory_;  // no store to keep them in
};

}  // namespace kiosk::staff
