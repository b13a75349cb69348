#include "print/qr_key_files.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "print/error.hpp"

namespace print {
namespace {

constexpr std::size_t kNewKeyBytes = 32;

struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string errno_text() {
  return std::strerror(errno);
}

[[noreturn]] void write_failed(const std::filesystem::path& file, const std::string& what) {
  throw PrintError("qr-key-write", "cannot write the QR key file " + file.string() + " (" + what + ")");
}

void make_dir(const std::filesystem::path& dir, const KeyFileOwner& owner) {
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) write_failed(dir, "mkdir: " + errno_text());
  if (owner.uid && ::geteuid() == 0 &&
      ::chown(dir.c_str(), *owner.uid, owner.gid.value_or(static_cast<unsigned>(-1))) != 0)
    write_failed(dir, "chown: " + errno_text());
}

void sync_dir(const std::filesystem::path& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd >= 0) ::fsync(d.fd);
}

// Holds the ring folder's lock: one rotation or import at a time (two `kioskctl keys rotate-qr`
// at the same moment would each retire the same old key and one new key would be lost). The
// lock is on the folder itself, so no lock file needs an owner; released when the fd closes.
class RingLock {
 public:
  explicit RingLock(const std::filesystem::path& dir) : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
    if (fd_.fd < 0) write_failed(dir, "open: " + errno_text());
    while (::flock(fd_.fd, LOCK_EX) != 0)
      if (errno != EINTR) write_failed(dir, "lock: " + errno_text());
  }

 private:
  Fd fd_;
};

// Writes `bytes` to `file` (mode 0600, given to `owner` when root) through a synced temporary
// file in the same folder. replace: renamed over an existing file; else linked, which never
// overwrites: returns false when `file` already exists.
bool write_key_file(const std::filesystem::path& file, const std::vector<std::uint8_t>& bytes,
                    const KeyFileOwner& owner, bool replace) {
  const auto dir = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
  std::string tmp = (dir / ("." + file.filename().string() + ".XXXXXX")).string();
  Fd out(::mkstemp(tmp.data()));
  if (out.fd < 0) write_failed(file, "mkstemp in " + dir.string() + ": " + errno_text());
  struct Unlink {
    const std::string& name;
    ~Unlink() { ::unlink(name.c_str()); }  // the temporary name goes in every case
  } cleanup{tmp};
  if (::fchmod(out.fd, 0600) != 0) write_failed(file, "chmod: " + errno_text());
  if (owner.uid && ::geteuid() == 0 && ::fchown(out.fd, *owner.uid, owner.gid.value_or(static_cast<unsigned>(-1))) != 0)
    write_failed(file, "chown: " + errno_text());
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(out.fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) write_failed(file, "write: " + errno_text());
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(out.fd) != 0) write_failed(file, "fsync: " + errno_text());
  if (replace) {
    if (::rename(tmp.c_str(), file.c_str()) != 0) write_failed(file, "rename: " + errno_text());
  } else if (::link(tmp.c_str(), file.c_str()) != 0) {
    if (errno == EEXIST) return false;
    write_failed(file, "link: " + errno_text());
  }
  sync_dir(dir);
  return true;
}

std::vector<std::uint8_t> random_key() {
  std::vector<std::uint8_t> bytes(kNewKeyBytes);
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1)
    throw PrintError("qr-key-write", "the system gave no random bytes for a new QR key");
  return bytes;
}

std::time_t mtime_of(const std::filesystem::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? st.st_mtime : 0;
}

// "previous-0a1b2c3d.key" -> role and id; nullopt for anything else (temporary files, notes).
std::optional<std::pair<QrKeyRole, std::string>> parse_ring_name(const std::string& name) {
  constexpr std::string_view kSuffix = ".key";
  if (!name.ends_with(kSuffix)) return std::nullopt;
  const auto dash = name.find('-');
  if (dash == std::string::npos) return std::nullopt;
  const std::string role = name.substr(0, dash), id = name.substr(dash + 1, name.size() - dash - 1 - kSuffix.size());
  if (id.size() != 8 ||
      !std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }))
    return std::nullopt;
  if (role == "previous") return std::pair{QrKeyRole::Previous, id};
  if (role == "operator") return std::pair{QrKeyRole::Operator, id};
  return std::nullopt;
}

std::filesystem::path ring_file(const std::filesystem::path& current_key_file, QrKeyRole role, const std::string& id) {
  return qr_key_ring_dir(current_key_file) / (to_string(role) + "-" + id + ".key");
}

// The ring's files with their keys loaded where they can be.
struct RingFile {
  QrKeyFileInfo info;
  std::optional<MacKey> key;
  std::int64_t mtime_ns = 0;  // orders keys retired within the same second
};

std::int64_t mtime_ns_of(const std::filesystem::path& file) {
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0) return 0;
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
}

std::vector<RingFile> read_ring(const std::filesystem::path& current_key_file) {
  std::vector<RingFile> out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(qr_key_ring_dir(current_key_file), ec)) {
    const auto parsed = parse_ring_name(entry.path().filename().string());
    if (!parsed) continue;
    RingFile f;
    f.info.role = parsed->first;
    f.info.file = entry.path();
    f.info.since = mtime_of(entry.path());
    f.mtime_ns = mtime_ns_of(entry.path());
    try {
      MacKey key = MacKey::load_file(entry.path());
      // The name is only a label: a file renamed by hand must not pass for another key.
      if (key.id() != parsed->second) {
        f.info.problem = "its name says key " + parsed->second + " but it holds key " + key.id();
      } else {
        f.info.id = key.id();
        f.key = std::move(key);
      }
    } catch (const PrintError& e) {
      f.info.problem = e.what();
    }
    if (f.info.id.empty()) f.info.id = parsed->second;
    out.push_back(std::move(f));
  }
  std::sort(out.begin(), out.end(), [](const RingFile& a, const RingFile& b) {
    if (a.info.role != b.info.role) return a.info.role < b.info.role;
    if (a.mtime_ns != b.mtime_ns) return a.mtime_ns > b.mtime_ns;
    return a.info.file < b.info.file;
  });
  return out;
}

}  // namespace

std::filesystem::path qr_key_ring_dir(const std::filesystem::path& current_key_file) {
  return current_key_file.parent_path() / "qr-keys";
}

std::vector<QrKeyFileInfo> list_qr_keys(const std::filesystem::path& current_key_file) {
  std::vector<QrKeyFileInfo> out;
  QrKeyFileInfo current;
  current.file = current_key_file;
  current.since = mtime_of(current_key_file);
  try {
    current.id = MacKey::load_file(current_key_file).id();
  } catch (const PrintError& e) {
    current.problem = e.what();
  }
  out.push_back(std::move(current));
  for (auto& f : read_ring(current_key_file)) out.push_back(std::move(f.info));
  return out;
}

QrKeyRing load_qr_key_ring(const std::filesystem::path& current_key_file) {
  QrKeyRing ring(MacKey::load_file(current_key_file));
  for (auto& f : read_ring(current_key_file))
    if (f.key) ring.add(std::move(*f.key), f.info.role);
  return ring;
}

bool create_qr_key(const std::filesystem::path& current_key_file, KeyFileOwner owner) {
  std::error_code ec;
  if (std::filesystem::exists(std::filesystem::symlink_status(current_key_file, ec))) return false;
  // A new kiosk's state folder may not exist yet (setup runs before the kiosk ever started).
  const auto dir = current_key_file.parent_path();
  if (!dir.empty() && !std::filesystem::exists(dir, ec)) {
    std::filesystem::create_directories(dir.parent_path(), ec);
    make_dir(dir, owner);
  }
  auto bytes = random_key();
  const bool made = write_key_file(current_key_file, bytes, owner, false);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  return made;
}

QrRotation rotate_qr_key(const std::filesystem::path& current_key_file, int keep_previous, KeyFileOwner owner) {
  if (keep_previous < 1) throw PrintError("qr-key-write", "at least one previous QR key must be kept");
  QrRotation r;
  make_dir(qr_key_ring_dir(current_key_file), owner);
  const RingLock lock(qr_key_ring_dir(current_key_file));
  const MacKey old_key = MacKey::load_file(current_key_file);
  r.old_id = old_key.id();
  // 1. The old key into the ring first: from here on sheets printed with it still verify.
  //    Already there (a rotation cut short before the new key was in place) is fine.
  write_key_file(ring_file(current_key_file, QrKeyRole::Previous, r.old_id), old_key.bytes(), owner, false);
  // 2. The new current key replaces the old one in one rename.
  auto bytes = random_key();
  r.new_id = MacKey(bytes).id();
  write_key_file(current_key_file, bytes, owner, true);
  OPENSSL_cleanse(bytes.data(), bytes.size());
  // 3. Only then the oldest previous keys beyond the number kept (newest first in read_ring).
  int kept = 0;
  for (const auto& f : read_ring(current_key_file)) {
    if (f.info.role != QrKeyRole::Previous) continue;
    if (++kept <= keep_previous) continue;
    std::error_code ec;
    if (std::filesystem::remove(f.info.file, ec)) r.dropped.push_back(f.info.id);
  }
  sync_dir(qr_key_ring_dir(current_key_file));
  return r;
}

std::string import_qr_operator_key(const std::filesystem::path& current_key_file, const std::filesystem::path& source,
                                   KeyFileOwner owner) {
  MacKey key;
  try {
    key = MacKey::load_file(source);
  } catch (const PrintError& e) {
    throw PrintError("qr-key-import", std::string("cannot import the operator QR key: ") + e.what());
  }
  const std::string id = key.id();
  // The kiosk's own keys stay its own: the same bytes as operator key would make every other
  // kiosk with that operator key accept this kiosk's sheets, which nobody asked for here.
  for (const auto& info : list_qr_keys(current_key_file))
    if (info.id == id && info.problem.empty() && info.role != QrKeyRole::Operator)
      throw PrintError("qr-key-import", "the file " + source.string() + " holds this kiosk's own " +
                                            to_string(info.role) + " key " + id + ", not an operator key");
  make_dir(qr_key_ring_dir(current_key_file), owner);
  const RingLock lock(qr_key_ring_dir(current_key_file));
  write_key_file(ring_file(current_key_file, QrKeyRole::Operator, id), key.bytes(), owner, false);
  return id;
}

}  // namespace print
