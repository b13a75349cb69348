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
      lockout_(std::clamp(lockout, kMinLockout, kMaxLockout)),
      kiosk_max_failures_(kiosk_max_failures < 1 ? 1 : kiosk_max_failures) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not start");
}

std::chrono::seconds StaffLock::lockout_for(int lockouts) const {
  auto length = lockout_;
  for (int i = 1; i < lockouts && length < kMaxLockout; ++i) length *= 2;
  return std::min(length, kMaxLockout);
}

void StaffLock::start_lockout(int& lockouts, Clock::time_point& until, Clock::time_point now) const {
  // A day without a lock-out ends the series: the next one is short again.
  if (lockouts > 0 && until + kEscalationMemory <= now) lockouts = 0;
  lockouts = std::min(lockouts + 1, 64);
  until = now + lockout_for(lockouts);
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
    lockouts_ = 0;
    return Result::Unlocked;
  }
  if (++failures_ >= max_failures_) {
    failures_ = 0;
    start_lockout(lockouts_, locked_until_, now);
    return Result::LockedOut;
  }
  return Result::WrongPin;
}

bool StaffLock::note_kiosk_failure(Clock::time_point now) {
  std::erase_if(recent_failures_, [&](Clock::time_point t) { return t + lockout_ <= now; });
  recent_failures_.push_back(now);
  if (static_cast<int>(recent_failures_.size()) < kiosk_max_failures_) return false;
  recent_failures_.clear();
  start_lockout(lockouts_, locked_until_, now);
  return true;
}

StaffLock::Result StaffLock::try_unlock_member(const std::string& staff_number,
                                               const std::optional<StaffMember>& member, const std::string& pin,
                                               Clock::time_point now) {
  if (locked_out(now) || member_locked_out(staff_number, now)) return Result::LockedOut;
  // Numbers with no wrong PINs are forgotten once their lock-out series has ended.
  std::erase_if(numbers_, [&](const auto& entry) {
    const auto& n = entry.second;
    return n.failures == 0 && (n.lockouts == 0 || n.locked_until + kEscalationMemory <= now);
  });
  // An unknown number costs no Argon2id time, so the timing tells whether a number exists:
  // staff numbers are not secret (they are on badges and in the audit log); the PINs are,
  // and unknown numbers count against the kiosk-wide limit like wrong PINs.
  const bool right = member && member->id == staff_number && member->pin_hash.rfind("$argon2id$", 0) == 0 &&
                     crypto_pwhash_str_verify(member->pin_hash.c_str(), pin.c_str(), pin.size()) == 0;
  if (right) {
    numbers_.erase(staff_number);
    lockouts_ = 0;  // a staff member is at the kiosk: the kiosk-wide series ends too
    return Result::Unlocked;
  }
  auto& state = numbers_[staff_number];
  const bool kiosk_locked = note_kiosk_failure(now);
  const bool number_locked = ++state.failures >= max_failures_;
  if (number_locked) {
    state.failures = 0;
    start_lockout(state.lockouts, state.locked_until, now);
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
  std::stable_sort(droppable.begin(), droppable.end(), [](const auto& a, const auto& b) {
    return std::pair(a->second.lockouts, a->second.failures) < std::pair(b->second.lockouts, b->second.failures);
  });
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
  // A lock-out's end is kept after it passed while its series may still escalate.
  const auto until_ms = [&](Clock::time_point until, int lockouts) -> std::int64_t {
    if (now < until) return wall_ms(until);
    return lockouts > 0 && now < until + kEscalationMemory ? wall_ms(until) : 0;
  };
  out.kiosk.failures = failures_;
  out.kiosk.locked_until = until_ms(locked_until_, lockouts_);
  out.kiosk.lockouts = out.kiosk.locked_until == 0 ? 0 : lockouts_;
  for (const auto& [number, state] : numbers_) {
    const std::int64_t until = until_ms(state.locked_until, state.lockouts);
    if (state.failures == 0 && until == 0) continue;
    out.numbers[number] = {state.failures, until, until == 0 ? 0 : state.lockouts};
  }
  for (const auto t : recent_failures_)
    if (now < t + lockout_) out.recent.push_back(wall_ms(t));
  return out;
}

void StaffLock::import_state(const SignInFailures& kept, Clock::time_point now) {
  // Never longer than a fresh lock-out of its series from now: a clock set back must not lock
  // staff out for longer.
  const auto until = [&](std::int64_t ms, int lockouts) {
    if (ms == 0) return Clock::time_point{};
    return std::min(steady_from(ms), now + lockout_for(std::max(1, lockouts)));
  };
  failures_ = std::max(0, kept.kiosk.failures);
  lockouts_ = std::clamp(kept.kiosk.lockouts, 0, 64);
  locked_until_ = until(kept.kiosk.locked_until, lockouts_);
  numbers_.clear();
  for (const auto& [number, count] : kept.numbers) {
    const int lockouts = std::clamp(count.lockouts, 0, 64);
    numbers_[number] = {std::max(0, count.failures), until(count.locked_until, lockouts), lockouts};
  }
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
