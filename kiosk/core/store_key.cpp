#include "store_key.hpp"

#include "subprocess.hpp"
#include "unique_fd.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace kiosk {

namespace {

constexpr size_t kKeyBytes = 32;
constexpr const char* kCredentialName = "store.key";

using Fd = UniqueFd;

// Overwrites a string's bytes before it is released (key material).
void wipe(std::string& s) {
  volatile char* p = s.data();
  for (size_t i = 0; i < s.size(); ++i) p[i] = 0;
  s.clear();
}

struct Ran {
  int code = -1;
  std::string out, err;
  ~Ran() { wipe(out); }
};

// Runs systemd-creds with `input` on its standard input; its output comes back through pipes,
// so neither the key nor the credential passes through a file of ours.
Ran systemd_creds(const std::vector<std::string>& words, const std::string& input) {
  ChildProcess::Options pipes;
  pipes.search_path = true;
  pipes.input_pipe = pipes.output_pipe = pipes.errors_pipe = true;
  std::optional<ChildProcess> child;
  try {
    child.emplace("systemd-creds", words, pipes);
  } catch (const ChildProcess::StartError& e) {
    if (e.no_pipe) throw std::runtime_error("cannot start systemd-creds (no pipe)");
    throw std::runtime_error(std::string("cannot run systemd-creds (package systemd): ") + std::strerror(e.error));
  }
  // The input is 32 bytes or a credential of a few hundred: it fits in the pipe at once.
  child->write_input(input);
  // systemd-creds may hang (e.g. a TPM that does not answer): it is given 30 s.
  auto got = child->collect(std::chrono::seconds(30));
  Ran ran;
  ran.out.swap(got.out);
  ran.err.swap(got.err);
  ran.code = child->wait();
  while (!ran.err.empty() && (ran.err.back() == '\n' || ran.err.back() == ' ')) ran.err.pop_back();
  return ran;
}

// The plain key file's 32 bytes; empty when there is none.
std::string read_plain_key(const std::filesystem::path& file) {
  Fd f(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (f.fd < 0) {
    if (errno == ENOENT) return {};
    throw std::runtime_error("cannot read the store key " + file.string() + ": " + std::strerror(errno));
  }
  std::string key(kKeyBytes + 1, '\0');
  const ssize_t n = ::read(f.fd, key.data(), key.size());
  if (n != static_cast<ssize_t>(kKeyBytes)) {
    wipe(key);
    throw std::runtime_error("the store key " + file.string() + " is not a kiosk key (it must be exactly 32 bytes)");
  }
  key.resize(kKeyBytes);
  return key;
}

bool same_bytes(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

void fsync_dir(const std::filesystem::path& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd >= 0) ::fsync(d.fd);
}

// Writes `bytes` as `file` (0600, written beside it, synced, then renamed in).
void write_private_file(const std::filesystem::path& file, const std::string& bytes) {
  const auto tmp = file.string() + ".new";
  ::unlink(tmp.c_str());
  Fd f(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (f.fd < 0) throw std::runtime_error("cannot write " + tmp + ": " + std::strerror(errno));
  if (::write(f.fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) || ::fsync(f.fd) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + tmp + ": " + why);
  }
  f.reset();
  if (::rename(tmp.c_str(), file.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    ::unlink(tmp.c_str());
    throw std::runtime_error("cannot write " + file.string() + ": " + why);
  }
  fsync_dir(file.parent_path());
}

// Overwrites the plain key in place, then removes it (on a copy-on-write or flash disk old
// blocks may survive the overwrite: ADMIN.md says so).
void destroy_plain_key(const std::filesystem::path& file) {
  {
    Fd f(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (f.fd >= 0) {
      const std::string zeros(kKeyBytes, '\0');
      if (::write(f.fd, zeros.data(), zeros.size()) == static_cast<ssize_t>(zeros.size())) ::fsync(f.fd);
    }
  }
  if (::unlink(file.c_str()) != 0 && errno != ENOENT)
    throw std::runtime_error("cannot remove the plain store key " + file.string() + ": " + std::strerror(errno));
  fsync_dir(file.parent_path());
}

std::string encrypt(const std::string& key) {
  Ran ran = systemd_creds({"encrypt", std::string("--name=") + kCredentialName, "--with-key=auto", "-", "-"}, key);
  if (ran.code != 0 || ran.out.empty())
    throw std::runtime_error("systemd-creds could not seal the store key: " +
                             (ran.err.empty() ? "exit " + std::to_string(ran.code) : ran.err));
  std::string sealed = ran.out;
  return sealed;
}

}  // namespace

std::string StoreKeySource::describe() const {
  switch (kind) {
    case Kind::UnitCredential:
      return "encrypted systemd credential, decrypted by systemd for this unit (" + path.string() + ")";
    case Kind::DecryptedCredential:
      return "encrypted systemd credential " + path.string() + ", decrypted in memory";
    case Kind::PlainFile:
      break;
  }
  return "plain key file " + path.string();
}

std::string decrypt_store_credential(const std::filesystem::path& credential) {
  std::ifstream in(credential, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the store key credential " + credential.string());
  const std::string sealed((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  Ran ran = systemd_creds({"decrypt", std::string("--name=") + kCredentialName, "-", "-"}, sealed);
  if (ran.code != 0)
    throw std::runtime_error("systemd-creds could not decrypt the store key credential " + credential.string() +
                             " (it opens only on the machine, and with the TPM, it was sealed on; run as root): " +
                             (ran.err.empty() ? "exit " + std::to_string(ran.code) : ran.err));
  if (ran.out.size() != kKeyBytes)
    throw std::runtime_error("the credential " + credential.string() + " does not hold a kiosk store key");
  std::string key = ran.out;
  return key;
}

std::filesystem::path memory_file(const std::string& bytes, const std::string& name) {
  Fd f(::memfd_create(name.c_str(), MFD_CLOEXEC | MFD_ALLOW_SEALING));
  if (f.fd < 0) throw std::runtime_error(std::string("cannot keep the key in memory: ") + std::strerror(errno));
  if (::write(f.fd, bytes.data(), bytes.size()) != static_cast<ssize_t>(bytes.size()) || ::fchmod(f.fd, 0400) != 0)
    throw std::runtime_error(std::string("cannot keep the key in memory: ") + std::strerror(errno));
  ::fcntl(f.fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
  // Open for the life of the process (a kioskctl command): the store reopens it by path.
  static std::mutex kept_mutex;
  static std::vector<int> kept;
  std::lock_guard lock(kept_mutex);
  const int fd = f.release();
  kept.push_back(fd);
  return "/proc/self/fd/" + std::to_string(fd);
}

bool installed_store_key(const Config& config) {
  const Config defaults;
  return !config.get_path("store.credential").empty() &&
         config.get_path("store.key_file") == defaults.get_path("store.key_file") &&
         config.get_path("store.path") == defaults.get_path("store.path");
}

StoreKeySource use_store_key(Config& config) {
  StoreKeySource source;
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY"); dir && *dir) {
    const auto file = std::filesystem::path(dir) / kCredentialName;
    std::error_code ec;
    if (std::filesystem::exists(file, ec)) {
      config.set("store.key_file", file.string());
      source.kind = StoreKeySource::Kind::UnitCredential;
      source.path = file;
      return source;
    }
  }
  const auto plain = config.get_path("store.key_file");
  const auto credential = config.get_path("store.credential");
  std::error_code ec;
  if (installed_store_key(config) && ::geteuid() == 0 && !std::filesystem::exists(plain, ec) &&
      std::filesystem::exists(credential, ec)) {
    std::string key = decrypt_store_credential(credential);
    const auto file = memory_file(key, "store.key");
    wipe(key);
    config.set("store.key_file", file.string());
    source.kind = StoreKeySource::Kind::DecryptedCredential;
    source.path = credential;
    return source;
  }
  source.path = plain;
  return source;
}

SealReport seal_store_key(const Config& config, bool keep_plain) {
  if (::geteuid() != 0)
    throw std::runtime_error("sealing the store key needs root (systemd-creds uses the host key or TPM)");
  SealReport report;
  const auto plain = config.get_path("store.key_file");
  const auto credential = config.get_path("store.credential");
  if (credential.empty()) throw std::runtime_error("store.credential is empty in the configuration");
  report.credential = credential;
  std::error_code ec;
  const bool have_credential = std::filesystem::exists(credential, ec);
  std::string key = read_plain_key(plain);
  struct WipeKey {
    std::string& k;
    ~WipeKey() { wipe(k); }
  } wipe_key{key};

  if (have_credential) {
    std::string sealed_key = decrypt_store_credential(credential);
    struct WipeSealed {
      std::string& k;
      ~WipeSealed() { wipe(k); }
    } wipe_sealed{sealed_key};
    if (key.empty()) {
      report.message = "The store key is already sealed in " + credential.string() + ".";
      return report;
    }
    if (!same_bytes(key, sealed_key))
      throw std::runtime_error("the plain store key " + plain.string() + " and the credential " + credential.string() +
                               " hold different keys; nothing was changed. Keep the one that opens the store "
                               "(kioskctl doctor) and move the other away");
    // A conversion stopped after the credential was written (kill -9, power cut): finish it.
    if (!keep_plain) {
      destroy_plain_key(plain);
      report.plain_removed = true;
    }
    report.message = "The store key was already sealed in " + credential.string() +
                     (report.plain_removed ? "; the plain copy " + plain.string() + " is removed." : ".");
    return report;
  }

  if (key.empty()) {
    // No key yet: a store without its key must never get a new one.
    if (std::filesystem::exists(config.get_path("store.path"), ec))
      throw std::runtime_error("the store " + config.get_path("store.path").string() + " exists but its key " +
                               plain.string() + " is missing: restore the key from your backup, then run this again");
    key.resize(kKeyBytes);
    if (::getrandom(key.data(), key.size(), 0) != static_cast<ssize_t>(key.size()))
      throw std::runtime_error(std::string("no random bytes for a new store key: ") + std::strerror(errno));
  }
  std::filesystem::create_directories(credential.parent_path(), ec);
  ::chmod(credential.parent_path().c_str(), 0700);
  const std::string sealed = encrypt(key);
  write_private_file(credential, sealed);
  // Verified before the plain file goes: the credential must open here to the same bytes.
  std::string back = decrypt_store_credential(credential);
  const bool same = same_bytes(back, key);
  wipe(back);
  if (!same) {
    std::filesystem::remove(credential, ec);
    throw std::runtime_error("the sealed store key did not decrypt to the same key; nothing was changed");
  }
  report.sealed = true;
  if (!keep_plain && std::filesystem::exists(plain, ec)) {
    destroy_plain_key(plain);
    report.plain_removed = true;
  }
  report.message = "The store key is sealed in " + credential.string() + " (systemd-creds, --with-key=auto)" +
                   (report.plain_removed ? "; the plain key file " + plain.string() + " is removed." : ".");
  return report;
}

}  // namespace kiosk
