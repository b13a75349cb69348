#pragma once
// The QR key ring on disk. The current key is the file `print.mac_key_file`; the keys the kiosk
// still accepts besides it are in the folder `qr-keys` beside that file, one file per key:
//   previous-<id>.key  this kiosk's own key before a rotation (its date: when it was retired)
//   operator-<id>.key  an operator-wide key, imported (its date: when it was imported)
// Every file holds only the key bytes (as `head -c 32 /dev/urandom` makes them), mode 0600.
// Files are never rewritten in place: a new one is written under a temporary name, synced, then
// linked or renamed into place, so a crash leaves the old key or the new one, never half of one.
#include <ctime>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "print/qr_payload.hpp"

namespace print {

// The file name an operator key has on a certificate USB stick (kioskctl setup --certs-from).
inline constexpr const char* kOperatorQrKeyFileName = "qr-operator.key";

std::filesystem::path qr_key_ring_dir(const std::filesystem::path& current_key_file);

// One key as `kioskctl keys list` and the doctor show it: never its bytes.
struct QrKeyFileInfo {
  std::string id;  // empty when the file cannot be read
  QrKeyRole role = QrKeyRole::Current;
  std::filesystem::path file;
  std::time_t since = 0;  // the file's modification time: made, retired or imported
  std::string problem;    // why the file cannot be used ("" when it can)
};

// The current key first (always listed, with a problem when missing), then the ring's files by
// role and date (newest first). Files in the ring folder that are not <role>-<id>.key, and
// temporary files, are not listed.
std::vector<QrKeyFileInfo> list_qr_keys(const std::filesystem::path& current_key_file);

// The current key and every usable key of the ring. Throws PrintError (MacKey::load_file's
// codes) when the current key cannot be read; a ring file that cannot be read, is too short or
// whose name does not match its key is left out (the doctor names it).
QrKeyRing load_qr_key_ring(const std::filesystem::path& current_key_file);

// Who owns new key files (the kiosk user when running as root); unset: whoever runs.
struct KeyFileOwner {
  std::optional<unsigned> uid, gid;
};

// Makes the current key (32 random bytes, 0600) when there is none. Never overwrites: returns
// false when a key file is already there. Throws PrintError ("qr-key-write") when it cannot.
bool create_qr_key(const std::filesystem::path& current_key_file, KeyFileOwner owner = {});

struct QrRotation {
  std::string old_id, new_id;
  std::vector<std::string> dropped;  // ids of previous keys removed beyond `keep_previous`
};
// Moves the current key into the ring (previous-<id>.key), makes a new current key, and keeps
// the newest `keep_previous` (>= 1) previous keys. Order for a crash at any point: the old key
// is safely in the ring before the new one replaces it (rename), and old ones are dropped last.
QrRotation rotate_qr_key(const std::filesystem::path& current_key_file, int keep_previous, KeyFileOwner owner = {});

// Copies an operator key (a file of at least 16 bytes) into the ring as operator-<id>.key and
// returns its id. Importing the same key again changes nothing. Refuses (PrintError
// "qr-key-import") the kiosk's own current or previous key, and a file shorter than 16 bytes.
std::string import_qr_operator_key(const std::filesystem::path& current_key_file, const std::filesystem::path& source,
                                   KeyFileOwner owner = {});

}  // namespace print
