#include "kiosk_flow/staff_lock.hpp"

#include <stdexcept>

#include <sodium.h>

namespace kiosk::flow {

StaffLock::StaffLock(std::string pin_hash, int max_failures, std::chrono::seconds lockout)
    : pin_hash_(std::move(pin_hash)), max_failures_(max_failures < 1 ? 1 : max_failures), lockout_(lockout) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not start");
}

bool StaffLock::locked_out(Clock::time_point now) const {
  return now < locked_until_;
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
