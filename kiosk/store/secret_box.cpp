#include "store/secret_box.hpp"

#include <fcntl.h>
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace kiosk::store {

void ensure_sodium() {
  if (sodium_init() < 0)
    throw StoreError(StoreError::Kind::Other, "The encryption library (libsodium) could not start.");
}

namespace {
struct FileDescriptor {
  int fd = -1;
  ~FileDescriptor() {
    if (fd >= 0) ::close(fd);
  }
};
}  // namespace

SecretBox::SecretBox() {
  ensure_sodium();
}

SecretBox::SecretBox(SecretBox&& other) noexcept : key_(other.key_) {
  sodium_memzero(other.key_.data(), kKeyBytes);
}

SecretBox::~SecretBox() {
  sodium_memzero(key_.data(), kKeyBytes);
}

SecretBox SecretBox::load(const std::filesystem::path& key_file) {
  SecretBox box;
  FileDescriptor file;
  file.fd = ::open(key_file.c_str(), O_RDONLY | O_CLOEXEC);
  if (file.fd < 0) {
    if (errno == ENOENT)
      throw StoreError(StoreError::Kind::MissingKey,
                       "The kiosk's store key " + key_file.string() +
                           " is missing. Without it the stored submissions cannot be read. Restore the key file "
                           "from the kiosk's backup; do not create a new one.");
    throw StoreError(StoreError::Kind::MissingKey, "Cannot read the store key " + key_file.string() + ": " +
                                                       std::strerror(errno) + ". Run the kiosk as its own user.");
  }
  struct stat info {};
  if (::fstat(file.fd, &info) != 0 || (info.st_mode & 077) != 0)
    throw StoreError(StoreError::Kind::WrongKey, "The store key " + key_file.string() +
                                                     " can be read by other users. Set its permissions to 0600 "
                                                     "(chmod 600) so only the kiosk user can read it.");
  unsigned char buffer[kKeyBytes + 1];
  const ssize_t n = ::read(file.fd, buffer, sizeof buffer);
  if (n != static_cast<ssize_t>(kKeyBytes)) {
    sodium_memzero(buffer, sizeof buffer);
    throw StoreError(StoreError::Kind::WrongKey,
                     "The store key " + key_file.string() + " is not a kiosk key (it must be exactly 32 bytes).");
  }
  std::memcpy(box.key_.data(), buffer, kKeyBytes);
  sodium_memzero(buffer, sizeof buffer);
  return box;
}

SecretBox SecretBox::create(const std::filesystem::path& key_file) {
  SecretBox box;
  std::error_code ec;
  if (key_file.has_parent_path()) std::filesystem::create_directories(key_file.parent_path(), ec);
  FileDescriptor file;
  file.fd = ::open(key_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (file.fd < 0)
    throw StoreError(StoreError::Kind::Other,
                     "Cannot create the store key " + key_file.string() + ": " + std::strerror(errno));
  randombytes_buf(box.key_.data(), kKeyBytes);
  if (::write(file.fd, box.key_.data(), kKeyBytes) != static_cast<ssize_t>(kKeyBytes) || ::fsync(file.fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(key_file.c_str());
    throw StoreError(StoreError::Kind::DiskFull, "Cannot write the store key " + key_file.string() + ": " + why);
  }
  return box;
}

Bytes SecretBox::seal(std::string_view plaintext, std::string_view context) const {
  return seal(Bytes(plaintext.begin(), plaintext.end()), context);
}

Bytes SecretBox::seal(const Bytes& plaintext, std::string_view context) const {
  constexpr size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  Bytes out(nonce_bytes + plaintext.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES);
  randombytes_buf(out.data(), nonce_bytes);
  unsigned long long written = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(out.data() + nonce_bytes, &written, plaintext.data(), plaintext.size(),
                                             reinterpret_cast<const unsigned char*>(context.data()), context.size(),
                                             nullptr, out.data(), key_.data());
  out.resize(nonce_bytes + written);
  return out;
}

Bytes SecretBox::open(const Bytes& sealed, std::string_view context) const {
  constexpr size_t nonce_bytes = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  if (sealed.size() < nonce_bytes + crypto_aead_xchacha20poly1305_ietf_ABYTES)
    throw StoreError(StoreError::Kind::WrongKey, "A stored value is damaged (too short to be encrypted data).");
  Bytes out(sealed.size() - nonce_bytes - crypto_aead_xchacha20poly1305_ietf_ABYTES);
  unsigned long long written = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(
          out.data(), &written, nullptr, sealed.data() + nonce_bytes, sealed.size() - nonce_bytes,
          reinterpret_cast<const unsigned char*>(context.data()), context.size(), sealed.data(), key_.data()) != 0)
    throw StoreError(StoreError::Kind::WrongKey,
                     "Stored data could not be decrypted: the store key does not belong to this store, or the data "
                     "is damaged.");
  out.resize(written);
  return out;
}

std::string SecretBox::open_text(const Bytes& sealed, std::string_view context) const {
  const Bytes plain = open(sealed, context);
  return std::string(plain.begin(), plain.end());
}

}  // namespace kiosk::store
