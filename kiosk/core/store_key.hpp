#pragma once
#include <filesystem>
#include <string>

#include "config.hpp"

namespace kiosk {

// The store key (32 bytes that seal the queue, held sheets and page images in kiosk.db) as an
// encrypted systemd credential instead of a plain file beside the store. `kioskctl setup` (or
// `kioskctl keys seal-store-key`) seals it with `systemd-creds encrypt --with-key=auto` (the
// TPM2 when the machine has one, else the host key /var/lib/systemd/credential.secret) into
// store.credential; both units load it with LoadCredentialEncrypted=store.key:..., so systemd
// decrypts it into $CREDENTIALS_DIRECTORY/store.key (tmpfs, 0400, only for that unit). The
// plain file (store.key_file) stays the development and test path.

// Where the key this process reads comes from.
struct StoreKeySource {
  enum class Kind {
    UnitCredential,       // $CREDENTIALS_DIRECTORY/store.key, decrypted by systemd for the unit
    DecryptedCredential,  // store.credential decrypted here by `systemd-creds decrypt` (root), in memory only
    PlainFile,            // store.key_file
  } kind = Kind::PlainFile;
  std::filesystem::path path;  // the file read (for DecryptedCredential: the credential)
  std::string describe() const;
};

// True when store.path and store.key_file are at their installed places (/var/lib/helsenorge-kiosk)
// and store.credential is set: only the installed store's key is sealed by `kioskctl setup` and decrypted
// from the credential; a store elsewhere (development, tests) keeps its plain key file.
bool installed_store_key(const Config& config);

// Points the configuration's store.key_file at the key this process must use, in this order:
// $CREDENTIALS_DIRECTORY/store.key when it exists (the kiosk and delivery units); else, for root
// when installed_store_key(), store.credential exists and the plain key file does not, the credential decrypted through
// a pipe into an anonymous memory file (memfd, never on disk; store.key_file then names /proc/self/fd/N); else the
// plain key file as configured. Throws std::runtime_error when the credential is there but cannot be decrypted.
StoreKeySource use_store_key(Config& config);

// What `kioskctl keys seal-store-key` did.
struct SealReport {
  bool sealed = false;         // a credential was written now
  bool plain_removed = false;  // the plain key file was removed after the credential was verified
  std::filesystem::path credential;
  std::string message;  // one or two plain English sentences for the admin
};

// As root: seals the plain store key (store.key_file) into store.credential, verifies that the
// credential decrypts to the same 32 bytes, and only then overwrites and removes the plain file
// (unless keep_plain). Run again, it does nothing (already sealed) and never replaces a credential
// with another key. Throws std::runtime_error with a plain reason.
SealReport seal_store_key(const Config& config, bool keep_plain);

// The 32 key bytes of a sealed credential, decrypted by `systemd-creds decrypt` into this process
// through a pipe (root). Throws std::runtime_error.
std::string decrypt_store_credential(const std::filesystem::path& credential);

// Writes `bytes` into a sealed anonymous memory file (memfd, 0400) that lives as long as this
// process; returns its /proc/self/fd path.
std::filesystem::path memory_file(const std::string& bytes, const std::string& name);

}  // namespace kiosk
