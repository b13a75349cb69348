#include "kiosk_flow/staff_lock.hpp"

#include <algorithm>
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
  if (++state.failures >= max_failures_) {
    state.failures = 0;
    state.locked_until = now + lockout_;
    return Result::LockedOut;
  }
  return kiosk_locked ? Result::LockedOut : Result::WrongPin;
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
