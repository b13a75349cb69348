#include "store/delivery_state.hpp"

namespace kiosk::store {

bool has_delivery_state_tables(Database& db) {
  auto st = db.prepare("SELECT count(*) FROM sqlite_master WHERE type='table' AND name='delivery_workers'");
  return st.step() && st.integer(0) > 0;
}

void record_worker_beat(Database& db, const WorkerBeat& beat) {
  db.prepare(
        "INSERT INTO delivery_workers(worker_id, started_at, last_run_at, last_connected_at, last_error) "
        "VALUES(?,?,?,?,?) ON CONFLICT(worker_id) DO UPDATE SET last_run_at=excluded.last_run_at, "
        "last_connected_at=excluded.last_connected_at, last_error=excluded.last_error")
      .bind(1, beat.worker_id)
      .bind(2, beat.started_at_ms)
      .bind(3, beat.last_run_ms)
      .bind(4, beat.last_connected_ms)
      .bind(5, beat.last_error)
      .run();
  // Every start makes a new worker id: old rows would pile up.
  db.prepare("DELETE FROM delivery_workers WHERE last_run_at < ?")
      .bind(1, beat.last_run_ms - std::int64_t{7} * 24 * 3600 * 1000)
      .run();
}

std::optional<WorkerBeat> latest_worker_beat(Database& db) {
  if (!has_delivery_state_tables(db)) return std::nullopt;
  auto st = db.prepare(
      "SELECT worker_id, started_at, last_run_at, last_connected_at, COALESCE(last_error,'') FROM delivery_workers "
      "ORDER BY last_run_at DESC LIMIT 1");
  if (!st.step()) return std::nullopt;
  return WorkerBeat{st.text(0), st.integer(1), st.integer(2), st.integer(3), st.text(4)};
}

SendingState sending_state(Database& db, std::int64_t now_ms) {
  SendingState state;
  state.last = latest_worker_beat(db);
  state.running = state.last && now_ms - state.last->last_run_ms <= kWorkerStaleMs;
  return state;
}

std::int64_t read_delivery_value(Database& db, const std::string& key, std::int64_t fallback) {
  if (!has_delivery_state_tables(db)) return fallback;
  auto st = db.prepare("SELECT value FROM delivery_state WHERE key=?");
  st.bind(1, key);
  return st.step() ? st.integer(0) : fallback;
}

void write_delivery_value(Database& db, const std::string& key, std::int64_t value) {
  db.prepare("INSERT INTO delivery_state(key, value) VALUES(?,?) ON CONFLICT(key) DO UPDATE SET value=excluded.value")
      .bind(1, key)
      .bind(2, value)
      .run();
}

}  // namespace kiosk::store
