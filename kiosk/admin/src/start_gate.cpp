// When the first-run setup may open (start_gate.hpp).
#include "admin/start_gate.hpp"

#include <sodium.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "admin/checks.hpp"
#include "admin/config_file.hpp"
#include "admin/setup.hpp"
#include "config.hpp"

namespace kiosk::admin {

namespace {

struct StoredCode {
  std::int64_t expires = 0;
  int tries_left = 0;
  std::string salt_hex, hash_hex;
};

std::string to_hex(const unsigned char* data, std::size_t size) {
  std::string hex(size * 2 + 1, '\0');
  sodium_bin2hex(hex.data(), hex.size(), data, size);
  hex.pop_back();
  return hex;
}

std::string code_hash_hex(const std::string& salt_hex, const std::string& code) {
  unsigned char salt[crypto_generichash_KEYBYTES];
  std::size_t salt_len = 0;
  if (sodium_hex2bin(salt, sizeof salt, salt_hex.data(), salt_hex.size(), nullptr, &salt_len, nullptr) != 0 ||
      salt_len != sizeof salt)
    return {};
  unsigned char out[crypto_generichash_BYTES];
  crypto_generichash(out, sizeof out, reinterpret_cast<const unsigned char*>(code.data()), code.size(), salt,
                     sizeof salt);
  return to_hex(out, sizeof out);
}

std::optional<StoredCode> read_code(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) return std::nullopt;
  StoredCode c;
  std::string key;
  bool version = false;
  while (in >> key) {
    if (key == "v1") version = true;
    else if (key == "expires") in >> c.expires;
    else if (key == "tries") in >> c.tries_left;
    else if (key == "salt") in >> c.salt_hex;
    else if (key == "hash") in >> c.hash_hex;
  }
  if (!version || c.salt_hex.empty() || c.hash_hex.empty()) return std::nullopt;
  return c;
}

void write_code(const std::filesystem::path& file, const StoredCode& c) {
  std::ostringstream text;
  text << "v1\nexpires " << c.expires << "\ntries " << c.tries_left << "\nsalt " << c.salt_hex << "\nhash "
       << c.hash_hex << "\n";
  // Group kiosk may read it (the kiosk checks it and removes it when used); the code itself is
  // only a hash here.
  write_file_atomically(file, text.str(), 0640, kiosk_user_gid());
}

}  // namespace

std::filesystem::path screen_code_file(const std::filesystem::path& config_file) {
  return config_file.parent_path() / "setup-screen-code";
}

std::string issue_screen_code(const std::filesystem::path& config_file, std::chrono::seconds lifetime,
                              std::time_t now) {
  if (lifetime < std::chrono::minutes(1) || lifetime > kScreenCodeMaxLifetime)
    throw SetupError("A screen code is valid for 1 minute to 24 hours.");
  if (sodium_init() < 0) throw SetupError("The crypto library (libsodium) did not start.");
  std::string code;
  for (int i = 0; i < kScreenCodeDigits; ++i) code += static_cast<char>('0' + randombytes_uniform(10));
  unsigned char salt[crypto_generichash_KEYBYTES];
  randombytes_buf(salt, sizeof salt);
  StoredCode c;
  c.expires = static_cast<std::int64_t>(now) + lifetime.count();
  c.tries_left = kScreenCodeTries;
  c.salt_hex = to_hex(salt, sizeof salt);
  c.hash_hex = code_hash_hex(c.salt_hex, code);
  write_code(screen_code_file(config_file), c);
  return code;
}

bool screen_code_pending(const std::filesystem::path& config_file, std::time_t now) {
  const auto c = read_code(screen_code_file(config_file));
  return c && c->tries_left > 0 && static_cast<std::int64_t>(now) < c->expires;
}

ScreenCodeResult use_screen_code(const std::filesystem::path& config_file, const std::string& code,
                                 std::time_t now) {
  if (sodium_init() < 0) return ScreenCodeResult::NoCode;
  const auto file = screen_code_file(config_file);
  auto c = read_code(file);
  std::error_code ec;
  if (!c || c->tries_left <= 0 || static_cast<std::int64_t>(now) >= c->expires) {
    std::filesystem::remove(file, ec);
    return ScreenCodeResult::NoCode;
  }
  const std::string typed = code_hash_hex(c->salt_hex, code);
  if (!typed.empty() && typed.size() == c->hash_hex.size() &&
      sodium_memcmp(typed.data(), c->hash_hex.data(), typed.size()) == 0) {
    // Single use: gone before the setup shows anything. A code that cannot be removed is not
    // accepted (it could be used again).
    std::filesystem::remove(file, ec);
    return ec ? ScreenCodeResult::NoCode : ScreenCodeResult::Accepted;
  }
  c->tries_left -= 1;
  if (c->tries_left <= 0) {
    std::filesystem::remove(file, ec);
  } else {
    try {
      write_code(file, *c);
    } catch (const SetupError&) {
      std::filesystem::remove(file, ec);  // a try that cannot be counted ends the code
    }
  }
  return ScreenCodeResult::Wrong;
}

StartDecision decide_start(const std::filesystem::path& config_file, std::time_t now) {
  StartDecision d;
  const ConfigFile read = load_config_file(config_file);
  const Config config = read.config.value_or(Config());
  d.help_phone = config.get_string("site.help_phone");
  d.reasons = first_run_needs(config_file);
  if (d.reasons.empty()) return d;
  const bool code = screen_code_pending(config_file, now);
  // A file that does not parse names no store we could trust: never a setup without the code.
  if (read.exists && !read.valid()) {
    d.mode = code ? StartMode::SetupWithCode : StartMode::OutOfOrder;
    return d;
  }
  if (!store_in_use(config.get_path("store.path")))
    d.mode = StartMode::Setup;
  else
    d.mode = code ? StartMode::SetupWithCode : StartMode::OutOfOrder;
  return d;
}

}  // namespace kiosk::admin
