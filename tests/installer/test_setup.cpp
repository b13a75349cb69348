#include <doctest/doctest.h>

#include <sqlite3.h>

#include "admin/setup.hpp"
#include "admin/start_gate.hpp"
#include "scoped_env.hpp"
#include "test_support.hpp"

using namespace kiosk::admin;
using kiosk_test::contains;
using kiosk_test::mode_of;
using kiosk_test::TempDir;
using kiosk_test::write_file;

TEST_CASE("setup pin: Argon2id hash that verifies the right PIN only - bad PINs refused") {
  const std::string hash = hash_staff_pin("482913");
  CHECK(hash.rfind("$argon2id$", 0) == 0);
  CHECK(verify_staff_pin(hash, "482913"));
  CHECK_FALSE(verify_staff_pin(hash, "482914"));
  CHECK(hash_staff_pin("482913") != hash);  // salted
  CHECK_THROWS_WITH_AS(hash_staff_pin("1234"), doctest::Contains("6 to 12 digits"), SetupError);
  CHECK_THROWS_AS(hash_staff_pin("12345a"), SetupError);
  CHECK_THROWS_AS(hash_staff_pin("1234567890123"), SetupError);
}

TEST_CASE("setup languages: known, no duplicates, default among them") {
  CHECK_NOTHROW(validate_languages({"nb", "nn", "se", "en"}, "nb"));
  CHECK_NOTHROW(validate_languages({"en"}, "en"));
  CHECK_THROWS_WITH_AS(validate_languages({"nb", "xx"}, "nb"), doctest::Contains("\"xx\""), SetupError);
  CHECK_THROWS_AS(validate_languages({"nb", "nb"}, "nb"), SetupError);
  CHECK_THROWS_AS(validate_languages({"nb", "nn"}, "en"), SetupError);
  CHECK_THROWS_AS(validate_languages({}, "nb"), SetupError);
}

TEST_CASE("setup certificates: imported with tight modes and mapped to keys - a bad file stops the import") {
  TempDir dir;
  const auto stick = dir / "usb";
  std::filesystem::create_directory(stick);
  kiosk_test::make_certificate(stick / "broker-ca.pem", stick / "broker-client.key", 365);
  kiosk_test::make_certificate(stick / "extra.crt", dir / "unused.key", 365);
  write_file(stick / "README.txt", "not imported", 0644);
  const auto dest = dir / "state" / "certs";
  const auto imported = import_certificates(stick, dest);
  REQUIRE(imported.size() == 3);
  std::map<std::string, ImportedFile> by_name;
  for (const auto& f : imported) by_name[f.destination.filename().string()] = f;
  CHECK(by_name["broker-ca.pem"].config_key == "broker.tls_ca_certificate");
  CHECK(by_name["broker-client.key"].config_key == "broker.tls_client_key");
  CHECK(by_name["broker-client.key"].is_private_key);
  CHECK(by_name["extra.crt"].config_key.empty());
  CHECK(mode_of(dest) == 0700);
  CHECK(mode_of(dest / "broker-client.key") == 0600);
  CHECK(mode_of(dest / "broker-ca.pem") == 0644);
  CHECK(kiosk_test::read_file(dest / "broker-ca.pem") == kiosk_test::read_file(stick / "broker-ca.pem"));
  CHECK_FALSE(std::filesystem::exists(dest / "README.txt"));

  const auto bad = dir / "bad";
  kiosk_test::make_certificate(bad / "signing.pem", bad / "signing.key", 365);
  write_file(bad / "decryption.key", "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
  const auto dest2 = dir / "state2";
  CHECK_THROWS_WITH_AS(import_certificates(bad, dest2), doctest::Contains("decryption.key"), SetupError);
  CHECK_FALSE(std::filesystem::exists(dest2 / "signing.pem"));

  CHECK_THROWS_WITH_AS(import_certificates(dir / "no-stick", dest2), doctest::Contains("mounted"), SetupError);
  std::filesystem::create_directory(dir / "empty");
  CHECK_THROWS_AS(import_certificates(dir / "empty", dest2), SetupError);
}

TEST_CASE("setup config: set_from_text by type, written atomically 0640 and read back the same") {
  TempDir dir;
  kiosk::Config config;
  set_from_text(config, "site.name", "Deichman Bjørvika");
  set_from_text(config, "ui.languages", "nb, en");
  set_from_text(config, "ui.large_text", "true");
  set_from_text(config, "ui.inactivity_warning_seconds", "120");
  set_from_text(config, "staff.pin_hash", hash_staff_pin("123456"));
  CHECK_THROWS_WITH_AS(set_from_text(config, "ui.large_text", "yes"), doctest::Contains("true or false"), SetupError);
  CHECK_THROWS_AS(set_from_text(config, "ui.inactivity_warning_seconds", "-3"), SetupError);
  CHECK_THROWS_AS(set_from_text(config, "ui.inactivity_warning_seconds", "12s"), SetupError);
  CHECK_THROWS_WITH_AS(set_from_text(config, "ui.colour", "red"), doctest::Contains("ui.colour"), SetupError);

  const auto file = dir / "etc" / "kiosk.toml";
  write_config(file, config);
  CHECK(mode_of(file) == 0640);
  const auto back = kiosk::Config::load(file);
  CHECK(back.warnings().empty());
  CHECK(back.get_string("site.name") == "Deichman Bjørvika");
  CHECK(back.get_list("ui.languages") == std::vector<std::string>{"nb", "en"});
  CHECK(back.get_bool("ui.large_text"));
  CHECK(back.get_int("ui.inactivity_warning_seconds") == 120);
  CHECK(verify_staff_pin(back.get_string("staff.pin_hash"), "123456"));
  // Every key is written with its help line, so the file documents itself.
  const std::string text = kiosk_test::read_file(file);
  for (const auto& spec : kiosk::Config::schema()) CHECK(contains(text, "# " + spec.help));
  // No temporary file is left beside it.
  int entries = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(file.parent_path())) ++entries;
  CHECK(entries == 1);

  // Rewriting replaces the file in one step.
  set_from_text(config, "site.name", "Kiosk 2");
  write_config(file, config);
  CHECK(kiosk::Config::load(file).get_string("site.name") == "Kiosk 2");
}

TEST_CASE("setup devices: SANE scanners are listed - an unreachable CUPS is a plain error") {
  TempDir dir;
  write_file(dir / "dll.conf", "test\n", 0644);
  const kiosk_test::ScopedEnv sane_config("SANE_CONFIG_DIR", dir.path().string());
  const auto scanners = discover_scanners();
  REQUIRE(scanners.size() >= 1);
  CHECK(scanners.front().device.rfind("test:", 0) == 0);

  const std::string server = "127.0.0.1:" + std::to_string(kiosk_test::free_port());
  const kiosk_test::ScopedEnv cups_server("CUPS_SERVER", server);
  CHECK_THROWS_WITH_AS(discover_printers(), doctest::Contains("CUPS"), SetupError);
  CHECK_THROWS_AS(print_test_page("Kiosk_A4", "Test"), SetupError);
}

TEST_CASE("setup first run: no file, the shipped default, a broken file need the admin - a set-up file does not") {
  TempDir dir;
  const auto file = dir / "kiosk.toml";
  CHECK(first_run_needs(file).size() == 1);
  write_file(file, kiosk::Config::example_toml(), 0640);
  const auto fresh = first_run_needs(file);
  REQUIRE(fresh.size() == 2);
  CHECK(contains(fresh[0], "broker.url"));
  CHECK(contains(fresh[1], "staff mode"));
  kiosk::Config config;
  set_from_text(config, "broker.url", "amqps://broker.example.no:5671");
  set_from_text(config, "staff.pin_hash", hash_staff_pin("135790"));
  write_config(file, config);
  CHECK(first_run_needs(file).empty());
  write_file(file, "[ui\n", 0640);
  CHECK(contains(first_run_needs(file).at(0), "line 1"));
}

namespace {

// A configuration with the broker set and the store in `dir`/state, but nobody who can open
// staff mode (no shared PIN), written to `file`.
kiosk::Config write_config_without_staff(const TempDir& dir, const std::filesystem::path& file) {
  kiosk::Config config;
  set_from_text(config, "broker.url", "amqps://broker.example.no:5671");
  set_from_text(config, "store.path", (dir / "state/kiosk.db").string());
  set_from_text(config, "store.key_file", (dir / "state/store.key").string());
  write_config(file, config);
  return config;
}

}  // namespace

TEST_CASE("setup first staff member: a store that exists but cannot be read does not open the first-run setup") {
  // Fail closed: whoever stands at the screen must not get the setup (and add a staff member)
  // because the store is damaged or unreadable; the kiosk's start and doctor report the store.
  TempDir dir;
  const auto file = dir / "kiosk.toml";
  const kiosk::Config config = write_config_without_staff(dir, file);
  write_file(dir / "state/kiosk.db", "this is not an SQLite database, it is damaged\n", 0600);
  CHECK_THROWS_AS(count_active_staff_members(dir / "state/kiosk.db"), SetupError);
  CHECK(staff_access_configured(config));
  CHECK(first_run_needs(file).empty());
}

TEST_CASE("setup first staff member: added to a store made for it - staff access without the shared PIN") {
  TempDir dir;
  const auto file = dir / "kiosk.toml";
  const kiosk::Config config = write_config_without_staff(dir, file);
  REQUIRE(first_run_needs(file).size() == 1);  // nobody can open staff mode yet
  CHECK(count_active_staff_members(dir / "state/kiosk.db") == 0);
  CHECK_FALSE(staff_access_configured(config));

  // Bad input is refused before anything is made.
  CHECK_THROWS_WITH_AS(add_staff_member(config, "10x1", "Kari N", "482913"), doctest::Contains("1 to 8 digits"),
                       SetupError);
  CHECK_THROWS_WITH_AS(add_staff_member(config, "1001", "", "482913"), doctest::Contains("name"), SetupError);
  CHECK_THROWS_WITH_AS(add_staff_member(config, "1001", "Kari N", "4829"), doctest::Contains("6 to 12 digits"),
                       SetupError);
  CHECK_FALSE(std::filesystem::exists(dir / "state/kiosk.db"));

  // The first run: the store is made (with its key) and the member added; the shared PIN stays unset.
  add_staff_member(config, "1001", "Kari N", "482913");
  CHECK(std::filesystem::exists(dir / "state/store.key"));
  CHECK(count_active_staff_members(dir / "state/kiosk.db") == 1);
  CHECK(staff_access_configured(config));
  CHECK(first_run_needs(file).empty());
  CHECK(config.get_string("staff.pin_hash").empty());
  CHECK_THROWS_WITH_AS(add_staff_member(config, "1001", "Other", "135790"), doctest::Contains("already in use"),
                       SetupError);
  CHECK(count_active_staff_members(dir / "state/kiosk.db") == 1);
}

namespace {

// Runs one SQL statement on the store (what kioskctl staff remove does to the row).
void store_sql(const std::filesystem::path& db_file, const std::string& sql) {
  std::filesystem::create_directories(db_file.parent_path());
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open(db_file.c_str(), &db) == SQLITE_OK);
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  const std::string message = error ? error : "";
  sqlite3_free(error);
  sqlite3_close(db);
  REQUIRE_MESSAGE(rc == SQLITE_OK, message);
}

}  // namespace

TEST_CASE("start gate: only a new kiosk gets the setup - a kiosk in use without staff, or with a broken file, is out of order") {
  TempDir dir;
  const auto file = dir / "kiosk.toml";
  kiosk::Config config = write_config_without_staff(dir, file);
  CHECK(decide_start(file).mode == StartMode::Setup);
  // An empty store (the delivery service may make one before the setup) is still a new kiosk.
  store_sql(dir / "state/kiosk.db", "CREATE TABLE staff_members(id TEXT PRIMARY KEY, name TEXT, pin_hash TEXT, "
                                    "added_at TEXT, removed_at TEXT); CREATE TABLE audit_log(id INTEGER PRIMARY KEY)");
  CHECK(decide_start(file).mode == StartMode::Setup);
  std::filesystem::remove(dir / "state/kiosk.db");

  add_staff_member(config, "1001", "Kari N", "482913");
  const auto ready = decide_start(file);
  CHECK(ready.mode == StartMode::Ready);
  CHECK(ready.reasons.empty());

  // The last staff member removed: the kiosk is in use, so whoever stands at the screen gets no setup.
  store_sql(dir / "state/kiosk.db", "UPDATE staff_members SET removed_at = '2026-12-07T10:00:00Z', pin_hash = ''");
  auto decision = decide_start(file);
  CHECK(decision.mode == StartMode::OutOfOrder);
  REQUIRE(decision.reasons.size() == 1);
  CHECK(contains(decision.reasons[0], "staff mode"));
  CHECK(decision.help_phone == "23 32 70 00");

  // A file that does not parse: out of order too (with the default help number), never the setup.
  write_file(file, "[site]\nhelp_phone = \"22 22 22 22\"\n[ui\n", 0640);
  decision = decide_start(file);
  CHECK(decision.mode == StartMode::OutOfOrder);
  CHECK(contains(decision.reasons.at(0), "line 3"));
  // ... also when no store exists at all (the file no longer says where it is).
  std::filesystem::remove_all(dir / "state");
  CHECK(decide_start(file).mode == StartMode::OutOfOrder);

  // The help number comes from a file that parses.
  config.set("site.help_phone", "22 22 22 22");
  write_config(file, config);
  store_sql(dir / "state/kiosk.db", "CREATE TABLE audit_log(id INTEGER PRIMARY KEY); INSERT INTO audit_log VALUES(1)");
  decision = decide_start(file);
  CHECK(decision.mode == StartMode::OutOfOrder);
  CHECK(decision.help_phone == "22 22 22 22");
}

TEST_CASE("start gate: the screen code opens the setup on a kiosk in use once, expires, and ends after 5 wrong tries") {
  TempDir dir;
  const auto file = dir / "kiosk.toml";
  write_file(file, "[ui\n", 0640);  // broken: out of order
  const std::time_t now = 1'800'000'000;
  REQUIRE(decide_start(file, now).mode == StartMode::OutOfOrder);
  CHECK(use_screen_code(file, "0000000000", now) == ScreenCodeResult::NoCode);

  CHECK_THROWS_AS(issue_screen_code(file, std::chrono::seconds(10), now), SetupError);
  CHECK_THROWS_AS(issue_screen_code(file, std::chrono::hours(25), now), SetupError);
  const std::string code = issue_screen_code(file, std::chrono::minutes(30), now);
  REQUIRE(code.size() == 10);
  CHECK(code.find_first_not_of("0123456789") == std::string::npos);
  // Only a hash is kept, readable by the kiosk's group, not by others.
  const std::string stored = kiosk_test::read_file(screen_code_file(file));
  CHECK_FALSE(contains(stored, code));
  CHECK(kiosk_test::mode_of(screen_code_file(file)) == 0640);

  CHECK(decide_start(file, now).mode == StartMode::SetupWithCode);
  CHECK(decide_start(file, now + 30 * 60).mode == StartMode::OutOfOrder);  // expired
  CHECK(use_screen_code(file, code, now + 30 * 60) == ScreenCodeResult::NoCode);
  CHECK_FALSE(std::filesystem::exists(screen_code_file(file)));

  // Single use.
  const std::string second = issue_screen_code(file, std::chrono::minutes(30), now);
  std::string wrong = second;
  wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
  CHECK(use_screen_code(file, wrong, now) == ScreenCodeResult::Wrong);
  CHECK(use_screen_code(file, second, now) == ScreenCodeResult::Accepted);
  CHECK(use_screen_code(file, second, now) == ScreenCodeResult::NoCode);
  CHECK(decide_start(file, now).mode == StartMode::OutOfOrder);

  // Five wrong tries end it, even if the right one comes next.
  const std::string third = issue_screen_code(file, std::chrono::minutes(30), now);
  wrong = third;
  wrong[9] = wrong[9] == '9' ? '0' : static_cast<char>(wrong[9] + 1);
  for (int i = 0; i < kScreenCodeTries; ++i) CHECK(use_screen_code(file, wrong, now) == ScreenCodeResult::Wrong);
  CHECK(use_screen_code(file, third, now) == ScreenCodeResult::NoCode);
  CHECK(decide_start(file, now).mode == StartMode::OutOfOrder);
}

TEST_CASE("ADMIN.md documents every configuration key") {
  const std::string admin = kiosk_test::read_file(std::filesystem::path(KIOSK_SOURCE_DIR) / "ADMIN.md");
  REQUIRE_FALSE(admin.empty());
  for (const auto& spec : kiosk::Config::schema()) CHECK_MESSAGE(contains(admin, "`" + spec.key + "`"), spec.key);
}
