#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::flow {

// A staff member who may sign in: the staff number, the name shown to staff and in the
// Provenance, and the Argon2id hash of their PIN.
struct StaffMember {
  std::string id;
  std::string name;
  std::string pin_hash;
};

// Where the kiosk finds its staff members (the store's staff_members table in the real
// kiosk, kiosk_staff/directory.hpp). Asked once when staff mode opens and once per sign-in.
class StaffDirectory {
 public:
  virtual ~StaffDirectory() = default;
  // True when at least one member may sign in: staff then sign in with number and PIN, and
  // the shared staff PIN (staff.pin_hash) no longer opens staff mode.
  virtual bool has_members() = 0;
  // The member with this staff number who may sign in, or nothing (unknown or removed).
  virtual std::optional<StaffMember> find(const std::string& staff_number) = 0;
};

// A kiosk with no members: the shared staff PIN (as before members existed).
class NoStaffMembers final : public StaffDirectory {
 public:
  bool has_members() override { return false; }
  std::optional<StaffMember> find(const std::string&) override { return std::nullopt; }
};

// Members kept in memory (tests, the accessibility walk).
class MemoryStaffDirectory final : public StaffDirectory {
 public:
  std::vector<StaffMember> members;
  bool has_members() override { return !members.empty(); }
  std::optional<StaffMember> find(const std::string& staff_number) override;
};

// Staff sign-in checks. The admin stores Argon2id hashes (libsodium crypto_pwhash_str).
// - The shared PIN: after `max_failures` wrong PINs in a row staff mode stays locked for `lockout`.
// - Members: a PIN is checked against the one hash of the staff number typed (Argon2id is
//   slow on purpose: never try every hash). `max_failures` wrong PINs in a row for one staff
//   number lock that number for `lockout`; `kiosk_max_failures` wrong PINs within `lockout`,
//   whatever the numbers (unknown ones too), lock sign-in for everyone for `lockout`, so
//   trying many numbers does not get around the per-number limit.
// The state lives as long as the kiosk process (a session wipe does not reset it).
class StaffLock {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Result { Unlocked, WrongPin, LockedOut, NoPinSet };

  StaffLock(std::string pin_hash, int max_failures, std::chrono::seconds lockout, int kiosk_max_failures = 10);

  // The shared PIN.
  Result try_unlock(const std::string& pin, Clock::time_point now);
  // A member: `member` is what the directory found for `staff_number` (nothing when unknown
  // or removed, which counts as a wrong PIN for that number and for the kiosk).
  Result try_unlock_member(const std::string& staff_number, const std::optional<StaffMember>& member,
                           const std::string& pin, Clock::time_point now);
  // Sign-in is locked for everyone (the shared PIN's lock-out or the kiosk-wide limit).
  bool locked_out(Clock::time_point now) const;
  bool member_locked_out(const std::string& staff_number, Clock::time_point now) const;
  std::chrono::seconds lockout_left(Clock::time_point now) const;
  int failures() const { return failures_; }

  // Argon2id hash for a PIN, in libsodium's string form. `fast` uses the minimum cost
  // (tests only; the admin tool uses the interactive limits).
  static std::string hash_pin(const std::string& pin, bool fast = false);

 private:
  // Counts a wrong member PIN kiosk-wide; true when that locks everyone out.
  bool note_kiosk_failure(Clock::time_point now);

  std::string pin_hash_;
  int max_failures_;
  std::chrono::seconds lockout_;
  int kiosk_max_failures_;
  int failures_ = 0;
  Clock::time_point locked_until_{};
  struct NumberState {
    int failures = 0;
    Clock::time_point locked_until{};
  };
  std::map<std::string, NumberState> numbers_;
  std::vector<Clock::time_point> recent_failures_;  // wrong member PINs within `lockout`, kiosk-wide
};

}  // namespace kiosk::flow
