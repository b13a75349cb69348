#pragma once
#include <chrono>
#include <string>

namespace kiosk::flow {

// Staff PIN check: the admin stores an Argon2id hash (libsodium crypto_pwhash_str);
// after `max_failures` wrong PINs in a row staff mode stays locked for `lockout`.
class StaffLock {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Result { Unlocked, WrongPin, LockedOut, NoPinSet };

  StaffLock(std::string pin_hash, int max_failures, std::chrono::seconds lockout);

  Result try_unlock(const std::string& pin, Clock::time_point now);
  bool locked_out(Clock::time_point now) const;
  std::chrono::seconds lockout_left(Clock::time_point now) const;
  int failures() const { return failures_; }

  // Argon2id hash for a PIN, in libsodium's string form. `fast` uses the minimum cost
  // (tests only; the admin tool uses the interactive limits).
  static std::string hash_pin(const std::string& pin, bool fast = false);

 private:
  std::string pin_hash_;
  int max_failures_;
  std::chrono::seconds lockout_;
  int failures_ = 0;
  Clock::time_point locked_until_{};
};

}  // namespace kiosk::flow
