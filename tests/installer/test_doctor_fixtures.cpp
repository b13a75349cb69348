// `kioskctl doctor` as the admin runs it, against the real services of the other issues'
// tests: a private cupsd (private_cups.hpp), SANE's pnm backend with a private
// SANE_CONFIG_DIR, and a private RabbitMQ (tests/queue/helpers.hpp). First everything is
// fine; then each service in turn goes away and the doctor must say so in plain words and
// exit non-zero.
#include <doctest/doctest.h>

#include <set>

#include <nlohmann/json.hpp>

#include "../queue/helpers.hpp"
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
