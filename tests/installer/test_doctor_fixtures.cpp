// `kioskctl doctor` as the admin runs it, against the real services of the other issues'
// tests: a private cupsd (private_cups.hpp), SANE's pnm backend with a private
// SANE_CONFIG_DIR, and a private RabbitMQ (tests/queue/helpers.hpp). First everything is
// fine; then each service in turn goes away and the doctor must say so in plain words and
// exit non-zero.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <set>

#include <nlohmann/json.hpp>

#include "../queue/helpers.hpp"
#include "admin/checks.hpp"
#include "admin/setup.hpp"
#include "private_cups.hpp"
#include "scoped_env.hpp"
#include "test_support.hpp"

using kiosk_test::contains;
using kiosk_test::write_file;

namespace {

struct Doctor {
  int exit_code = -1;
  std::string text;       // the plain output
  nlohmann::json report;  // the --json output
  std::set<std::string> failed;

  bool ok(const std::string& id) const {
    for (const auto& c : report["checks"])
      if (c["id"] == id) return c["status"] == "ok" || c["status"] == "warning";
    return false;
  }
};

Doctor run_doctor(const std::filesystem::path& config, const std::filesystem::path& scratch) {
  const std::vector<std::string> common = {"--config", config.string(), "--min-free-mb", "1", "--timeout-ms", "3000"};
  std::vector<std::string> plain = {queue_test::bin("kioskctl"), "doctor"};
  plain.insert(plain.end(), common.begin(), common.end());
  std::vector<std::string> json = plain;
  json.push_back("--json");
  Doctor d;
  const auto plain_run = queue_test::run(plain, scratch, 60);
  d.exit_code = plain_run.code;
  d.text = plain_run.output;
  const auto json_run = queue_test::run(json, scratch, 60);
  CHECK(json_run.code == plain_run.code);
  const auto start = json_run.output.find('{');
  REQUIRE_MESSAGE(start != std::string::npos, json_run.output);
  d.report = nlohmann::json::parse(json_run.output.substr(start), nullptr, false);
  CHECK_MESSAGE(d.report.is_object(), json_run.output);
  if (!d.report.is_object()) return d;
  for (const auto& c : d.report["checks"])
    if (c["status"] == "failed") d.failed.insert(c["id"].get<std::string>());
  return d;
}

}  // namespace

TEST_CASE("doctor fixtures: cupsd, SANE pnm and RabbitMQ all ok - then each stopped or missing is reported") {
  kiosk_test::TempDir dir;
  kiosk_test::PrivateCups cups;
  write_file(dir / "sane/dll.conf", "pnm\n", 0644);
  const kiosk_test::ScopedEnv sane_config("SANE_CONFIG_DIR", (dir / "sane").string());
  queue_test::RabbitBroker broker(dir / "rabbit");

  // An installed kiosk's state, in this test's folders: keys in place, store not created yet.
  const auto state = dir / "state";
  std::filesystem::create_directories(state);
  ::chmod(state.c_str(), 0700);
  write_file(state / "store.key", std::string(32, 'k'), 0600);
  write_file(state / "qr-mac.key", std::string(32, 'q'), 0600);
  // The doctor wants the state to be the kiosk user's when that user exists (a machine with a
  // kiosk installed): then it is made so here, as the package would.
  if (const auto uid = kiosk::admin::kiosk_user_uid(); uid && ::geteuid() == 0) {
    const auto gid = kiosk::admin::kiosk_user_gid().value_or(static_cast<unsigned>(-1));
    for (const auto& p : {state, state / "store.key", state / "qr-mac.key"})
      REQUIRE(::chown(p.c_str(), *uid, gid) == 0);
  }
  const auto config = dir / "kiosk.toml";
  write_file(config,
             "[store]\npath = \"" + (state / "kiosk.db").string() + "\"\nkey_file = \"" +
                 (state / "store.key").string() + "\"\n[print]\nmac_key_file = \"" + (state / "qr-mac.key").string() +
                 "\"\n[printer]\nqueue = \"Kiosk_A4\"\n[scanner]\ndevice = \"pnm:0\"\n[broker]\nurl = \"" +
                 broker.url() + "\"\n[staff]\npin_hash = \"" + kiosk::admin::hash_staff_pin("246810") + "\"\n",
             0640);

  const auto fine = run_doctor(config, dir.path());
  CHECK_MESSAGE(fine.exit_code == 0, fine.text);
  CHECK(fine.report["ok"] == true);
  CHECK(fine.failed.empty());
  for (const char* id : {"config", "printer", "scanner", "broker", "reply-queue"}) CHECK_MESSAGE(fine.ok(id), id);
  CHECK(contains(fine.text, "ok      Printer: Printer \"Kiosk_A4\" is idle."));
  CHECK(contains(fine.text, "ok      Scanner: Scanner \"pnm:0\""));
  CHECK(contains(fine.text, "Everything needed works."));

  // The print service stops.
  cups.stop();
  const auto no_cups = run_doctor(config, dir.path());
  CHECK(no_cups.exit_code == 1);
  CHECK(no_cups.failed == std::set<std::string>{"printer"});
  CHECK_MESSAGE(contains(no_cups.text, "failed  Printer: The print service (CUPS) at 127.0.0.1"), no_cups.text);
  CHECK(contains(no_cups.text, "Fix: Start the print service: systemctl start cups"));

  // The scanner goes missing (its backend is no longer configured).
  write_file(dir / "sane/dll.conf", "", 0644);
  const auto no_scanner = run_doctor(config, dir.path());
  CHECK(no_scanner.exit_code == 1);
  CHECK(no_scanner.failed == std::set<std::string>{"printer", "scanner"});
  CHECK_MESSAGE(contains(no_scanner.text, "failed  Scanner: No scanner was found."), no_scanner.text);

  // The broker stops.
  broker.stop();
  const auto no_broker = run_doctor(config, dir.path());
  CHECK(no_broker.exit_code == 1);
  CHECK(no_broker.failed == std::set<std::string>{"printer", "scanner", "broker"});
  CHECK_MESSAGE(contains(no_broker.text, "failed  Message broker: Cannot reach"), no_broker.text);
  CHECK(contains(no_broker.text, "skipped Reply queue"));
  CHECK(contains(no_broker.text, "Something is wrong"));
}

TEST_CASE("doctor fixtures: sending not running is said plainly - never ran, runs, stopped a while ago") {
  kiosk_test::TempDir dir;
  // A kiosk with a store and a broker nobody listens on (the delivery worker runs, cannot connect).
  const auto made = queue_test::run(
      {queue_test::bin("kioskctl"), "demo-env", "--out", (dir / "env").string(), "--broker", "amqp://127.0.0.1:9"},
      dir.path());
  REQUIRE_MESSAGE(made.code == 0, made.output);
  const auto config = dir / "env/kiosk.toml";
  auto doctor = [&] {
    const auto r = queue_test::run({queue_test::bin("kioskctl"), "doctor", "--config", config.string(),
                                    "--skip-devices", "--skip-broker", "--min-free-mb", "1", "--json"},
                                   dir.path(), 60);
    const auto report = nlohmann::json::parse(r.output.substr(r.output.find('{')));
    for (const auto& c : report["checks"])
      if (c["id"] == "delivery") return c;
    FAIL("no delivery check in " << r.output);
    return nlohmann::json{};
  };
  // Never ran: a warning (a new kiosk whose unit has not started yet), with how to start it.
  auto never = doctor();
  CHECK(never["status"] == "warning");
  CHECK(contains(never["message"].get<std::string>(), "Sending is not running: the delivery worker has not run"));
  CHECK(contains(never["fix"].get<std::string>(), "systemctl enable --now helsenorge-kiosk-delivery.service"));

  // The delivery unit's command runs for a moment: it ran, but has not reached the broker.
  const auto ran = queue_test::run(
      {queue_test::bin("kioskctl"), "queue", "deliver", "--config", config.string(), "--timeout", "1", "--quiet"},
      dir.path());
  CHECK_MESSAGE(ran.code == 0, ran.output);
  auto running = doctor();
  CHECK_MESSAGE(running["status"] == "warning", running.dump());
  CHECK(contains(running["message"].get<std::string>(), "Sending runs but has not reached the broker"));

  // Its last sign of life is 20 minutes old: sending stopped, the doctor fails and says since when.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "env/kiosk.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db, "UPDATE delivery_workers SET last_run_at = last_run_at - 1200000", nullptr, nullptr,
                         nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto stopped = doctor();
  CHECK(stopped["status"] == "failed");
  CHECK_MESSAGE(contains(stopped["message"].get<std::string>(), "Sending is not running: the delivery worker last ran"),
                stopped.dump());
  CHECK(contains(stopped["message"].get<std::string>(), "20 minutes ago"));

  // Running and connected, but receipts wait on the broker that could not be checked here (an
  // out-of-date revocation list, say): the doctor says so and how to fix it.
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir / "env/kiosk.db").c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(db,
                         "UPDATE delivery_workers SET last_run_at = CAST(strftime('%s','now') AS INTEGER)*1000, "
                         "last_connected_at = CAST(strftime('%s','now') AS INTEGER)*1000; INSERT INTO "
                         "delivery_state(key, value) VALUES('receipts.held', 3)",
                         nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  auto held = doctor();
  CHECK(held["status"] == "warning");
  CHECK_MESSAGE(contains(held["message"].get<std::string>(), "3 receipt(s) from the platform could not be checked"),
                held.dump());
  CHECK(contains(held["fix"].get<std::string>(), "security.crl_file"));
}
