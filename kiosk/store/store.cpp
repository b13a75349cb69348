#include "store/store.hpp"

#include <algorithm>
#include <chrono>
#include <ctime>
#include <vector>

namespace kiosk::store {

namespace {

// Numbered migrations: entry N brings the schema from version N to N+1. Never edit a
// released entry; append a new one.
const std::vector<std::string>& migrations() {
  static const std::vector<std::string> list = {
      // 1: the initial schema.
      R"sql(
CREATE TABLE meta(key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE submissions(
  id TEXT PRIMARY KEY,
  reference TEXT NOT NULL UNIQUE,
  form_id TEXT NOT NULL,
  form_version TEXT NOT NULL,
  representation_type TEXT NOT NULL,
  assisted_by TEXT,
  page_count INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  personal_deleted_at TEXT);
CREATE TABLE field_values(
  submission_id TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
  link_id TEXT NOT NULL,
  value BLOB NOT NULL,
  PRIMARY KEY(submission_id, link_id));
CREATE TABLE pages(
  submission_id TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
  page_no INTEGER NOT NULL,
  bytes INTEGER NOT NULL,
  sha256 TEXT NOT NULL,
  PRIMARY KEY(submission_id, page_no));
CREATE TABLE representation(
  submission_id TEXT PRIMARY KEY REFERENCES submissions(id) ON DELETE CASCADE,
  type_code TEXT NOT NULL,
  parties BLOB NOT NULL);
CREATE TABLE outbox(
  submission_id TEXT PRIMARY KEY REFERENCES submissions(id),
  status TEXT NOT NULL,
  payload BLOB,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  last_error TEXT,
  updated_at TEXT NOT NULL,
  sent_at TEXT,
  finished_at TEXT);
CREATE INDEX outbox_due ON outbox(status, next_attempt_at);
CREATE TABLE receipts(
  id INTEGER PRIMARY KEY,
  submission_id TEXT NOT NULL,
  received_at TEXT NOT NULL,
  outcome TEXT NOT NULL,
  platform_reference TEXT,
  reason_code TEXT,
  reason_text TEXT);
CREATE TABLE audit_log(
  id INTEGER PRIMARY KEY,
  at TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  reference TEXT,
  detail TEXT);
)sql",
      // 2: receipts are looked up by submission.
      "CREATE INDEX receipts_by_submission ON receipts(submission_id);",
      // 3: the scanned page images themselves, sealed with the store key (XChaCha20-Poly1305),
      // so the kiosk can show or re-send them; deleted with the rest of the personal data.
      "ALTER TABLE pages ADD COLUMN image BLOB;",
      // 4: scanned sheets waiting for staff review (held_sheets.hpp). What was read (answers,
      // read values, crops, representation) and the page images are sealed with the store key
      // like pages.image; the rows are deleted (secure_delete) when staff decide.
      R"sql(
CREATE TABLE held_sheets(
  id TEXT PRIMARY KEY,
  reference TEXT NOT NULL UNIQUE,
  form_id TEXT NOT NULL,
  source TEXT NOT NULL,
  fields_to_check INTEGER NOT NULL,
  created_at TEXT NOT NULL,
  content BLOB NOT NULL);
CREATE TABLE held_pages(
  sheet_id TEXT NOT NULL REFERENCES held_sheets(id) ON DELETE CASCADE,
  page_no INTEGER NOT NULL,
  image BLOB NOT NULL,
  PRIMARY KEY(sheet_id, page_no));
)sql",
      // 5: individual staff members (staff_members.hpp). In the store, not in kiosk.toml, because
      // the kiosk must read them and the admin changes them while it runs; in plain text because
      // a staff number and a name (initials) are not health data, and only the PIN's Argon2id
      // hash is kept. A removed member keeps the row (name, no hash) so the audit log's staff
      // numbers stay explained and a number is never given to someone else.
      R"sql(
CREATE TABLE staff_members(
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  pin_hash TEXT NOT NULL,
  added_at TEXT NOT NULL,
  removed_at TEXT);
)sql",
      // 6: staff sign-in failures and lock-outs (staff_members.hpp), so restarting or power-cycling
      // the kiosk does not clear a lock-out. scope '*' is the kiosk (the shared PIN's wrong PINs in
      // a row; locked_until: sign-in locked for everyone), any other scope a staff number as typed.
      // Times are milliseconds since the epoch. staff_wrong_pins: when wrong member PINs were
      // typed, kiosk-wide, within the lock-out time (older rows are dropped).
      R"sql(
CREATE TABLE staff_sign_in_failures(
  scope TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  locked_until INTEGER NOT NULL);
CREATE TABLE staff_wrong_pins(at INTEGER NOT NULL);
)sql",
      // 7: escalating lock-outs (lockouts: lock-outs in a row for the scope; locked_until is kept
      // after a lock-out ends while the series may still escalate), and a record of each lock-out
      // (when, which scope, until when) for the operator's health report; rows older than 90 days
      // are dropped.
      R"sql(
ALTER TABLE staff_sign_in_failures ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0;
CREATE TABLE staff_lockouts(at INTEGER NOT NULL, scope TEXT NOT NULL, locked_until INTEGER NOT NULL);
CREATE INDEX staff_lockouts_by_time ON staff_lockouts(at);
)sql",
      // 8: the printed sheet's submission id (the QR code's), the idempotency key of a commit: a
      // sheet scanned twice is one submission. NULL for submissions without a sheet id.
      R"sql(
ALTER TABLE submissions ADD COLUMN sheet_id TEXT;
CREATE UNIQUE INDEX submissions_by_sheet ON submissions(sheet_id);
)sql",
      // 9: a submission sent again after the platform rejected it goes out under a new message-id
      // (the platform answers a message-id once); each new one names the one it replaces. Without
      // a row here a submission's message-id is its own id.
      R"sql(
CREATE TABLE message_ids(
  message_id TEXT PRIMARY KEY,
  submission_id TEXT NOT NULL REFERENCES submissions(id),
  replaces TEXT NOT NULL,
  created_at TEXT NOT NULL);
CREATE INDEX message_ids_by_submission ON message_ids(submission_id);
)sql",
      // 10: one delivery worker at a time per row, and the worker's signs of life (delivery_state.hpp).
      // A worker claims the rows it sends (lease_owner, lease_until in ms since the epoch) so a second
      // worker started by mistake never sends the same row; a crashed worker's lease runs out (or is
      // taken over at once on the same machine when its process is gone), so nothing is lost.
      // delivery_workers: when each worker last ran and last reached the broker (no personal data);
      // delivery_state: small counters such as when the last health report reached the broker.
      R"sql(
ALTER TABLE outbox ADD COLUMN lease_owner TEXT;
ALTER TABLE outbox ADD COLUMN lease_until INTEGER NOT NULL DEFAULT 0;
CREATE TABLE delivery_workers(
  worker_id TEXT PRIMARY KEY,
  started_at INTEGER NOT NULL,
  last_run_at INTEGER NOT NULL,
  last_connected_at INTEGER NOT NULL DEFAULT 0,
  last_error TEXT);
CREATE TABLE delivery_state(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
)sql",
      // 11: why a message was parked (outbox.hpp FailureCause: broker, credentials, receipt, other), so the
      // delivery worker sends it again by itself once that cause is gone. NULL unless parked.
      "ALTER TABLE outbox ADD COLUMN parked_cause TEXT;",
      // 12: staff ask the platform to withdraw a submission it already has (kioskctl queue withdraw): a
      // message of its own (message_id) naming the message-id to withdraw, with staff's reason (no personal
      // data; it is sent to the platform); status queued -> sent ->
      // withdrawn or refused when the platform's receipt comes (answer: its reason when refused).
      R"sql(
CREATE TABLE withdrawals(
  message_id TEXT PRIMARY KEY,
  submission_id TEXT NOT NULL REFERENCES submissions(id),
  withdraws TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  reason TEXT NOT NULL,
  status TEXT NOT NULL,
  sent_at TEXT,
  answered_at TEXT,
  answer TEXT);
CREATE INDEX withdrawals_by_submission ON withdrawals(submission_id);
)sql",
  };
  return list;
}

constexpr const char* kKeyCheckContext = "meta:key-check";
constexpr const char* kKeyCheckText = "helsenorge-kiosk store key check";

void apply_pragmas(Database& db, bool is_new) {
  // Large pages for a new store: a submission is ~1 MB of blobs (payload and sealed page
  // images), and with 4 KiB pages SQLite spends most of a commit's CPU on per-page WAL
  // writes and checkpoint copies (measured: 5.0 -> 2.1 ms per commit; 64 KiB saves little more but makes every small
  // change write 64 KiB pages). Only possible before the first table exists; older stores keep their page size.
  if (is_new) db.exec("PRAGMA page_size=32768");
  // The first statement reads the header: a file that is not SQLite fails here.
  db.exec("PRAGMA journal_mode=WAL");
  // A commit checkpoints only when the WAL holds ~64 MiB (whatever the page size): copying
  // the WAL into the main file is half of the bytes a commit would write, so the delivery
  // worker does it in the background, from ~4 MiB on (kWalCheckpointBytes in delivery.cpp)
  // and after acceptances. Without a worker (no broker configured) commits still bound it.
  std::int64_t page_size = 4096;
  {
    auto st = db.prepare("PRAGMA page_size");
    if (st.step()) page_size = std::max<std::int64_t>(512, st.integer(0));
  }
  db.exec("PRAGMA wal_autocheckpoint=" + std::to_string(std::max<std::int64_t>(16, (64 << 20) / page_size)));
  db.exec("PRAGMA synchronous=FULL");
  db.exec("PRAGMA secure_delete=ON");
  db.exec("PRAGMA foreign_keys=ON");
}

void migrate(Database& db) {
  const auto read_version = [&db] {
    auto version_stmt = db.prepare("PRAGMA user_version");
    version_stmt.step();
    return static_cast<size_t>(version_stmt.integer(0));
  };
  const auto current = read_version();
  const auto& list = migrations();
  if (current > list.size())
    throw StoreError(StoreError::Kind::Other, "The store " + db.file().string() +
                                                  " was made by a newer kiosk version (schema " +
                                                  std::to_string(current) + "). Update the kiosk software.");
  for (size_t n = current; n < list.size(); ++n) {
    Transaction tx(db);  // BEGIN IMMEDIATE: one process migrates at a time
    // The kiosk, the delivery service and kioskctl may open a store at once after an upgrade:
    // another may have applied this step since the version was read above.
    if (read_version() > n) continue;
    db.exec(list[n]);
    db.exec("PRAGMA user_version=" + std::to_string(n + 1));
    tx.commit();
  }
}

}  // namespace

int Store::latest_schema_version() {
  return static_cast<int>(migrations().size());
}

Store Store::open(const std::filesystem::path& db_file, const std::filesystem::path& key_file) {
  ensure_sodium();
  std::error_code ec;
  if (db_file.has_parent_path()) std::filesystem::create_directories(db_file.parent_path(), ec);
  const bool is_new = !std::filesystem::exists(db_file);
  Database db(db_file, true);
  // Only the kiosk user may read the store (personal data is encrypted on top of this).
  if (is_new)
    std::filesystem::permissions(db_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  apply_pragmas(db, is_new);
  migrate(db);

  auto check = db.prepare("SELECT value FROM meta WHERE key='key_check'");
  if (check.step()) {
    const Bytes sealed = check.blob(0);
    SecretBox box = SecretBox::load(key_file);
    try {
      if (box.open_text(sealed, kKeyCheckContext) != kKeyCheckText) throw StoreError(StoreError::Kind::WrongKey, "");
    } catch (const StoreError&) {
      throw StoreError(StoreError::Kind::WrongKey, "The store key " + key_file.string() +
                                                       " does not belong to the store " + db_file.string() +
                                                       ". Use the key file from this kiosk's backup; the stored "
                                                       "submissions cannot be read with another key.");
    }
    return Store(std::move(db), std::move(box));
  }
  // A new store: use the key file if one is there (reinstall), else make one.
  SecretBox box = std::filesystem::exists(key_file) ? SecretBox::load(key_file) : SecretBox::create(key_file);
  Transaction tx(db);
  db.prepare("INSERT INTO meta(key, value) VALUES('key_check', ?)")
      .bind_blob(1, box.seal(std::string_view(kKeyCheckText), kKeyCheckContext))
      .run();
  tx.commit();
  return Store(std::move(db), std::move(box));
}

int Store::schema_version() {
  auto stmt = db_.prepare("PRAGMA user_version");
  stmt.step();
  return static_cast<int>(stmt.integer(0));
}

void Store::audit(const std::string& actor, const std::string& action, const std::string& reference,
                  const std::string& detail) {
  db_.prepare("INSERT INTO audit_log(at, actor, action, reference, detail) VALUES(?,?,?,?,?)")
      .bind(1, now_iso())
      .bind(2, actor)
      .bind(3, action)
      .bind(4, reference)
      .bind(5, detail)
      .run();
}

bool Store::checkpoint() {
  try {
    auto st = db_.prepare("PRAGMA wal_checkpoint(TRUNCATE)");
    st.step();
    return st.integer(0) == 0;  // 1: a reader kept it from finishing; tried again next time
  } catch (const StoreError& e) {
    if (e.kind() == StoreError::Kind::Busy) return false;
    throw;
  }
}

std::string now_iso() {
  const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace kiosk::store
