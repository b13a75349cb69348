#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace kiosk::store {

using Bytes = std::vector<std::uint8_t>;

// A store problem in plain language (disk full, corrupt file, wrong key, ...).
class StoreError : public std::runtime_error {
 public:
  enum class Kind { Other, DiskFull, Corrupt, WrongKey, MissingKey, Busy, NotFound };
  StoreError(Kind kind, const std::string& message) : std::runtime_error(message), kind_(kind) {}
  Kind kind() const { return kind_; }
  // The store's file or key itself is wrong (damaged, another store's key, no key): someone must
  // restore it from a backup; trying again later will not help.
  bool needs_restore() const { return kind_ == Kind::Corrupt || kind_ == Kind::WrongKey || kind_ == Kind::MissingKey; }

 private:
  Kind kind_;
};

struct ConnectionCloser {
  void operator()(sqlite3* db) const noexcept;
};
struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept;
};

class Statement;

// One SQLite connection. Closed by its deleter, which never throws.
class Database {
 public:
  // Opens (creating when `create` is true) the file. Throws StoreError.
  Database(const std::filesystem::path& file, bool create);
  void exec(const std::string& sql);
  Statement prepare(const std::string& sql);
  std::int64_t changes() const;
  sqlite3* handle() const { return db_.get(); }
  const std::filesystem::path& file() const { return file_; }
  // Turns the last SQLite error into a StoreError with a plain-language message.
  [[noreturn]] void fail(int code, const std::string& doing) const;

 private:
  std::unique_ptr<sqlite3, ConnectionCloser> db_;
  std::filesystem::path file_;
};

// A prepared statement; parameters are 1-based, columns 0-based.
class Statement {
 public:
  Statement(Database& db, sqlite3_stmt* stmt) : db_(&db), stmt_(stmt) {}
  Statement& bind(int index, std::string_view text);
  Statement& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Statement& bind(int index, std::int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<std::int64_t>(value)); }
  Statement& bind_blob(int index, const Bytes& blob);
  // Without a copy: `blob` must stay unchanged until the statement is stepped and reset.
  Statement& bind_blob_ref(int index, const Bytes& blob);
  Statement& bind_null(int index);
  // True while there is a row; false when done.
  bool step();
  void run() { step(); }
  void reset();
  std::string text(int column) const;
  std::int64_t integer(int column) const;
  Bytes blob(int column) const;
  bool is_null(int column) const;

 private:
  Database* db_;
  std::unique_ptr<sqlite3_stmt, StatementFinalizer> stmt_;
};

// Prepared statements kept for reuse on one connection (the hot paths run the same SQL
// over and over). A lease resets its statement when it goes away, so no statement keeps
// a read transaction open.
class StatementCache {
 public:
  explicit StatementCache(Database& db) : db_(&db) {}
  class Lease {
   public:
    explicit Lease(Statement& statement) : statement_(&statement) {}
    ~Lease() { statement_->reset(); }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Statement* operator->() { return statement_; }
    Statement& operator*() { return *statement_; }

   private:
    Statement* statement_;
  };
  Lease get(const std::string& sql);

 private:
  Database* db_;
  std::map<std::string, Statement> statements_;
};

// BEGIN IMMEDIATE ... COMMIT; rolls back in its destructor unless committed.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void commit();

 private:
  Database& db_;
  bool done_ = false;
};

}  // namespace kiosk::store
