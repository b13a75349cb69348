#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kiosk_flow/session.hpp"

namespace kiosk::flow {

// A staff member who may sign in: the staff number, the name shown to staff and in the
// Provenance, and the Argon2id hash of their PIN.
struct StaffMember {
  std::string id;
  std::string name;
  std::string pin_hash;
};

// Wrong PINs and lock-outs as they are kept between runs of the kiosk: times are wall-clock
// milliseconds since the epoch (the kiosk's steady clock starts again at every boot).
struct SignInFailures {
  struct Count {
    int failures = 0;               // wrong PINs in a row
    std::int64_t locked_until = 0;  // ms since the epoch; 0: never locked (kept after a lock-out ends, see lockouts)
    int lockouts = 0;               // lock-outs in a row (each twice as long as the one before)
    bool operator==(const Count&) const = default;
  };
  Count kiosk;                           // the shared PIN; locked_until: sign-in locked for everyone
  std::map<std::string, Count> numbers;  // per staff number typed (unknown numbers too)
  std::vector<std::int64_t> recent;      // wrong member PINs within the lock-out time, kiosk-wide
  bool operator==(const SignInFailures&) const = default;
};

// Where the kiosk finds its staff members (the store's staff_members table in the real
// kiosk, kiosk_staff/directory.hpp), and where it keeps their wrong PINs and lock-outs so
// that restarting or power-cycling the kiosk does not clear a lock-out. Asked on the
// sign-in worker thread (one sign-in at a time), except has_members() (when staff mode opens).
class StaffDirectory {
 public:
  virtual ~StaffDirectory() = default;
  // True when at least one member may sign in: staff then sign in with number and PIN, and
  // the shared staff PIN (staff.pin_hash) no longer opens staff mode.
  virtual bool has_members() = 0;
  // The member with this staff number who may sign in, or nothing (unknown or removed).
  virtual std::optional<StaffMember> find(const std::string& staff_number) = 0;
  // The wrong PINs and lock-outs kept so far (read once per kiosk run, then kept up to date).
  virtual SignInFailures load_failures() = 0;
  virtual void save_failures(const SignInFailures& failures) = 0;
};

// A kiosk with no members: the shared staff PIN (as before members existed). Lock-outs are
// kept in memory only (no store).
class NoStaffMembers final : public StaffDirectory {
 public:
  bool has_members() override { return false; }
  std::optional<StaffMember> find(const std::string&) override { return std::nullopt; }
  SignInFailures load_failures() override { return failures_; }
  void save_failures(const SignInFailures& failures) override { failures_ = failures; }

 private:
  SignInFailures failures_;
};

// Members kept in memory (tests, the accessibility walk).
class MemoryStaffDirectory final : public StaffDirectory {
 public:
  std::vector<StaffMember> members;
  SignInFailures failures;
  bool has_members() override { return !members.empty(); }
  std::optional<StaffMember> find(const std::string& staff_number) override;
  SignInFailures load_failures() override { return failures; }
  void save_failures(const SignInFailures& saved) override { failures = saved; }
};

// Staff sign-in checks. The admin stores Argon2id hashes (libsodium crypto_pwhash_str).
// - The shared PIN: after `max_failures` wrong PINs in a row staff mode stays locked for `lockout`.
// - Members: a PIN is checked against the one hash of the staff number typed (Argon2id is
//   slow on purpose: never try every hash). `max_failures` wrong PINs in a row for one staff
//   number lock that number for `lockout`; `kiosk_max_failures` wrong PINs within `lockout`,
//   whatever the numbers (unknown ones too), lock sign-in for everyone for `lockout`, so
//   trying many numbers does not get around the per-number limit.
// Lock-outs escalate: each lock-out of the same scope (a staff number, or everyone) lasts twice
// as long as the one before, up to kMaxLockout, until a right PIN or a day without a lock-out
// (kEscalationMemory) ends the series. `lockout` is never shorter than kMinLockout.
// A session wipe does not reset the state; export_state()/import_state() carry it over a
// restart (sign_in() below keeps it in the directory's store).
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

  // The state with wall-clock times, to keep; and back (a new kiosk run). A lock-out read
  // back never lasts longer than `lockout` from `now` (the wall clock may have been set back).
  SignInFailures export_state(Clock::time_point now) const;
  void import_state(const SignInFailures& kept, Clock::time_point now);
  bool imported() const { return imported_; }
  // What was last read from or written to the keeper (sign_in() writes when it changes).
  const SignInFailures& kept() const { return kept_; }
  void note_kept(SignInFailures kept) { kept_ = std::move(kept); }

  // Argon2id hash for a PIN, in libsodium's string form. `fast` uses the minimum cost
  // (tests only; the admin tool uses the interactive limits).
  static std::string hash_pin(const std::string& pin, bool fast = false);

  // At most this many staff numbers' wrong PINs are kept (every number typed counts, unknown ones
  // too): a number typed once and never again would otherwise be kept for ever.
  static constexpr size_t kMaxNumbersKept = 100;
  // A configuration cannot make lock-outs shorter than this (Config::kMinStaffLockoutSeconds).
  static constexpr std::chrono::seconds kMinLockout{60};
  static constexpr std::chrono::seconds kMaxLockout{24 * 3600};
  static constexpr std::chrono::seconds kEscalationMemory{24 * 3600};
  // How long the `lockouts`-th lock-out in a row lasts (1: `lockout`).
  std::chrono::seconds lockout_for(int lockouts) const;

 private:
  // Counts a wrong member PIN kiosk-wide; true when that locks everyone out.
  bool note_kiosk_failure(Clock::time_point now);
  // Drops the surplus over kMaxNumbersKept, fewest wrong PINs first; never a lock-out or `keep`.
  void forget_surplus_numbers(const std::string& keep, Clock::time_point now);
  // Starts the next lock-out of a series (`lockouts` and `until` of one scope).
  void start_lockout(int& lockouts, Clock::time_point& until, Clock::time_point now) const;

  std::string pin_hash_;
  int max_failures_;
  std::chrono::seconds lockout_;
  int kiosk_max_failures_;
  int failures_ = 0;
  Clock::time_point locked_until_{};
  int lockouts_ = 0;  // kiosk-wide lock-outs in a row
  struct NumberState {
    int failures = 0;
    Clock::time_point locked_until{};
    int lockouts = 0;
  };
  std::map<std::string, NumberState> numbers_;
  std::vector<Clock::time_point> recent_failures_;  // wrong member PINs within `lockout`, kiosk-wide
  bool imported_ = false;
  SignInFailures kept_;
};

// One sign-in attempt, as the flow hands it to its sign-in worker: Argon2id takes ~0.1 s on
// purpose, so it never runs on the UI thread.
struct SignInAttempt {
  bool member = false;       // false: the shared PIN
  std::string staff_number;  // members only
  std::string pin;           // wiped by sign_in()
  StaffLock::Clock::time_point now;
  // An attempt dropped before it ran (a wipe, or the kiosk shutting down) wipes its PIN too.
  ~SignInAttempt() { wipe_string(pin); }
};

struct SignInOutcome {
  StaffLock::Result result = StaffLock::Result::WrongPin;
  bool unavailable = false;      // the directory could not be read or written: sign-in refused
  std::string problem;           // why, for the log (no PIN, no hash); also set when only keeping the failures failed
  std::string staff_number;      // as typed (members)
  std::string name;              // the member's name when unlocked
  std::uint64_t generation = 0;  // the flow's sign-in generation when asked (a wipe discards older ones)
};

// Checks one attempt: reads the kept failures once (the first attempt of a kiosk run), looks up
// the member, verifies the PIN against that one hash, and keeps the new failures in the
// directory when they changed. Runs on the sign-in worker; `lock` and `directory` are used
// by one attempt at a time.
SignInOutcome sign_in(StaffLock& lock, StaffDirectory& directory, SignInAttempt& attempt);

}  // namespace kiosk::flow
