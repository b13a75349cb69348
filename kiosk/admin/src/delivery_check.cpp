// The doctor's delivery check: is the one delivery worker (the delivery unit) running? It writes
// a sign of life into the store (kiosk/store/delivery_state.hpp); the doctor reads it the way
// count_undelivered reads the outbox (read-only, no key needed: no personal data in it).
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <filesystem>
#include <memory>

#include "admin/checks.hpp"
#include "outbox/health.hpp"
#include "store/delivery_state.hpp"
#include "store/store.hpp"

namespace kiosk::admin {

namespace {

struct Closer {
  void operator()(sqlite3* db) const noexcept { sqlite3_close(db); }
  void operator()(sqlite3_stmt* st) const noexcept { sqlite3_finalize(st); }
};

std::string ago(std::int64_t ms) {
  const std::int64_t s = ms / 1000;
  if (s < 120) return std::to_string(s) + " s ago";
  if (s < 2 * 3600) return std::to_string(s / 60) + " minutes ago";
  if (s < 2 * 86400) return std::to_string(s / 3600) + " hours ago";
  return std::to_string(s / 86400) + " days ago";
}

// The store opened read-only, as count_undelivered does: as another user than its owner only
// from a merged file (immutable), so the doctor run as root never leaves root-owned -wal or
// -shm files beside the kiosk's store. Empty when it cannot be opened.
std::unique_ptr<sqlite3, Closer> open_store_read_only(const std::filesystem::path& store_file) {
  struct stat st {};
  const bool owner = ::stat(store_file.c_str(), &st) == 0 && st.st_uid == ::geteuid();
  const std::string uri = "file:" + store_file.string() + (owner ? "" : "?immutable=1");
  sqlite3* raw = nullptr;
  const int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  std::unique_ptr<sqlite3, Closer> db(raw);  // closed even when the open failed
  if (rc != SQLITE_OK) return nullptr;
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

constexpr const char* kStartFix =
    "Start it and keep it running: systemctl enable --now helsenorge-kiosk-delivery.service (see why it stopped: "
    "journalctl -u helsenorge-kiosk-delivery). Submissions wait in the queue meanwhile; nothing is lost.";

}  // namespace

CheckResult check_delivery_worker(const Config& config, std::int64_t now_ms) {
  CheckResult r;
  r.id = "delivery";
  r.title = "Sending (delivery worker)";
  if (!config.is_set("broker.url") || config.get_string("broker.url").empty()) {
    r.status = CheckStatus::Skipped;
    r.message = "No broker is configured (broker.url): nothing is sent, submissions stay queued.";
    return r;
  }
  const auto store_file = config.get_path("store.path");
  std::error_code ec;
  std::optional<store::WorkerBeat> beat;
  std::int64_t held_receipts = 0;  // receipts kept on the broker that could not be checked here
  if (std::filesystem::exists(store_file, ec)) {
    const auto db = open_store_read_only(store_file);
    if (!db) {
      r.status = CheckStatus::Warning;
      r.message = "Cannot read the store " + store_file.string() + " to see whether sending runs.";
      r.fix = "Run the doctor as the kiosk user: runuser -u kiosk -- kioskctl doctor";
      return r;
    }
    sqlite3_stmt* s = nullptr;
    // No table (a store from before migration 10, or not yet migrated): no worker has run.
    if (sqlite3_prepare_v2(db.get(),
                           "SELECT started_at, last_run_at, last_connected_at, COALESCE(last_error,'') FROM "
                           "delivery_workers ORDER BY last_run_at DESC LIMIT 1",
                           -1, &s, nullptr) == SQLITE_OK) {
      std::unique_ptr<sqlite3_stmt, Closer> stmt(s);
      if (sqlite3_step(stmt.get()) == SQLITE_ROW) {
        beat = store::WorkerBeat{};
        beat->started_at_ms = sqlite3_column_int64(stmt.get(), 0);
        beat->last_run_ms = sqlite3_column_int64(stmt.get(), 1);
        beat->last_connected_ms = sqlite3_column_int64(stmt.get(), 2);
        const auto* error = sqlite3_column_text(stmt.get(), 3);
        beat->last_error = error ? reinterpret_cast<const char*>(error) : "";
      }
    } else {
      sqlite3_finalize(s);
    }
    s = nullptr;
    if (sqlite3_prepare_v2(db.get(), "SELECT value FROM delivery_state WHERE key='receipts.held'", -1, &s, nullptr) ==
        SQLITE_OK) {
      std::unique_ptr<sqlite3_stmt, Closer> stmt(s);
      if (sqlite3_step(stmt.get()) == SQLITE_ROW) held_receipts = sqlite3_column_int64(stmt.get(), 0);
    } else {
      sqlite3_finalize(s);
    }
  }
  if (!beat) {
    r.status = CheckStatus::Warning;
    r.message = "Sending is not running: the delivery worker has not run on this kiosk yet.";
    r.fix = kStartFix;
    return r;
  }
  const std::int64_t silent = now_ms - beat->last_run_ms;
  if (silent > store::kWorkerStaleMs) {
    r.status = CheckStatus::Failed;
    r.message = "Sending is not running: the delivery worker last ran " + outbox::utc_minute_text(beat->last_run_ms) +
                " (" + ago(silent) + ").";
    r.fix = kStartFix;
    return r;
  }
  if (beat->last_connected_ms == 0 || now_ms - beat->last_connected_ms > store::kWorkerStaleMs) {
    r.status = CheckStatus::Warning;
    r.message = "Sending runs but has not reached the broker" +
                (beat->last_connected_ms == 0 ? std::string(" since it started")
                                              : " since " + outbox::utc_minute_text(beat->last_connected_ms)) +
                (beat->last_error.empty() ? "." : ": " + beat->last_error + ".");
    r.fix = "See the broker check above, and journalctl -u helsenorge-kiosk-delivery.";
    return r;
  }
  if (held_receipts > 0) {
    r.status = CheckStatus::Warning;
    r.message = std::to_string(held_receipts) +
                " receipt(s) from the platform could not be checked on this kiosk and wait on the broker (nothing is "
                "lost; the submissions show as sent until they are applied).";
    r.fix =
        "See why: kioskctl queue status, and the audit log's receipt-held entries. Usually the revocation list "
        "(security.crl_file) is out of date or a certificate or key file is missing or old: install the current "
        "ones; the receipts are then applied by themselves.";
    return r;
  }
  r.message = "The delivery worker runs (last sign of life " + ago(silent) + ").";
  return r;
}

CheckResult check_retention(const Config& config) {
  CheckResult r;
  r.id = "retention";
  r.title = "Undelivered data kept";
  const std::int64_t days = config.get_int("store.undelivered_retention_days");
  const auto store_file = config.get_path("store.path");
  std::error_code ec;
  if (!std::filesystem::exists(store_file, ec)) {
    r.message = "No store yet: nothing is kept.";
    return r;
  }
  const auto db = open_store_read_only(store_file);
  if (!db) {
    r.status = CheckStatus::Warning;
    r.message = "Cannot read the store " + store_file.string() + ".";
    r.fix = "Run the doctor as the kiosk user: runuser -u kiosk -- kioskctl doctor";
    return r;
  }
  // What the worker deletes within the next 7 days (the same ages as Outbox::purge_expired).
  const std::string soon = "-" + std::to_string(std::max<std::int64_t>(0, days - 7)) + " days";
  auto count = [&](const char* sql) -> std::int64_t {
    sqlite3_stmt* s = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql, -1, &s, nullptr) != SQLITE_OK) {
      sqlite3_finalize(s);
      return 0;  // a store from before these tables: nothing of the kind
    }
    std::unique_ptr<sqlite3_stmt, Closer> stmt(s);
    sqlite3_bind_text(stmt.get(), 1, soon.c_str(), -1, SQLITE_TRANSIENT);
    return sqlite3_step(stmt.get()) == SQLITE_ROW ? sqlite3_column_int64(stmt.get(), 0) : 0;
  };
  const std::int64_t rejected = count(
      "SELECT COUNT(*) FROM outbox o JOIN submissions s ON s.id=o.submission_id WHERE s.personal_deleted_at IS NULL "
      "AND o.status='rejected' AND o.finished_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)");
  const std::int64_t parked = count(
      "SELECT COUNT(*) FROM outbox o JOIN submissions s ON s.id=o.submission_id WHERE s.personal_deleted_at IS NULL "
      "AND o.status='parked' AND o.updated_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)");
  const std::int64_t held =
      count("SELECT COUNT(*) FROM held_sheets WHERE created_at <= strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1)");
  if (rejected + parked + held == 0) {
    r.message = "Nothing undelivered is due for deletion within 7 days (store.undelivered_retention_days = " +
                std::to_string(days) + ").";
    return r;
  }
  r.status = CheckStatus::Warning;
  r.message = std::to_string(rejected) + " rejected, " + std::to_string(parked) + " parked and " +
              std::to_string(held) + " held-for-review item(s) reach store.undelivered_retention_days (" +
              std::to_string(days) +
              " days) within 7 days: their personal data is then deleted and they can no "
              "longer be sent.";
  r.fix =
      "Decide on them first: kioskctl queue list and kioskctl held list (send again with kioskctl queue retry REF, or "
      "review the sheets in staff mode), or raise store.undelivered_retention_days.";
  return r;
}

}  // namespace kiosk::admin
