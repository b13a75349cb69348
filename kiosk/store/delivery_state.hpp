#pragma once
// What the delivery worker leaves in the store besides the outbox (migration 10): its signs of
// life, read by the staff screen and `kioskctl doctor` ("Sending is not running"), and small
// counters such as when the last health report reached the broker. No personal data.
#include <cstdint>
#include <optional>
#include <string>

#include "store/sqlite.hpp"

namespace kiosk::store {

// A running worker writes its row at least this often (and whenever it connects).
constexpr std::int64_t kWorkerBeatIntervalMs = 30'000;
// No sign of life for this long: the worker is not running (a few missed beats, so a slow
// disk or a long checkpoint is not taken for a stopped worker).
constexpr std::int64_t kWorkerStaleMs = 3 * 60'000;

struct WorkerBeat {
  std::string worker_id;
  std::int64_t started_at_ms = 0;
  std::int64_t last_run_ms = 0;
  std::int64_t last_connected_ms = 0;  // 0: has not reached the broker
  std::string last_error;              // the last connection problem, empty when none
};

// False for a store made before migration 10.
bool has_delivery_state_tables(Database& db);

// Writes (inserts or replaces) the worker's row, and drops rows of workers not seen for a week.
void record_worker_beat(Database& db, const WorkerBeat& beat);

// The worker seen most recently, if any ever ran on this store.
std::optional<WorkerBeat> latest_worker_beat(Database& db);

// Whether the delivery worker is running, as staff and the doctor are told.
struct SendingState {
  bool running = false;
  std::optional<WorkerBeat> last;  // empty: no worker ever ran on this store
};
SendingState sending_state(Database& db, std::int64_t now_ms);

// A small named counter (e.g. "health.last_report_ms"); `fallback` when not set.
std::int64_t read_delivery_value(Database& db, const std::string& key, std::int64_t fallback);
void write_delivery_value(Database& db, const std::string& key, std::int64_t value);

}  // namespace kiosk::store
