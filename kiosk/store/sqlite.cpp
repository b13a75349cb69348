#include "store/sqlite.hpp"

#include <sqlite3.h>
#include <sys/statvfs.h>

namespace kiosk::store {

void ConnectionCloser::operator()(sqlite3* db) const noexcept {
  sqlite3_close_v2(db);
}
void StatementFinalizer::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

namespace {
// SQLite reports a full disk as SQLITE_FULL only where it sees the write fail; creating the WAL
// index (-shm, a mapped file) or a journal on a full disk comes back as an I/O error or "cannot
// open". Whether the disk is the cause is read from the folder itself.
bool folder_is_full(const std::string& file) {
  struct statvfs fs {};
  const auto folder = std::filesystem::path(file).parent_path();
  return ::statvfs(folder.empty() ? "." : folder.c_str(), &fs) == 0 && fs.f_bavail == 0;
}

[[noreturn]] void throw_for(int code, const std::string& detail, const std::string& file, const std::string& doing) {
  const int primary = code & 0xff;
  if ((primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN) && folder_is_full(file)) code = SQLITE_FULL;
  switch (code & 0xff) {
    case SQLITE_FULL:
      throw StoreError(StoreError::Kind::DiskFull, "The disk is full, so the kiosk could not save (" + doing + " in " +
                                                       file + "). Nothing was changed. Free some space and try again.");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      throw StoreError(StoreError::Kind::Corrupt, "The kiosk's store " + file +
                                                      " is damaged or is not a kiosk store (" + detail +
                                                      "). Restore it from a backup or ask support; do not delete it.");
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      throw StoreError(StoreError::Kind::Busy,
                       "The kiosk's store " + file + " is busy (" + doing + "). Try again in a moment.");
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
    case SQLITE_READONLY:
      throw StoreError(StoreError::Kind::Other, "Cannot open or write the kiosk's store " + file + " (" + detail +
                                                    "). Check that the folder exists and the kiosk user may write it.");
    default:
      throw StoreError(StoreError::Kind::Other, "The kiosk's store " + file + " failed while " + doing + ": " + detail);
  }
}
}  // namespace

Database::Database(const std::filesystem::path& file, bool create) : file_(file) {
  sqlite3* raw = nullptr;
  const int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX;
  const int rc = sqlite3_open_v2(file.string().c_str(), &raw, flags, nullptr);
  db_.reset(raw);  // stored before the check, so a failed open is still closed
  if (rc != SQLITE_OK) {
    if (!create && rc == SQLITE_CANTOPEN)
      throw StoreError(StoreError::Kind::NotFound, "There is no kiosk store at " + file.string() + ".");
    throw_for(rc, raw ? sqlite3_errmsg(raw) : "out of memory", file.string(), "opening");
  }
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, 10000);
}

void Database::fail(int code, const std::string& doing) const {
  throw_for(code, sqlite3_errmsg(db_.get()), file_.string(), doing);
}

void Database::exec(const std::string& sql) {
  char* message = nullptr;
  const int rc = sqlite3_exec(db_.get(), sql.c_str(), nullptr, nullptr, &message);
  std::string detail = message ? message : "";
  sqlite3_free(message);
  if (rc != SQLITE_OK) throw_for(rc, detail, file_.string(), "running " + sql.substr(0, 40));
}

Statement Database::prepare(const std::string& sql) {
  sqlite3_stmt* raw = nullptr;
  const int rc = sqlite3_prepare_v2(db_.get(), sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
  Statement statement(*this, raw);
  if (rc != SQLITE_OK) fail(rc, "preparing " + sql.substr(0, 40));
  return statement;
}

std::int64_t Database::changes() const {
  return sqlite3_changes(db_.get());
}

Statement& Statement::bind(int index, std::string_view text) {
  const int rc = sqlite3_bind_text(stmt_.get(), index, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->fail(rc, "binding a value");
  return *this;
}
Statement& Statement::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_.get(), index, value);
  if (rc != SQLITE_OK) db_->fail(rc, "binding a value");
  return *this;
}
Statement& Statement::bind_blob(int index, const Bytes& blob) {
  const int rc = sqlite3_bind_blob64(stmt_.get(), index, blob.empty() ? "" : static_cast<const void*>(blob.data()),
                                     blob.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) db_->fail(rc, "binding a value");
  return *this;
}
Statement& Statement::bind_blob_ref(int index, const Bytes& blob) {
  const int rc = sqlite3_bind_blob64(stmt_.get(), index, blob.empty() ? "" : static_cast<const void*>(blob.data()),
                                     blob.size(), SQLITE_STATIC);
  if (rc != SQLITE_OK) db_->fail(rc, "binding a value");
  return *this;
}
Statement& Statement::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_.get(), index);
  if (rc != SQLITE_OK) db_->fail(rc, "binding a value");
  return *this;
}

bool Statement::step() {
  const int rc = sqlite3_step(stmt_.get());
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  sqlite3_reset(stmt_.get());
  db_->fail(rc, "running a statement");
}

void Statement::reset() {
  sqlite3_reset(stmt_.get());
  sqlite3_clear_bindings(stmt_.get());
}

std::string Statement::text(int column) const {
  const auto* p = sqlite3_column_text(stmt_.get(), column);
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<size_t>(n)) : std::string();
}
std::int64_t Statement::integer(int column) const {
  return sqlite3_column_int64(stmt_.get(), column);
}
Bytes Statement::blob(int column) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_.get(), column));
  const int n = sqlite3_column_bytes(stmt_.get(), column);
  return p ? Bytes(p, p + n) : Bytes();
}
bool Statement::is_null(int column) const {
  return sqlite3_column_type(stmt_.get(), column) == SQLITE_NULL;
}

StatementCache::Lease StatementCache::get(const std::string& sql) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) it = statements_.emplace(sql, db_->prepare(sql)).first;
  return Lease(it->second);
}

Transaction::Transaction(Database& db) : db_(db) {
  db_.exec("BEGIN IMMEDIATE");
}

Transaction::~Transaction() {
  if (!done_) sqlite3_exec(db_.handle(), "ROLLBACK", nullptr, nullptr, nullptr);  // never throws
}

void Transaction::commit() {
  db_.exec("COMMIT");
  done_ = true;
}

}  // namespace kiosk::store
