#pragma once
#include <filesystem>
#include <optional>
#include <string>

#include "store/secret_box.hpp"
#include "store/sqlite.hpp"

namespace kiosk::store {

// The kiosk's store: one SQLite file in WAL mode with synchronous=FULL and
// secure_delete, brought up to date by numbered migrations on open, plus the key that
// encrypts its personal data. Tables: submissions, field_values, pages, representation,
// outbox, receipts, audit_log, meta, held_sheets, held_pages, staff_members. Personal data (answers, representation
// parties and the scanned page images in pages.image) is sealed with the store key; the outbox payload is sealed to the
// platform's certificate.
class Store {
 public:
  // Opens the store, creating the file and (only for a new store) the key file when
  // missing. An existing store never gets a new key: a missing or wrong key is a
  // StoreError, never silent plaintext. A damaged file is StoreError(Corrupt).
  static Store open(const std::filesystem::path& db_file, const std::filesystem::path& key_file);

  Database& db() { return db_; }
  const SecretBox& box() const { return box_; }
  int schema_version();
  static int latest_schema_version();

  // Records an action: who, what, when, which submission reference. Never pass health
  // data or identity numbers here. Runs inside the caller's transaction, if any.
  void audit(const std::string& actor, const std::string& action, const std::string& reference,
             const std::string& detail = "");

  // Moves the WAL into the main file and truncates it, so deleted data does not linger
  // in old WAL frames. Best effort: false when another reader kept it from finishing.
  bool checkpoint();

 private:
  Store(Database db, SecretBox box) : db_(std::move(db)), box_(std::move(box)) {}
  Database db_;
  SecretBox box_;
};

// Current UTC time as ISO 8601 ("2026-11-25T14:03:07Z") and milliseconds since the epoch.
std::string now_iso();
std::int64_t now_ms();

}  // namespace kiosk::store
