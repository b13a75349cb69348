#include <doctest/doctest.h>
#include <sqlite3.h>

#include <cstdlib>

#include "admin/checks.hpp"
#include "admin/qr_keys.hpp"
#include "admin/start_gate.hpp"
#include "admin/privacy_checks.hpp"
#include "private_folder.hpp"
#include "admin/setup.hpp"
#include "skip.hpp"
#include "scoped_env.hpp"
#include "test_support.hpp"

using namespace kiosk::admin;
using kiosk_test::contains;
using kiosk_test::TempDir;
using kiosk_test::write_file;

namespace {
void sql(const std::filesystem::path& db_file, const std::string& statements) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_file.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, statements.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, message);
}
const unsigned me = static_cast<unsigned>(::geteuid());
}  // namespace

TEST_CASE("doctor config: missing file, syntax error with line, unknown key warns, valid is ok") {
  TempDir dir;
  auto missing = check_config(dir / "none.toml");
  CHECK(missing.status == CheckStatus::Failed);
  CHECK(contains(missing.fix, "kioskctl setup"));

  write_file(dir / "bad.toml", "[ui]\ntheme = \"standard\"\ninactivity_warning_seconds = \"soon\"\n");
  auto bad = check_config(dir / "bad.toml");
  CHECK(bad.status == CheckStatus::Failed);
  CHECK(contains(bad.message, "line 3"));
  CHECK(contains(bad.message, "ui.inactivity_warning_seconds"));

  write_file(dir / "typo.toml", "[printer]\nqueu = \"A4\"\n");
  std::optional<kiosk::Config> loaded;
  auto typo = check_config(dir / "typo.toml", &loaded);
  CHECK(typo.status == CheckStatus::Warning);
  CHECK(contains(typo.message, "printer.queu"));
  CHECK(loaded.has_value());

  write_file(dir / "open.toml", "[staff]\npin_hash = \"$argon2id$v=19$m=65536,t=2,p=1$x$y\"\n", 0644);
  auto open = check_config(dir / "open.toml");
  CHECK(open.status == CheckStatus::Warning);
  CHECK(contains(open.fix, "chmod 640"));

  write_file(dir / "good.toml", "[printer]\nqueue = \"Kiosk_A4\"\n");
  auto good = check_config(dir / "good.toml", &loaded);
  CHECK(good.status == CheckStatus::Ok);
  REQUIRE(loaded.has_value());
  CHECK(loaded->get_string("printer.queue") == "Kiosk_A4");
}

TEST_CASE("doctor key: missing, readable by others, wrong owner and right are told apart") {
  TempDir dir;
  const auto key = dir / "store.key";
  CHECK(check_key_file("key", "Key", key, me).status == CheckStatus::Failed);
  write_file(key, "", 0600);
  CHECK(contains(check_key_file("key", "Key", key, me).message, "empty"));
  write_file(key, std::string(32, 'k'), 0644);
  auto open = check_key_file("key", "Key", key, me);
  CHECK(open.status == CheckStatus::Failed);
  CHECK(contains(open.message, "0644"));
  CHECK(contains(open.fix, "chmod 600"));
  ::chmod(key.c_str(), 0600);
  auto owner = check_key_file("key", "Key", key, me + 1);
  CHECK(owner.status == CheckStatus::Failed);
  CHECK(contains(owner.fix, "chown kiosk"));
  CHECK(check_key_file("key", "Key", key, me).status == CheckStatus::Ok);
}

TEST_CASE("doctor state dir: missing, open to others, right") {
  TempDir dir;
  const auto state = dir / "state";
  CHECK(check_state_dir(state, me).status == CheckStatus::Failed);
  std::filesystem::create_directory(state);
  ::chmod(state.c_str(), 0755);
  auto open = check_state_dir(state, me);
  CHECK(open.status == CheckStatus::Failed);
  CHECK(contains(open.fix, "chmod 700"));
  ::chmod(state.c_str(), 0700);
  CHECK(check_state_dir(state, me).status == CheckStatus::Ok);
}

TEST_CASE("doctor store: not created yet, missing folder, not SQLite, intact with its schema version") {
  TempDir dir;
  CHECK(check_store(dir / "kiosk.db").status == CheckStatus::Warning);
  CHECK(check_store(dir / "no-such-folder" / "kiosk.db").status == CheckStatus::Failed);
  write_file(dir / "junk.db", std::string(4096, 'x'));
  auto junk = check_store(dir / "junk.db");
  CHECK(junk.status == CheckStatus::Failed);
  CHECK(contains(junk.fix, "backup"));
  sql(dir / "kiosk.db", "CREATE TABLE t(x); PRAGMA user_version = 2;");
  auto good = check_store(dir / "kiosk.db");
  CHECK(good.status == CheckStatus::Ok);
  CHECK(contains(good.message, "schema version 2"));
}

TEST_CASE("undelivered: counts queued, sent and parked submissions, not finished ones") {
  TempDir dir;
  CHECK(count_undelivered(dir / "none.db") == 0);
  sql(dir / "empty.db", "CREATE TABLE meta(key TEXT);");
  CHECK(count_undelivered(dir / "empty.db") == 0);
  sql(dir / "kiosk.db",
      "CREATE TABLE outbox(submission_id TEXT PRIMARY KEY, status TEXT NOT NULL);"
      "INSERT INTO outbox VALUES ('a','queued'),('b','sent'),('c','parked'),('d','accepted'),('e','rejected'),"
      "('f','cancelled');");
  CHECK(count_undelivered(dir / "kiosk.db") == 3);
  write_file(dir / "junk.db", std::string(4096, 'x'));
  CHECK_THROWS(count_undelivered(dir / "junk.db"));
}

TEST_CASE("doctor disk: enough space is ok, a threshold above the free space fails with a fix") {
  TempDir dir;
  CHECK(check_disk_space(dir.path(), 1).status == CheckStatus::Ok);
  auto full = check_disk_space(dir / "not" / "yet" / "there", std::uint64_t{1} << 60);
  CHECK(full.status == CheckStatus::Failed);
  CHECK(contains(full.message, "free at " + dir.path().string()));
  CHECK(contains(full.fix, "journalctl"));
}

TEST_CASE("doctor clock: now is ok, 1970 and 2200 are not") {
  using namespace std::chrono;
  CHECK(check_clock().status == CheckStatus::Ok);
  CHECK(check_clock(system_clock::time_point{}).status == CheckStatus::Failed);
  CHECK(check_clock(system_clock::now() + hours(24 * 365 * 175)).status == CheckStatus::Failed);
}

TEST_CASE("doctor certificates: none configured warns - valid, soon expiring, unreadable, bad and open keys") {
  TempDir dir;
  kiosk::Config config;
  CHECK(check_certificates(config).status == CheckStatus::Warning);

  kiosk_test::make_certificate(dir / "ca.pem", dir / "ca.key", 365);
  ::chmod((dir / "ca.key").c_str(), 0600);
  config.set("broker.tls_ca_certificate", (dir / "ca.pem").string());
  config.set("broker.tls_client_key", (dir / "ca.key").string());
  CHECK(check_certificates(config).status == CheckStatus::Ok);

  ::chmod((dir / "ca.key").c_str(), 0644);
  auto open_key = check_certificates(config);
  CHECK(open_key.status == CheckStatus::Failed);
  CHECK(contains(open_key.message, "broker.tls_client_key"));
  ::chmod((dir / "ca.key").c_str(), 0600);

  kiosk_test::make_certificate(dir / "soon.pem", dir / "soon.key", 5);
  config.set("security.signing_certificate", (dir / "soon.pem").string());
  auto soon = check_certificates(config);
  CHECK(soon.status == CheckStatus::Warning);
  CHECK(contains(soon.message, "security.signing_certificate expires"));
  CHECK_MESSAGE(contains(soon.message, "(on 20"), soon.message);  // the date, so the admin can plan

  write_file(dir / "junk.pem", "not a certificate\n", 0644);
  config.set("security.signing_certificate", (dir / "junk.pem").string());
  CHECK(check_certificates(config).status == CheckStatus::Failed);

  config.set("security.signing_certificate", (dir / "missing.pem").string());
  auto missing = check_certificates(config);
  CHECK(missing.status == CheckStatus::Failed);
  CHECK(contains(missing.message, "cannot read"));
}

TEST_CASE("doctor scanner: SANE's test backend is found - a wrong device and no scanner fail") {
  TempDir dir;
  write_file(dir / "dll.conf", "test\n", 0644);
  const kiosk_test::ScopedEnv sane_config("SANE_CONFIG_DIR", dir.path().string());
  CHECK(check_scanner("").status == CheckStatus::Ok);
  CHECK(check_scanner("test:0").status == CheckStatus::Ok);
  auto wrong = check_scanner("genesys:libusb:001:004");
  CHECK(wrong.status == CheckStatus::Failed);
  CHECK(contains(wrong.fix, "test:0"));
  write_file(dir / "dll.conf", "", 0644);
  auto none = check_scanner("");
  CHECK(none.status == CheckStatus::Failed);
  CHECK(contains(none.message, "No scanner"));
}

TEST_CASE("doctor printer: a print service that is not running is reported with how to start it") {
  const std::string server = "127.0.0.1:" + std::to_string(kiosk_test::free_port());
  const kiosk_test::ScopedEnv cups_server("CUPS_SERVER", server);
  auto r = check_printer("");
  CHECK(r.status == CheckStatus::Failed);
  CHECK(contains(r.message, "cannot be reached"));
  CHECK(contains(r.fix, "systemctl start cups"));
}

TEST_CASE("doctor run: a configured temp installation passes the local checks - JSON has every check") {
  TempDir dir;
  const auto state = dir / "state";
  std::filesystem::create_directory(state);
  ::chmod(state.c_str(), 0700);
  write_file(state / "store.key", std::string(32, 'k'), 0600);
  write_file(state / "qr-mac.key", std::string(32, 'q'), 0600);
  write_file(dir / "kiosk.toml",
             "[store]\npath = \"state/kiosk.db\"\nkey_file = \"state/store.key\"\n[print]\nmac_key_file = "
             "\"state/qr-mac.key\"\n[staff]\npin_hash = \"" +
                 hash_staff_pin("246810") + "\"\n",
             0640);
  DoctorOptions options;
  options.config_file = dir / "kiosk.toml";
  options.expected_owner_uid = me;
  options.skip_devices = true;
  options.skip_broker = true;
  options.min_free_bytes = 1;
  auto report = run_doctor(options);
  CHECK(report.ok());
  const auto json = report.to_json();
  CHECK(json["ok"] == true);
  std::vector<std::string> ids;
  for (const auto& c : json["checks"]) ids.push_back(c["id"]);
  CHECK(ids == std::vector<std::string>{"config", "state-dir", "key", "qr-key", "store", "page-dir", "staff",
                                        "certificates", "print-to-folder", "screen-code", "printer", "scanner", "broker",
                                        "reply-queue", "delivery", "retention", "disk", "clock"});

  // The key opened up to others: the doctor fails and says how to fix it.
  ::chmod((state / "store.key").c_str(), 0640);
  report = run_doctor(options);
  CHECK_FALSE(report.ok());
  CHECK(report.to_json()["failed"] == 1);
}

TEST_CASE("undelivered and store check as another user: nothing is left behind, an unmerged log is refused") {
  if (::geteuid() != 0) {
    kiosk_test::skip("needs root to hand the store to another user");
    return;
  }
  TempDir dir;
  const auto db_file = dir / "kiosk.db";
  sqlite3* writer = nullptr;
  REQUIRE(sqlite3_open(db_file.c_str(), &writer) == SQLITE_OK);
  REQUIRE(sqlite3_exec(writer,
                       "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0;"
                       "CREATE TABLE outbox(submission_id TEXT PRIMARY KEY, status TEXT NOT NULL);"
                       "INSERT INTO outbox VALUES ('a', 'queued');",
                       nullptr, nullptr, nullptr) == SQLITE_OK);
  // The kiosk (another user) has it open: its log holds the submission.
  for (const char* suffix : {"", "-wal", "-shm"})
    REQUIRE(::chown((db_file.string() + suffix).c_str(), 4321, 4321) == 0);
  std::string refused;
  try {
    count_undelivered(db_file);
  } catch (const std::exception& e) {
    refused = e.what();
  }
  CHECK(contains(refused, "runuser -u kiosk"));
  sqlite3_close(writer);  // the last connection merges the log and removes it
  CHECK(count_undelivered(db_file) == 1);
  CHECK(check_store(db_file).status == CheckStatus::Ok);
  CHECK_FALSE(std::filesystem::exists(dir / "kiosk.db-shm"));
  CHECK_FALSE(std::filesystem::exists(dir / "kiosk.db-wal"));
}

namespace {
unsigned owner_of(const std::filesystem::path& file) {
  struct stat st {};
  return ::stat(file.c_str(), &st) == 0 ? st.st_uid : ~0u;
}
}  // namespace

TEST_CASE("doctor qr keys: missing, readable by others or a bad ring file fails, setup makes the key once") {
  TempDir dir;
  kiosk::Config config;
  const auto key = dir / "state" / "qr-mac.key";
  config.set("print.mac_key_file", key.string());
  auto r = check_qr_key_ring(config, me);
  CHECK(r.status == CheckStatus::Failed);
  CHECK(contains(r.message, "is missing"));
  CHECK(contains(r.fix, "kioskctl setup"));

  REQUIRE(ensure_qr_key(config));  // made, with its folder
  CHECK_FALSE(ensure_qr_key(config));
  // Given to the kiosk user when made as root on a machine that has one, else ours.
  const unsigned owner = ::geteuid() == 0 && kiosk_user_uid() ? *kiosk_user_uid() : me;
  CHECK(owner_of(key) == owner);
  r = check_qr_key_ring(config, owner);
  CHECK_MESSAGE(r.status == CheckStatus::Ok, r.message);
  CHECK(contains(r.message, "0 previous and 0 operator key(s)"));
  CHECK(contains(r.message, "Sheets printed at other kiosks go to staff review"));
  CHECK(check_qr_key_ring(config, owner + 1).status == CheckStatus::Failed);  // not the kiosk user's

  // A ring file renamed to pass for another key is not used: the doctor names it.
  std::filesystem::create_directory(dir / "state" / "qr-keys");
  ::chmod((dir / "state" / "qr-keys").c_str(), 0700);
  write_file(dir / "state" / "qr-keys" / "operator-00000000.key", std::string(32, 'o'), 0600);
  REQUIRE(::chown((dir / "state" / "qr-keys").c_str(), owner, static_cast<gid_t>(-1)) == 0);
  REQUIRE(::chown((dir / "state" / "qr-keys" / "operator-00000000.key").c_str(), owner, static_cast<gid_t>(-1)) == 0);
  r = check_qr_key_ring(config, owner);
  CHECK(r.status == CheckStatus::Failed);
  CHECK(contains(r.message, "operator-00000000.key cannot be used"));
  std::filesystem::remove(dir / "state" / "qr-keys" / "operator-00000000.key");
  ::chmod((dir / "state" / "qr-keys").c_str(), 0755);
  r = check_qr_key_ring(config, owner);
  CHECK(r.status == CheckStatus::Failed);
  CHECK(contains(r.message, "open to other users"));
  ::chmod((dir / "state" / "qr-keys").c_str(), 0700);
  ::chmod(key.c_str(), 0644);
  CHECK(check_qr_key_ring(config, owner).status == CheckStatus::Failed);
}

TEST_CASE("doctor: print_to_folder is flagged with what it keeps, a pending screen code is a warning") {
  TempDir dir;
  kiosk::Config config;
  auto r = check_print_to_folder(config);
  CHECK(r.status == CheckStatus::Ok);
  CHECK(contains(r.message, "go to the printer"));
  std::filesystem::create_directory(dir / "pdf");
  write_file(dir / "pdf" / "form-1.pdf", "%PDF-1.4\n", 0600);
  config.set("ui.print_to_folder", (dir / "pdf").string());
  r = check_print_to_folder(config);
  CHECK(r.status == CheckStatus::Warning);
  CHECK(contains(r.message, "1 PDF file(s) there now"));
  CHECK(contains(r.fix, "print_to_folder"));

  const auto conf = dir / "kiosk.toml";
  CHECK(check_screen_code(conf).status == CheckStatus::Ok);
  issue_screen_code(conf, std::chrono::minutes(5));
  r = check_screen_code(conf);
  CHECK(r.status == CheckStatus::Warning);
  CHECK(contains(r.fix, screen_code_file(conf).string()));
  std::filesystem::remove(screen_code_file(conf));
  CHECK(check_screen_code(conf).status == CheckStatus::Ok);
}

TEST_CASE("doctor page-dir: scanned pages on disk fail, the development setting warns, a tmpfs folder is ok") {
  // The build tree is on disk for sure.
  const auto on_disk = std::filesystem::path(KIOSK_BINARY_DIR);
  kiosk::Config config;
  config.set("scanner.page_dir", on_disk.string());
  auto refused = check_private_folders(config);
  CHECK(refused.id == "page-dir");
  CHECK(refused.status == CheckStatus::Failed);
  CHECK(contains(refused.message, "refuses to scan"));
  CHECK(!refused.fix.empty());
  config.set("scanner.pages_on_disk", true);
  auto development = check_private_folders(config);
  CHECK(development.status == CheckStatus::Warning);
  CHECK(contains(development.message, "scanner.pages_on_disk"));
  CHECK(contains(development.message, "is not in memory"));
  kiosk::Config memory;
  memory.set("scanner.page_dir", std::string("/dev/shm"));
  if (!kiosk::memory_folder_problem("/dev/shm").empty()) {
    kiosk_test::skip("/dev/shm is not a tmpfs here");
    return;
  }
  auto ok = check_private_folders(memory);
  CHECK_MESSAGE(ok.status == CheckStatus::Ok, ok.message);
}
