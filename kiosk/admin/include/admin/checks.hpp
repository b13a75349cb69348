#pragma once
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config.hpp"

namespace kiosk::admin {

// The outcome of one doctor check. A warning does not make the doctor fail; a failure does.
enum class CheckStatus { Ok, Warning, Failed, Skipped };

std::string to_string(CheckStatus status);

struct CheckResult {
  std::string id;     // stable, for monitoring: "config", "key", "store", ...
  std::string title;  // what was checked, in plain words
  CheckStatus status = CheckStatus::Ok;
  std::string message;  // what was found
  std::string fix;      // how to fix it, in plain words (empty when ok)

  bool failed() const { return status == CheckStatus::Failed; }
};

nlohmann::json to_json(const CheckResult& result);

// A result with its id and title, to be filled in by a check.
CheckResult make_check(std::string id, std::string title);

// Individual checks. None throws: every problem becomes a CheckResult.

// Loads the file; a missing file, a syntax error or a wrong type fails, unknown keys warn.
// On success (ok or warning) the loaded configuration is stored in *loaded.
CheckResult check_config(const std::filesystem::path& file, std::optional<Config>* loaded = nullptr);

// A secret key file: present, not empty, mode 0600 (no group or other bits) and owned by
// `expected_owner` (the kiosk user when installed, else whoever runs the check).
CheckResult check_key_file(const std::string& id, const std::string& title, const std::filesystem::path& file,
                           unsigned expected_owner_uid);

// The folder that holds the store and keys: exists, is a folder, writable by us, not open
// to group or others.
CheckResult check_state_dir(const std::filesystem::path& dir, unsigned expected_owner_uid);

// The SQLite store: opens, passes a quick integrity check, and reports its schema version.
// A store not created yet is fine when its folder is writable (the kiosk creates it).
// When kiosk_store is built in, the store's owner also opens it the kiosk's way with
// `key_file` (which brings the schema up to date and checks that the key fits).
CheckResult check_store(const std::filesystem::path& file, const std::filesystem::path& key_file = {});

// Certificate and key files named in the configuration: readable, parseable PEM, certificates
// valid now and for at least `warn_days` more days (warning otherwise).
CheckResult check_certificates(const Config& config, int warn_days = 30);

// The CUPS queue (empty: the default printer) exists and is idle and accepting jobs.
CheckResult check_printer(const std::string& queue);

// SANE finds the configured scanner (empty: any scanner).
CheckResult check_scanner(const std::string& device);

// TCP connection to the broker, then an AMQP 1.0 open (with TLS for amqps://).
CheckResult check_broker(const Config& config, std::chrono::milliseconds timeout);

// The kiosk's reply queue can be opened for receiving.
CheckResult check_reply_queue(const Config& config, std::chrono::milliseconds timeout);

// Free space on the file system that holds `path` (or its nearest existing parent).
CheckResult check_disk_space(const std::filesystem::path& path, std::uint64_t min_free_bytes);

// Who can open staff mode: ok with at least one active staff member (or, while there are none,
// the shared staff PIN, with the advice to add members); failed when nobody can.
CheckResult check_staff_access(const Config& config);

// The clock is not before this program was built and not absurdly far ahead.
CheckResult check_clock(std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

// The one delivery worker (the delivery unit) runs: its sign of life in the store is recent.
// Skipped without a broker; a warning when it never ran or cannot reach the broker; failed when
// it stopped ("Sending is not running: ...").
CheckResult check_delivery_worker(const Config& config, std::int64_t now_ms);

// Rejected and parked submissions and sheets held for review whose personal data the delivery
// worker deletes within a week (store.undelivered_retention_days): a warning, so staff decide first.
CheckResult check_retention(const Config& config);

struct DoctorOptions {
  std::filesystem::path config_file;           // empty: Config::default_path()
  std::optional<unsigned> expected_owner_uid;  // empty: the kiosk user if it exists, else our own uid
  std::uint64_t min_free_bytes = 500ull * 1024 * 1024;
  std::chrono::milliseconds network_timeout{3000};
  bool skip_devices = false;  // printer and scanner (for a machine without them, e.g. a build host)
  bool skip_broker = false;
};

struct DoctorReport {
  std::vector<CheckResult> checks;
  bool ok() const;  // no check failed
  nlohmann::json to_json() const;
};

DoctorReport run_doctor(const DoctorOptions& options);

// The uid of the system user "kiosk", if it exists.
std::optional<unsigned> kiosk_user_uid();
std::optional<unsigned> kiosk_user_gid();

}  // namespace kiosk::admin

namespace kiosk::admin {

// Submissions in the store's outbox not yet accepted or rejected by the platform
// (queued, sent, parked). 0 when the store or its outbox does not exist. Reads the
// outbox table directly (no key needed), so the package's prerm can run it.
// Throws std::runtime_error when the store cannot be read.
std::int64_t count_undelivered(const std::filesystem::path& store_file);

}  // namespace kiosk::admin
