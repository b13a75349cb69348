#pragma once
#include <array>
#include <filesystem>
#include <string_view>

#include "store/sqlite.hpp"

namespace kiosk::store {

// The per-kiosk key that encrypts personal data at rest (XChaCha20-Poly1305, libsodium).
// Lives in a file readable only by the kiosk user (0600). The key bytes are wiped when
// the object goes away.
class SecretBox {
 public:
  static constexpr size_t kKeyBytes = 32;

  // Reads the key file. Throws StoreError(MissingKey) when it is absent and
  // StoreError(WrongKey) when it is malformed or readable by others.
  static SecretBox load(const std::filesystem::path& key_file);
  // Creates a fresh random key file with permissions 0600; fails if it exists.
  static SecretBox create(const std::filesystem::path& key_file);

  SecretBox(const SecretBox&) = delete;
  SecretBox& operator=(const SecretBox&) = delete;
  SecretBox(SecretBox&& other) noexcept;
  SecretBox& operator=(SecretBox&&) = delete;
  ~SecretBox();

  // nonce || ciphertext+tag. `context` (e.g. "page:<id>:1") is authenticated, so a blob
  // copied to another row does not decrypt.
  Bytes seal(const Bytes& plaintext, std::string_view context) const;
  Bytes seal(std::string_view plaintext, std::string_view context) const;
  // Throws StoreError(WrongKey) when the blob was not sealed with this key and context.
  Bytes open(const Bytes& sealed, std::string_view context) const;
  std::string open_text(const Bytes& sealed, std::string_view context) const;

 private:
  SecretBox();
  std::array<unsigned char, kKeyBytes> key_{};
};

// Initialises libsodium once; throws when it cannot.
void ensure_sodium();

}  // namespace kiosk::store
