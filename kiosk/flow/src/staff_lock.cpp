#include "kiosk_flow/staff_lock.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>

#include <sodium.h>

namespace kiosk::flow {

std::optional<StaffMember> MemoryStaffDirectory::find(const std::string& staff_number) {
  for (const auto& m : members)
    if (m.id == staff_number) return m;
  return std::nullopt;
}

StaffLock::StaffLock(std::string pin_hash, int max_failures, std::chrono::seconds lockout, int kiosk_max_failures)
    : pin_hash_(std::move(pin_hash)),
      max_failures_(max_failures < 1 ? 1 : max_failures),
      lockout_(lockout),
      kiosk_max_failures_(kiosk_max_failures < 1 ? 1 : kiosk_max_failures) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not start");
}

bool StaffLock::locked_out(Clock::time_point now) const {
  return now < locked_until_;
}

bool StaffLock::member_locked_out(const std::string& staff_number, Clock::time_point now) const {
  const auto it = numbers_.find(staff_number);
  return it != numbers_.end() && now < it->second.locked_until;
}

std::chrono::seconds StaffLock::lockout_left(Clock::time_point now) const {
  if (!locked_out(now)) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(locked_until_ - now);
}

StaffLock::Result StaffLock::try_unlock(const std::string& pin, Clock::time_point now) {
  if (locked_out(now)) return Result::LockedOut;
  // Only Argon2id hashes are accepted: an empty or foreign hash never unlocks.
  if (pin_hash_.rfind("$argon2id$", 0) != 0) return Result::NoPinSet;
  if (crypto_pwhash_str_verify(pin_hash_.c_str(), pin.c_str(), pin.size()) == 0) {
    failures_ = 0;
    return Result::Unlocked;
  }
  if (++failures_ >= max_failures_) {
    failures_ = 0;
    locked_until_ = now + lockout_;
    return Result::LockedOut;
  }
  return Result::WrongPin;
}

bool StaffLock::note_kiosk_failure(Clock::time_point now) {
  std::erase_if(recent_failures_, [&](Clock::time_point t) { return t + lockout_ <= now; });
  recent_failures_.push_back(now);
  if (static_cast<int>(recent_failures_.size()) < kiosk_max_failures_) return false;
  recent_failures_.clear();
  locked_until_ = now + lockout_;
  return true;
}

StaffLock::Result StaffLock::try_unlock_member(const std::string& staff_number,
                                               const std::optional<StaffMember>& member, const std::string& pin,
                                               Clock::time_point now) {
  if (locked_out(now) || member_locked_out(staff_number, now)) return Result::LockedOut;
  // Numbers whose lock-out has ended and that have no failures are forgotten.
  std::erase_if(numbers_,
                [&](const auto& entry) { return entry.second.failures == 0 && entry.second.locked_until <= now; });
  // An unknown number costs no Argon2id time, so the timing tells whether a number exists:
  // staff numbers are not secret (they are on badges and in the audit log); the PINs are,
  // and unknown numbers count against the kiosk-wide limit like wrong PINs.
  const bool right = member && member->id == staff_number && member->pin_hash.rfind("$argon2id$", 0) == 0 &&
                     crypto_pwhash_str_verify(member->pin_hash.c_str(), pin.c_str(), pin.size()) == 0;
  if (right) {
    numbers_.erase(staff_number);
    return Result::Unlocked;
  }
  auto& state = numbers_[staff_number];
  const bool kiosk_locked = note_kiosk_failure(now);
  const bool number_locked = ++state.failures >= max_failures_;
  if (number_locked) {
    state.failures = 0;
    state.locked_until = now + lockout_;
  }
  forget_surplus_numbers(staff_number, now);  // `state` is not used after this
  return number_locked || kiosk_locked ? Result::LockedOut : Result::WrongPin;
}

void StaffLock::forget_surplus_numbers(const std::string& keep, Clock::time_point now) {
  if (numbers_.size() <= kMaxNumbersKept) return;
  // Forgetting a count is safe: each of those wrong PINs also counted kiosk-wide, so wiping a
  // member's count this way takes about a hundred wrong PINs, spread over many kiosk-wide lock-outs.
  std::vector<std::map<std::string, NumberState>::iterator> droppable;
  for (auto it = numbers_.begin(); it != numbers_.end(); ++it)
    if (it->first != keep && it->second.locked_until <= now) droppable.push_back(it);
  std::stable_sort(droppable.begin(), droppable.end(),
                   [](const auto& a, const auto& b) { return a->second.failures < b->second.failures; });
  for (const auto& it : droppable) {
    if (numbers_.size() <= kMaxNumbersKept) break;
    numbers_.erase(it);
  }
}

namespace {

// Wall-clock milliseconds for a steady-clock time and back, through the two clocks' readings
// now (tests pass times ahead of the clocks; those stay ahead by the same amount).
std::int64_t wall_ms(StaffLock::Clock::time_point t) {
  using namespace std::chrono;
  const auto wall_now = duration_cast<milliseconds>(system_clock::now().time_since_epoch());
  return (wall_now + duration_cast<milliseconds>(t - StaffLock::Clock::now())).count();
}

StaffLock::Clock::time_point steady_from(std::int64_t ms) {
  using namespace std::chrono;
  const std::int64_t wall_now = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  // A damaged row can hold any number: the difference is capped at a year (no lock-out lasts
  // that long) before it is counted in the steady clock's nanoseconds, which would overflow.
  constexpr std::int64_t kYear = 366LL * 24 * 3600 * 1000;
  const std::int64_t ahead = ms > wall_now + kYear ? kYear : ms < wall_now - kYear ? -kYear : ms - wall_now;
  return StaffLock::Clock::now() + milliseconds(ahead);
}

}  // namespace

SignInFailures StaffLock::export_state(Clock::time_point now) const {
  SignInFailures out;
  out.kiosk.failures = failures_;
  if (locked_out(now)) out.kiosk.locked_until = wall_ms(locked_until_);
  for (const auto& [number, state] : numbers_) {
    const bool locked = now < state.locked_until;
    if (state.failures == 0 && !locked) continue;
    out.numbers[number] = {state.failures, locked ? wall_ms(state.locked_until) : 0};
  }
  for (const auto t : recent_failures_)
    if (now < t + lockout_) out.recent.push_back(wall_ms(t));
  return out;
}

void StaffLock::import_state(const SignInFailures& kept, Clock::time_point now) {
  // Never longer than a fresh lock-out from now: a clock set back must not lock staff out for longer.
  const auto until = [&](std::int64_t ms) {
    if (ms == 0) return Clock::time_point{};
    return std::min(steady_from(ms), now + lockout_);
  };
  failures_ = std::max(0, kept.kiosk.failures);
  locked_until_ = until(kept.kiosk.locked_until);
  numbers_.clear();
  for (const auto& [number, count] : kept.numbers)
    numbers_[number] = {std::max(0, count.failures), until(count.locked_until)};
  recent_failures_.clear();
  for (const auto ms : kept.recent) recent_failures_.push_back(std::min(steady_from(ms), now));
  imported_ = true;
  kept_ = kept;
}

SignInOutcome sign_in(StaffLock& lock, StaffDirectory& directory, SignInAttempt& attempt) {
  SignInOutcome out;
  out.staff_number = attempt.staff_number;
  try {
    if (!lock.imported()) lock.import_state(directory.load_failures(), attempt.now);
    if (!attempt.member) {
      out.result = lock.try_unlock(attempt.pin, attempt.now);
    } else {
      // Only this number's hash is checked (Argon2id is slow on purpose); none while locked.
      std::optional<StaffMember> member;
      if (!lock.locked_out(attempt.now) && !lock.member_locked_out(attempt.staff_number, attempt.now))
        member = directory.find(attempt.staff_number);
      out.result = lock.try_unlock_member(attempt.staff_number, member, attempt.pin, attempt.now);
      if (member) {
        if (out.result == StaffLock::Result::Unlocked) out.name = member->name;
        sodium_memzero(member->pin_hash.data(), member->pin_hash.size());
      }
    }
    auto after = lock.export_state(attempt.now);
    if (after != lock.kept()) {
      // The lock itself is in memory and holds for this run whatever happens here; a store that
      // cannot be written (full disk, read-only) must not refuse staff the sign-in they need to
      // deal with it. The flow logs the problem.
      try {
        directory.save_failures(after);
        lock.note_kept(std::move(after));
      } catch (const std::exception& e) {
        out.problem = std::string("the sign-in failures could not be kept in the store: ") + e.what();
      }
    }
  } catch (const std::exception& e) {
    out.unavailable = true;
    out.problem = e.what();
  }
  sodium_memzero(attempt.pin.data(), attempt.pin.capacity());
  attempt.pin.clear();
  return out;
}

std::string StaffLock::hash_pin(const std::string& pin, bool fast) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not start");
  char out[crypto_pwhash_STRBYTES];
  const auto ops = fast ? crypto_pwhash_argon2id_OPSLIMIT_MIN : crypto_pwhash_argon2id_OPSLIMIT_INTERACTIVE;
  const auto mem = fast ? crypto_pwhash_argon2id_MEMLIMIT_MIN : crypto_pwhash_argon2id_MEMLIMIT_INTERACTIVE;
  if (crypto_pwhash_str_alg(out, pin.c_str(), pin.size(), ops, mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw std::runtime_error("not enough memory to hash the PIN");
  return out;
}

}  // namespace kiosk::flow
