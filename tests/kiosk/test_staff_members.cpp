// Individual staff members: kioskctl staff add/list/remove on a real store, the sign-in
// lock-outs (per staff number and kiosk-wide), and a member signing in at the kiosk through
// the real screens and services (store-backed directory, real outbox on its worker thread):
// the audit and the Provenance of what they send name the member.
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "config.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_staff/directory.hpp"
#include "kiosk_services_support.hpp"
#include "kiosk_test_support.hpp"
#include "kiosk_ui/headless.hpp"
#include "outbox/crypto.hpp"
#include "outbox/outbox.hpp"
#include "store/staff_members.hpp"
#include "store/store.hpp"

using namespace kiosk;
using flow::Clock;
using flow::Screen;
using namespace std::chrono_literals;

using kiosk_test::demo_env;
using kiosk_test::frames_until;
using kiosk_test::TempDir;

namespace {

std::string file_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct Run {
  int code = -1;
  std::string out, err;
};

// Runs the real kioskctl with `input` on its standard input (no installed configuration).
Run kioskctl(const TempDir& dir, const std::string& args, const std::string& input = "") {
  static int n = 0;
  const auto in = dir.path / ("in" + std::to_string(++n));
  const auto out = dir.path / ("out" + std::to_string(n));
  const auto err = dir.path / ("err" + std::to_string(n));
  std::ofstream(in) << input;
  const std::string cmd = "KIOSK_CONFIG=/nonexistent/kiosk.toml " + std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl " +
                          args + " < " + in.string() + " > " + out.string() + " 2> " + err.string();
  const int rc = std::system(cmd.c_str());
  REQUIRE(WIFEXITED(rc));
  return Run{WEXITSTATUS(rc), file_text(out), file_text(err)};
}

// A 4×4 grey PNG: a scanned page as the scanner service hands it over.
const std::vector<unsigned char> kPng = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
    0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x9a, 0xc1, 0xa2, 0x00, 0x00, 0x00,
    0x0e, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38, 0x01, 0x04, 0x0c, 0xa8, 0x04, 0x00, 0x7d, 0x14, 0x0c,
    0x81, 0xab, 0x88, 0xff, 0x10, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

std::int64_t audit_count(outbox::Outbox& box, const std::string& actor, const std::string& action) {
  auto st = box.store().db().prepare("SELECT COUNT(*) FROM audit_log WHERE actor=? AND action=?");
  st.bind(1, actor).bind(2, action);
  REQUIRE(st.step());
  return st.integer(0);
}

void type(flow::Flow& f, ui::HeadlessUi& ui, const std::string& digits) {
  for (char c : digits) REQUIRE(ui.touch(f, std::string("key.") + c, Clock::now()));
}

}  // namespace

TEST_CASE("staff members: kioskctl staff add and list and remove (JSON without PIN or hash and bad input refused)") {
  TempDir dir{"kiosk-staff"};
  const auto db = dir.path / "kiosk.db";
  { store::Store::open(db, dir.path / "kiosk.db.key"); }  // the kiosk makes its store when it first starts
  const std::string at = " --store " + db.string();
  const std::string pin = "482913";

  auto added = kioskctl(dir, "staff add --id 1001 --name 'Kari N' --pin-stdin" + at, pin + "\n");
  INFO(added.err);
  REQUIRE(added.code == 0);
  REQUIRE(kioskctl(dir, "staff add --id 27 --name OP --pin-stdin" + at, "135790\n").code == 0);

  // Bad input: nothing is added, and the admin is told why.
  const auto duplicate = kioskctl(dir, "staff add --id 1001 --name Other --pin-stdin" + at, "111111\n");
  CHECK(duplicate.code == 3);
  CHECK(duplicate.err.find("already in use") != std::string::npos);
  const auto letters = kioskctl(dir, "staff add --id 1003 --name AB --pin-stdin" + at, "12ab56\n");
  CHECK(letters.code == 3);
  CHECK(letters.err.find("6 to 12 digits") != std::string::npos);
  CHECK(kioskctl(dir, "staff add --id 1003 --name AB --pin-stdin" + at, "12345\n").code == 3);          // too short
  CHECK(kioskctl(dir, "staff add --id 1003 --name AB --pin-stdin" + at, "1234567890123\n").code == 3);  // too long
  CHECK(kioskctl(dir, "staff add --id 10x3 --name AB --pin-stdin" + at, "123456\n").code == 3);
  CHECK(kioskctl(dir, "staff add --id 1003 --name '' --pin-stdin" + at, "123456\n").code == 3);
  CHECK(kioskctl(dir, "staff add --id 1003 --name AB" + at, "123456\n").code == 2);  // the PIN only on stdin
  CHECK(kioskctl(dir, "staff add --id 1003 --name AB --pin 123456" + at).code == 2);

  auto listed = kioskctl(dir, "staff list --json" + at);
  REQUIRE(listed.code == 0);
  auto json = nlohmann::json::parse(listed.out);
  REQUIRE(json.at("members").size() == 2);
  CHECK(json["members"][0].at("id") == "27");  // by number
  CHECK(json["members"][0].at("name") == "OP");
  CHECK(json["members"][1].at("id") == "1001");
  CHECK(json["members"][1].at("name") == "Kari N");
  CHECK(json["members"][1].at("status") == "active");
  CHECK(!json["members"][1].at("added").get<std::string>().empty());
  for (const auto& text : {listed.out, kioskctl(dir, "staff list" + at).out}) {
    CHECK(text.find(pin) == std::string::npos);
    CHECK(text.find("argon2") == std::string::npos);
    CHECK(text.find("Kari N") != std::string::npos);
  }
  {
    // Only an Argon2id hash is stored, never the PIN.
    auto store = store::Store::open(db, dir.path / "kiosk.db.key");
    auto st = store.db().prepare("SELECT pin_hash FROM staff_members WHERE id='1001'");
    REQUIRE(st.step());
    CHECK(st.text(0).rfind("$argon2id$", 0) == 0);
    CHECK(flow::StaffLock::hash_pin(pin, true) != st.text(0));
    CHECK(file_text(db).find(pin) == std::string::npos);
  }

  // A forgotten PIN: a new one (checked like the first), audited.
  CHECK(kioskctl(dir, "staff set-pin --id 1001 --pin-stdin" + at, "12x456\n").code == 3);
  CHECK(kioskctl(dir, "staff set-pin --id 999 --pin-stdin" + at, "654321\n").code == 1);
  REQUIRE(kioskctl(dir, "staff set-pin --id 1001 --pin-stdin" + at, "654321\n").code == 0);
  {
    staff::StoreStaffDirectory directory(db);  // as the kiosk reads it
    const auto kari = directory.find("1001");
    REQUIRE(kari);
    flow::StaffLock lock("", 5, std::chrono::seconds(300));
    CHECK(lock.try_unlock_member("1001", kari, pin, Clock::now()) == flow::StaffLock::Result::WrongPin);
    CHECK(lock.try_unlock_member("1001", kari, "654321", Clock::now()) == flow::StaffLock::Result::Unlocked);
  }

  // Removed: kept in the list as removed (the audit log names the number), never reused.
  REQUIRE(kioskctl(dir, "staff remove --id 27" + at).code == 0);
  CHECK(kioskctl(dir, "staff remove --id 27" + at).code == 1);
  CHECK(kioskctl(dir, "staff remove --id 999" + at).code == 1);
  const auto reused = kioskctl(dir, "staff add --id 27 --name New --pin-stdin" + at, "246802\n");
  CHECK(reused.code == 3);
  CHECK(reused.err.find("not reused") != std::string::npos);
  // The last member who can open staff mode is not removed by a slip: --force is needed.
  const auto last = kioskctl(dir, "staff remove --id 1001" + at);
  CHECK(last.code == 3);
  CHECK(last.err.find("last one who can open staff mode") != std::string::npos);
  CHECK(last.err.find("--force") != std::string::npos);
  json = nlohmann::json::parse(kioskctl(dir, "staff list --json" + at).out);
  REQUIRE(json.at("members").size() == 2);
  CHECK(json["members"][1].at("status") == "active");
  CHECK(json["members"][0].at("status") == "removed");
  CHECK(!json["members"][0].at("removed").get<std::string>().empty());
  {
    auto store = store::Store::open(db, dir.path / "kiosk.db.key");
    auto st = store.db().prepare("SELECT pin_hash FROM staff_members WHERE id='27'");
    REQUIRE(st.step());
    CHECK(st.text(0).empty());  // the hash goes with the member
    auto audit = store.db().prepare(
        "SELECT COUNT(*) FROM audit_log WHERE actor='admin' AND action IN ('staff-member-add','staff-member-remove')");
    REQUIRE(audit.step());
    CHECK(audit.integer(0) == 3);
    auto set_pin =
        store.db().prepare("SELECT COUNT(*) FROM audit_log WHERE actor='admin' AND action='staff-member-set-pin'");
    REQUIRE(set_pin.step());
    CHECK(set_pin.integer(0) == 1);
  }

  REQUIRE(kioskctl(dir, "staff remove --id 1001 --force" + at).code == 0);
  CHECK(nlohmann::json::parse(kioskctl(dir, "staff list --json" + at).out)["members"][1].at("status") == "removed");

  // A store that is not there is said plainly (exit 4), and not created.
  const auto missing = dir.path / "nowhere.db";
  for (const auto& run :
       {kioskctl(dir, "staff list --store " + missing.string()),
        kioskctl(dir, "staff remove --id 1001 --store " + missing.string()),
        kioskctl(dir, "staff add --id 5 --name X --pin-stdin --store " + missing.string(), "123456\n")}) {
    CHECK(run.code == 4);
    CHECK(run.err.find("There is no kiosk store") != std::string::npos);
  }
  CHECK(!std::filesystem::exists(missing));
}

TEST_CASE("staff members: lock-out per staff number and kiosk-wide and a removed member cannot sign in") {
  const flow::StaffMember kari{"1001", "KN", flow::StaffLock::hash_pin("111111", true)};
  const flow::StaffMember ola{"1002", "OP", flow::StaffLock::hash_pin("222222", true)};
  using R = flow::StaffLock::Result;
  const auto t0 = Clock::now();
  {
    flow::StaffLock lock("", 3, 300s, 10);
    CHECK(lock.try_unlock_member("1001", kari, "111111", t0) == R::Unlocked);
    CHECK(lock.try_unlock_member("1001", kari, "000000", t0) == R::WrongPin);
    CHECK(lock.try_unlock_member("1001", kari, "000000", t0) == R::WrongPin);
    CHECK(lock.try_unlock_member("1001", kari, "000000", t0) == R::LockedOut);
    CHECK(lock.member_locked_out("1001", t0 + 299s));
    CHECK(lock.try_unlock_member("1001", kari, "111111", t0 + 299s) == R::LockedOut);  // even the right PIN
    CHECK(lock.try_unlock_member("1002", ola, "222222", t0 + 10s) == R::Unlocked);     // others still sign in
    CHECK(lock.try_unlock_member("1001", kari, "111111", t0 + 301s) == R::Unlocked);
    // A PIN is checked only against the number's own hash: Kari's PIN does not open Ola's number.
    CHECK(lock.try_unlock_member("1002", ola, "111111", t0 + 302s) == R::WrongPin);
    // A member found under another number never unlocks.
    CHECK(lock.try_unlock_member("1002", kari, "111111", t0 + 303s) == R::WrongPin);
  }
  {
    // Guessing over many numbers: the kiosk-wide limit locks everyone.
    flow::StaffLock lock("", 3, 300s, 5);
    CHECK(lock.try_unlock_member("1001", kari, "000000", t0) == R::WrongPin);
    CHECK(lock.try_unlock_member("1001", kari, "000001", t0) == R::WrongPin);
    CHECK(lock.try_unlock_member("1002", ola, "000000", t0) == R::WrongPin);
    CHECK(lock.try_unlock_member("1002", ola, "000001", t0) == R::WrongPin);
    CHECK(lock.try_unlock_member("5555", std::nullopt, "000000", t0) == R::LockedOut);  // the fifth
    CHECK(lock.locked_out(t0 + 299s));
    CHECK(lock.try_unlock_member("1002", ola, "222222", t0 + 299s) == R::LockedOut);
    CHECK(lock.try_unlock("222222", t0 + 299s) == R::LockedOut);
    CHECK(lock.try_unlock_member("1002", ola, "222222", t0 + 301s) == R::Unlocked);
  }
  {
    // Wrong PINs older than the lock-out time no longer count kiosk-wide.
    flow::StaffLock lock("", 3, 300s, 3);
    CHECK(lock.try_unlock_member("1001", kari, "000000", t0) == R::WrongPin);
    CHECK(lock.try_unlock_member("1002", ola, "000000", t0) == R::WrongPin);
    CHECK(lock.try_unlock_member("1003", std::nullopt, "000000", t0 + 301s) == R::WrongPin);
    CHECK(lock.try_unlock_member("1004", std::nullopt, "000000", t0 + 302s) == R::WrongPin);
    CHECK(lock.try_unlock_member("1005", std::nullopt, "000000", t0 + 303s) == R::LockedOut);
  }
  {
    // Numbers typed once are not kept for ever: the fewest wrong PINs are forgotten first, never
    // a lock-out. (The kiosk-wide limit is set high here to type many numbers.)
    flow::StaffLock lock("", 3, 300s, 100000);
    CHECK(lock.try_unlock_member("1001", kari, "000000", t0) == R::WrongPin);
    CHECK(lock.try_unlock_member("1001", kari, "000001", t0) == R::WrongPin);
    for (int i = 0; i < 3; ++i) CHECK(lock.try_unlock_member("1002", ola, "000000", t0) != R::Unlocked);
    for (int n = 0; n < 250; ++n)
      CHECK(lock.try_unlock_member(std::to_string(50000 + n), std::nullopt, "000000", t0) == R::WrongPin);
    const auto kept = lock.export_state(t0);
    CHECK(kept.numbers.size() == flow::StaffLock::kMaxNumbersKept);
    CHECK(kept.numbers.count("50249") == 1);                                    // the last one typed
    CHECK(kept.numbers.at("1001").failures == 2);                               // more wrong PINs than the rest
    CHECK(lock.member_locked_out("1002", t0 + 1s));                             // a lock-out is never forgotten
    CHECK(lock.try_unlock_member("1001", kari, "000002", t0) == R::LockedOut);  // its third
  }
  {
    // Removed: the directory no longer finds the member, so the old PIN is just wrong.
    flow::MemoryStaffDirectory directory;
    directory.members = {kari, ola};
    flow::StaffLock lock("", 3, 300s, 10);
    CHECK(lock.try_unlock_member("1001", directory.find("1001"), "111111", t0) == R::Unlocked);
    directory.members.erase(directory.members.begin());
    CHECK(!directory.find("1001"));
    CHECK(lock.try_unlock_member("1001", directory.find("1001"), "111111", t0) == R::WrongPin);
    CHECK(directory.has_members());
  }
}

TEST_CASE("staff members: lock-outs double in a row, end after a right PIN or a quiet day, and last at least a minute") {
  const flow::StaffMember kari{"1001", "KN", flow::StaffLock::hash_pin("111111", true)};
  using R = flow::StaffLock::Result;
  const auto t0 = Clock::now();
  // Three wrong PINs for Kari's number at `t`.
  const auto guess = [&](flow::StaffLock& lock, Clock::time_point t) {
    CHECK(lock.try_unlock_member("1001", kari, "000000", t) == R::WrongPin);
    CHECK(lock.try_unlock_member("1001", kari, "000001", t) == R::WrongPin);
    CHECK(lock.try_unlock_member("1001", kari, "000002", t) == R::LockedOut);
  };
  {
    // staff.lockout_seconds = 0 would have turned lock-outs off: the lock never goes under a minute.
    flow::StaffLock lock("", 3, 0s, 1000);
    guess(lock, t0);
    CHECK(lock.member_locked_out("1001", t0 + 59s));
  }
  flow::StaffLock lock("", 3, 60s, 1000);
  guess(lock, t0);
  CHECK(lock.member_locked_out("1001", t0 + 59s));
  CHECK_FALSE(lock.member_locked_out("1001", t0 + 61s));
  const auto t1 = t0 + 61s;
  guess(lock, t1);  // the second in a row: two minutes
  CHECK(lock.member_locked_out("1001", t1 + 119s));
  CHECK_FALSE(lock.member_locked_out("1001", t1 + 121s));
  const auto t2 = t1 + 121s;
  guess(lock, t2);  // the third: four minutes
  CHECK(lock.member_locked_out("1001", t2 + 239s));
  CHECK_FALSE(lock.member_locked_out("1001", t2 + 241s));

  // The series survives a restart (kept in the store as lockouts).
  const auto kept = lock.export_state(t2 + 241s);
  CHECK(kept.numbers.at("1001").lockouts == 3);
  flow::StaffLock restarted("", 3, 60s, 1000);
  restarted.import_state(kept, t2 + 241s);
  const auto t3 = t2 + 241s;
  guess(restarted, t3);  // the fourth: eight minutes
  CHECK(restarted.member_locked_out("1001", t3 + 479s));
  CHECK_FALSE(restarted.member_locked_out("1001", t3 + 481s));

  // The right PIN ends the series: the next lock-out is one minute again.
  const auto t4 = t3 + 481s;
  CHECK(restarted.try_unlock_member("1001", kari, "111111", t4) == R::Unlocked);
  guess(restarted, t4);
  CHECK_FALSE(restarted.member_locked_out("1001", t4 + 61s));
  // So does a day without a lock-out.
  guess(restarted, t4 + 61s);  // two minutes
  CHECK(restarted.member_locked_out("1001", t4 + 61s + 119s));
  const auto t5 = t4 + 61s + 25h;
  guess(restarted, t5);
  CHECK_FALSE(restarted.member_locked_out("1001", t5 + 61s));

  // Never longer than a day, however long the series.
  flow::StaffLock capped("", 1, 3600s, 1000);
  auto t = t0;
  for (int i = 0; i < 8; ++i) {
    CHECK(capped.try_unlock_member("1001", kari, "000000", t) == R::LockedOut);
    t += capped.lockout_for(i + 1) + 1s;
  }
  CHECK(capped.lockout_for(8) == 24h);
  // The kiosk-wide lock escalates as well.
  flow::StaffLock everyone("", 100, 60s, 2);
  CHECK(everyone.try_unlock_member("1", std::nullopt, "000000", t0) == R::WrongPin);
  CHECK(everyone.try_unlock_member("2", std::nullopt, "000000", t0) == R::LockedOut);
  CHECK(everyone.try_unlock_member("3", std::nullopt, "000000", t0 + 61s) == R::WrongPin);
  CHECK(everyone.try_unlock_member("4", std::nullopt, "000000", t0 + 61s) == R::LockedOut);
  CHECK(everyone.locked_out(t0 + 61s + 119s));
  CHECK_FALSE(everyone.locked_out(t0 + 61s + 121s));
}

TEST_CASE("staff members: every lock-out is recorded in the store, and the health report can count them since a time") {
  TempDir dir{"kiosk-lockouts"};
  const auto db_file = dir.path / "kiosk.db";
  { auto made = store::Store::open(db_file, dir.path / "store.key"); }
  const flow::StaffMember kari{"1001", "KN", flow::StaffLock::hash_pin("111111", true)};
  flow::MemoryStaffDirectory members;
  members.members = {kari};
  // The kiosk's own directory (the store) for the failures, the members from memory.
  struct Directory final : flow::StaffDirectory {
    staff::StoreStaffDirectory store;
    flow::MemoryStaffDirectory& members;
    Directory(std::filesystem::path db, flow::MemoryStaffDirectory& m) : store(std::move(db)), members(m) {}
    bool has_members() override { return true; }
    std::optional<flow::StaffMember> find(const std::string& n) override { return members.find(n); }
    flow::SignInFailures load_failures() override { return store.load_failures(); }
    void save_failures(const flow::SignInFailures& f) override { store.save_failures(f); }
  } directory(db_file, members);
  const auto count_since = [&](std::int64_t since_ms) {
    store::Database db(db_file, false);
    return store::count_staff_lockouts_since(db, since_ms);
  };
  const auto now_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const std::int64_t before = now_ms();
  CHECK(count_since(0) == 0);
  flow::StaffLock lock("", 3, 60s, 1000);
  const auto t0 = Clock::now();
  using R = flow::StaffLock::Result;
  for (const char* pin : {"000000", "000001"}) {
    flow::SignInAttempt a{true, "1001", pin, t0};
    CHECK(flow::sign_in(lock, directory, a).result == R::WrongPin);
  }
  CHECK(count_since(before) == 0);
  {
    flow::SignInAttempt a{true, "1001", "000002", t0};
    CHECK(flow::sign_in(lock, directory, a).result == R::LockedOut);
  }
  CHECK(count_since(before) == 1);
  // Tries while locked out are no new lock-out.
  for (int i = 0; i < 3; ++i) {
    flow::SignInAttempt a{true, "1001", "000003", t0 + 10s};
    CHECK(flow::sign_in(lock, directory, a).result == R::LockedOut);
  }
  CHECK(count_since(before) == 1);
  // Unknown numbers until everyone is locked out (scope '*'), after Kari's lock-out ended.
  flow::StaffLock kiosk_wide("", 3, 60s, 2);
  for (const char* number : {"7", "8"}) {
    flow::SignInAttempt a{true, number, "000000", t0 + 61s};
    flow::sign_in(kiosk_wide, directory, a);
  }
  CHECK(count_since(before) == 2);
  CHECK(count_since(now_ms() + 1000) == 0);
  store::Database db(db_file, false);
  auto st = db.prepare("SELECT scope FROM staff_lockouts ORDER BY rowid");
  REQUIRE(st.step());
  CHECK(st.text(0) == "1001");
  REQUIRE(st.step());
  CHECK(st.text(0) == "*");
}

TEST_CASE("staff members: a member signs in at the kiosk and the audit and the sent Bundle Provenance name them") {
  const auto& assets = kiosk_test::Assets::get();
  const auto& t = assets.translations;
  TempDir dir{"kiosk-staff"};
  auto config = demo_env(dir.path, "staff-test-key-0123456789abcdef");
  const auto toml = dir.path / "env" / "kiosk.toml";  // the same store as `config`
  { outbox::Outbox made(config); }                    // the kiosk's store, as the kiosk makes it when it first starts
  const std::string at = " --config " + toml.string();
  REQUIRE(kioskctl(dir, "staff add --id 1001 --name 'Kari N' --pin-stdin" + at, "482913\n").code == 0);
  REQUIRE(kioskctl(dir, "staff add --id 1002 --name OP --pin-stdin" + at, "135790\n").code == 0);

  // A citizen leaves a sheet for staff.
  const auto& form = assets.catalogue.forms().front();
  const auto answers = forms::make_example_answers(form, 5);
  auto scanner = std::make_shared<ui::ScriptedScanner>();
  scanner->result = ui::ScriptedScanner::read_back(form, answers, true);
  const auto page = dir.path / "page.png";
  std::ofstream(page, std::ios::binary).write(reinterpret_cast<const char*>(kPng.data()), kPng.size());
  scanner->result.pages = {page};
  flow::FlowOptions options;
  options.staff_pin_hash = flow::StaffLock::hash_pin("258025", true);  // the shared PIN: no longer opens
  auto wired = app::make_services(config, assets.catalogue, assets.translations);
  wired.services.scanner = scanner;
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, wired.services, Clock::now());
  ui::HeadlessUi ui;
  REQUIRE(ui.touch(f, "choice.language.nb", Clock::now()));
  f.apply(flow::intent::SendFilledForm{}, Clock::now());
  REQUIRE(ui.touch(f, "choice.self", Clock::now()));
  REQUIRE(ui.touch(f, "choice.scan", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return f.screen() == Screen::Review; }));
  REQUIRE(ui.touch(f, "choice.leave-for-staff", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return f.screen() == Screen::Receipt || !f.screen_model().error.empty(); }));
  REQUIRE(f.screen() == Screen::Receipt);
  REQUIRE(ui.touch(f, "choice.finish", Clock::now()));

  // Staff mode asks the staff number first, then the PIN. The shared PIN does not open it.
  REQUIRE(ui.touch(f, "staff.open", Clock::now()));
  REQUIRE(f.screen() == Screen::StaffPin);
  CHECK(f.screen_model().title == t.text("nb", "ui.staff.number.title"));
  type(f, ui, "258025");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  CHECK(f.screen_model().title == t.text("nb", "ui.staff.pin.title"));
  CHECK(ui.last().all_text().find("258025") != std::string::npos);  // the number is shown, the PIN never
  type(f, ui, "258025");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  CHECK(f.screen() == Screen::StaffPin);
  CHECK(!f.staff_unlocked());
  CHECK(f.screen_model().error == t.text("nb", "ui.staff.wrong-number-or-pin"));
  // Back to the number; Kari types her number and a wrong PIN, then the right one.
  REQUIRE(ui.touch(f, "nav.back", Clock::now()));
  CHECK(f.screen() == Screen::StaffPin);
  CHECK(f.screen_model().title == t.text("nb", "ui.staff.number.title"));
  type(f, ui, "1001");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  type(f, ui, "135790");  // Ola's PIN: not Kari's
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  CHECK(!f.staff_unlocked());
  CHECK(ui.last().all_text().find("135790") == std::string::npos);
  type(f, ui, "482913");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  REQUIRE(f.screen() == Screen::StaffMenu);
  CHECK(f.staff_actor() == "1001");
  CHECK(ui.last().all_text().find("Kari N") != std::string::npos);

  // Kari checks the held sheet and sends it: assisted by her.
  REQUIRE(ui.touch(f, "choice.staff.review", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return !f.screen_model().busy; }));
  REQUIRE(ui.touch(f, "row.held.0", Clock::now()));
  REQUIRE(ui.touch(f, "choice.staff.open-held", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return f.screen() == Screen::Review; }));
  while (f.screen() == Screen::Review && ui.touch(f, "choice.correct", Clock::now())) {
  }
  REQUIRE(ui.touch(f, "choice.send", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return f.screen() == Screen::Receipt || !f.screen_model().error.empty(); }));
  INFO(ui.last().all_text());
  REQUIRE(f.screen() == Screen::Receipt);
  const std::string sent = f.session().receipt_reference;
  REQUIRE(ui.touch(f, "choice.finish", Clock::now()));  // signs Kari out

  outbox::Outbox box(config);
  for (int i = 0; i < 500 && audit_count(box, "1001", "staff-sign-out") == 0; ++i) std::this_thread::sleep_for(20ms);
  // The audit names the member by staff number; wrong PINs under the number that was typed.
  CHECK(audit_count(box, "258025", "staff-wrong-pin") == 1);
  CHECK(audit_count(box, "1001", "staff-wrong-pin") == 1);
  for (const char* action :
       {"staff-sign-in", "review-open", "review-accept", "review-sent", "commit", "staff-sign-out"})
    CHECK_MESSAGE(audit_count(box, "1001", action) >= 1, action);
  CHECK(audit_count(box, "staff-pin", "staff-sign-in") == 0);

  // The Bundle as it is sent: its Provenance names Kari (staff number and name).
  // (Due far ahead: a delivery attempt against the closed broker port may have set a backoff.)
  const auto due = box.due_messages(store::now_ms() + 30LL * 24 * 3600 * 1000, 10, {});
  REQUIRE(due.size() == 1);
  CHECK(due[0].reference == sent);
  const auto env = dir.path / "env";
  outbox::KeyPair platform{outbox::load_certificate(env / "certs/platform-encryption.pem"),
                           outbox::load_private_key(env / "certs/platform-encryption.key")};
  const auto ca = outbox::load_certificate(env / "certs/ca.pem");
  const auto opened = outbox::decrypt_then_verify(due[0].payload, {&platform}, ca.get(), nullptr);
  const auto bundle = nlohmann::json::parse(opened.content.begin(), opened.content.end());
  const nlohmann::json* provenance = nullptr;
  for (const auto& e : bundle.at("entry"))
    if (e.at("resource").at("resourceType") == "Provenance") provenance = &e["resource"];
  REQUIRE(provenance);
  const nlohmann::json* enterer = nullptr;
  for (const auto& agent : provenance->at("agent"))
    if (agent.at("type").dump().find("enterer") != std::string::npos) enterer = &agent;
  REQUIRE(enterer);
  CHECK((*enterer)["who"]["identifier"]["value"] == "1001");
  CHECK((*enterer)["who"]["display"] == "Kari N");

  // Removed with kioskctl while the kiosk runs: Kari can no longer sign in; Ola can.
  REQUIRE(kioskctl(dir, "staff remove --id 1001" + at).code == 0);
  REQUIRE(ui.touch(f, "staff.open", Clock::now()));
  type(f, ui, "1001");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  type(f, ui, "482913");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  CHECK(!f.staff_unlocked());
  CHECK(f.screen_model().error == t.text("nb", "ui.staff.wrong-number-or-pin"));
  REQUIRE(ui.touch(f, "nav.back", Clock::now()));
  type(f, ui, "1002");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  type(f, ui, "135790");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  CHECK(f.screen() == Screen::StaffMenu);
  CHECK(f.staff_actor() == "1002");
  // Leaving staff mode locks it again (and the next sign-in asks the number again).
  REQUIRE(ui.touch(f, "nav.back", Clock::now()));
  CHECK(!f.staff_unlocked());
  CHECK(f.screen() == Screen::Start);
  REQUIRE(ui.touch(f, "staff.open", Clock::now()));
  CHECK(f.screen_model().title == t.text("nb", "ui.staff.number.title"));
  // So does inactivity: the wipe signs the member out.
  type(f, ui, "1002");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  type(f, ui, "135790");
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  REQUIRE(f.staff_unlocked());
  f.tick(Clock::now() + options.inactivity_warning + options.inactivity_countdown + 5s);
  CHECK(!f.staff_unlocked());
  CHECK(f.screen() == Screen::Start);
  CHECK(f.staff_actor().empty());
}

TEST_CASE("kioskctl queue list and show and retry and cancel refuse a store that does not exist (exit 4)") {
  TempDir dir{"kiosk-queue-store"};
  const auto missing = dir.path / "typo" / "kiosk.db";
  const std::string at = " --store " + missing.string();
  for (const auto& run : {kioskctl(dir, "queue list" + at), kioskctl(dir, "queue list --json" + at),
                          kioskctl(dir, "queue show HK-1" + at), kioskctl(dir, "queue retry HK-1" + at),
                          kioskctl(dir, "queue cancel HK-1" + at)}) {
    CHECK(run.code == 4);
    CHECK(run.err.find("There is no kiosk store at " + missing.string()) != std::string::npos);
    CHECK(run.out.find("empty") == std::string::npos);
  }
  CHECK(!std::filesystem::exists(missing));
  CHECK(!std::filesystem::exists(missing.parent_path()));
  // An existing store (made by the kiosk when it first starts) is listed as before.
  const auto db = dir.path / "kiosk.db";
  { store::Store::open(db, dir.path / "kiosk.db.key"); }
  const auto listed = kioskctl(dir, "queue list --store " + db.string());
  CHECK(listed.code == 0);
  CHECK(listed.out.find("The queue is empty") != std::string::npos);
}
