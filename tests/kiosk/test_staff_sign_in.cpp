// Staff sign-in on the real screens (headless) against the real store: a lock-out is kept in
// the store, so a new kiosk run on the same store is still locked until the configured time
// has passed; and the PIN is checked on the sign-in worker, not on the UI thread: the screen
// says it is checking, input is ignored meanwhile, and a wipe during the check discards it.
#include <doctest/doctest.h>

#include <condition_variable>
#include <limits>
#include <mutex>

#include "kiosk_services_support.hpp"
#include "kiosk_staff/directory.hpp"
#include "kiosk_test_support.hpp"
#include "store/staff_members.hpp"
#include "store/store.hpp"

using namespace kiosk;
using flow::Clock;
using flow::Screen;
using namespace std::chrono_literals;

namespace {

// A kiosk store with members, as the kiosk and `kioskctl staff add` make it.
struct StoreWithMembers {
  kiosk_test::TempDir dir{"kiosk-sign-in"};
  std::filesystem::path db = dir.path / "kiosk.db";

  explicit StoreWithMembers(std::vector<std::pair<std::string, std::string>> members) {
    auto store = store::Store::open(db, dir.path / "kiosk.db.key");
    store::StaffMembers staff(store);
    for (const auto& [id, pin] : members) staff.add(id, "Member " + id, flow::StaffLock::hash_pin(pin, true), "admin");
  }

  std::int64_t count(const std::string& sql) {
    auto store = store::Store::open(db, dir.path / "kiosk.db.key");
    auto st = store.db().prepare(sql);
    REQUIRE(st.step());
    return st.integer(0);
  }
};

// One run of the kiosk: its own flow, its own store-backed directory (as the kiosk wires it).
struct KioskRun : kiosk_test::HeadlessKiosk {
  KioskRun(const std::filesystem::path& db, const flow::FlowOptions& with, Clock::time_point start) {
    options = with;
    now = start;
    auto wired = services.make();
    wired.staff = std::make_shared<staff::StoreStaffDirectory>(db);
    flow = std::make_unique<flow::Flow>(assets.catalogue, assets.translations, assets.rules, options, wired, now);
  }

  void type(const std::string& digits) {
    for (char c : digits) REQUIRE(ui.touch(*flow, std::string("key.") + c, now));
  }
  // Opens staff mode (when not open yet) and signs in; the answer of the PIN check is waited for.
  void sign_in(const std::string& number, const std::string& pin) {
    if (flow->screen() != Screen::StaffPin) REQUIRE(ui.touch(*flow, "staff.open", now));
    if (!number.empty()) {
      type(number);
      REQUIRE(ui.touch(*flow, "choice.next", now));
    }
    type(pin);
    REQUIRE(ui.touch(*flow, "choice.next", now));
    REQUIRE(kiosk_test::pin_checked(*flow, ui, now));
  }
  std::string error() { return flow->screen_model().error; }
  // Staff mode stayed locked and the PIN screen says why.
  void check_locked_out() {
    CHECK(!flow->staff_unlocked());
    CHECK(error() == text("ui.staff.locked-out"));
  }
  std::string text(const std::string& key) { return assets.translations.text("nb", key); }
  bool audited(const std::string& actor, const std::string& action) {
    for (const auto& a : services.outbox->audits)
      if (a.actor == actor && a.action == action) return true;
    return false;
  }
};

}  // namespace

TEST_CASE("staff sign-in: a member's lock-out survives a restart and ends after the configured time") {
  StoreWithMembers store({{"1001", "482913"}, {"1002", "135790"}});
  flow::FlowOptions options;  // 5 wrong PINs, 300 s
  const auto t0 = Clock::now();
  {
    KioskRun run(store.db, options, t0);
    for (int attempt = 1; attempt <= 5; ++attempt) {
      run.sign_in("1001", "000000");
      CHECK(!run.flow->staff_unlocked());
      CHECK(run.error() == run.text(attempt < 5 ? "ui.staff.wrong-number-or-pin" : "ui.staff.locked-out"));
      if (attempt < 5) REQUIRE(run.ui.touch(*run.flow, "nav.back", run.now));  // back to the number
    }
    CHECK(run.audited("1001", "staff-lock-out"));
    run.sign_in("1001", "482913");  // even the right PIN, while locked
    run.check_locked_out();
  }
  // Kept in the store: the staff number and when its lock-out ends (never a PIN).
  CHECK(store.count("SELECT COUNT(*) FROM staff_sign_in_failures WHERE scope='1001' AND locked_until > 0") == 1);

  {
    // The kiosk restarted (a new flow, a new directory, the same store): still locked.
    KioskRun run(store.db, options, t0 + 10s);
    run.sign_in("1001", "482913");
    run.check_locked_out();
    // Only that number: another member still signs in.
    run.sign_in("1002", "135790");
    CHECK(run.flow->screen() == Screen::StaffMenu);
    CHECK(run.flow->staff_actor() == "1002");
  }
  {
    // After the configured time (a new run again): the right PIN opens, and the failures are forgotten.
    KioskRun run(store.db, options, t0 + 301s);
    run.sign_in("1001", "482913");
    CHECK(run.flow->screen() == Screen::StaffMenu);
    CHECK(run.flow->staff_actor() == "1001");
  }
  CHECK(store.count("SELECT COUNT(*) FROM staff_sign_in_failures WHERE scope='1001'") == 0);
}

TEST_CASE("staff sign-in: the kiosk-wide lock-out and the shared PIN's lock-out survive a restart") {
  const auto t0 = Clock::now();
  SUBCASE("members: wrong PINs over several numbers lock everyone, also after a restart") {
    StoreWithMembers store({{"1001", "482913"}, {"1002", "135790"}});
    flow::FlowOptions options;
    options.staff_kiosk_lockout_failures = 3;
    {
      KioskRun run(store.db, options, t0);
      run.sign_in("1001", "000000");
      REQUIRE(run.ui.touch(*run.flow, "nav.back", run.now));
      run.sign_in("5555", "000000");  // an unknown number counts too
      REQUIRE(run.ui.touch(*run.flow, "nav.back", run.now));
      run.sign_in("1002", "000000");
      CHECK(run.error() == run.text("ui.staff.locked-out"));
    }
    CHECK(store.count("SELECT COUNT(*) FROM staff_sign_in_failures WHERE scope='*' AND locked_until > 0") == 1);
    {
      KioskRun run(store.db, options, t0 + 60s);
      run.sign_in("1002", "135790");
      run.check_locked_out();
    }
    KioskRun run(store.db, options, t0 + 301s);
    run.sign_in("1002", "135790");
    CHECK(run.flow->screen() == Screen::StaffMenu);
  }
  SUBCASE("no members: the shared PIN's lock-out is kept in the store too") {
    StoreWithMembers store({});
    flow::FlowOptions options;
    options.staff_pin_hash = flow::StaffLock::hash_pin("2580", true);
    options.staff_lockout_failures = 3;
    {
      KioskRun run(store.db, options, t0);
      for (int attempt = 1; attempt <= 3; ++attempt) run.sign_in("", "1111");
      CHECK(run.error() == run.text("ui.staff.locked-out"));
      CHECK(run.audited("staff-pin", "staff-lock-out"));
    }
    {
      KioskRun run(store.db, options, t0 + 60s);
      run.sign_in("", "2580");
      run.check_locked_out();
    }
    KioskRun run(store.db, options, t0 + 301s);
    run.sign_in("", "2580");
    CHECK(run.flow->screen() == Screen::StaffMenu);
  }
}

TEST_CASE("staff sign-in: a lock-out kept with a clock set back lasts no longer than the configured time") {
  flow::MemoryStaffDirectory directory;
  directory.members = {{"1001", "KN", flow::StaffLock::hash_pin("111111", true)}};
  const auto t0 = Clock::now();
  // Kept by a kiosk whose wall clock was a day ahead: it would end in a day and 5 minutes.
  const auto wall_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  directory.failures.numbers["1001"] = {0, wall_ms + (24 * 3600 + 300) * 1000LL};
  flow::StaffLock lock("", 5, 300s);
  flow::SignInAttempt attempt{true, "1001", "111111", t0};
  CHECK(flow::sign_in(lock, directory, attempt).result == flow::StaffLock::Result::LockedOut);
  CHECK(attempt.pin.empty());  // wiped
  attempt.pin = "111111";
  attempt.now = t0 + 301s;
  const auto outcome = flow::sign_in(lock, directory, attempt);
  CHECK(outcome.result == flow::StaffLock::Result::Unlocked);
  CHECK(outcome.name == "KN");
  CHECK(directory.failures.numbers.empty());  // forgotten, and kept so
}

TEST_CASE("staff sign-in: damaged lock-out times in the store lock no longer than the configured time") {
  flow::MemoryStaffDirectory directory;
  directory.members = {{"1001", "KN", flow::StaffLock::hash_pin("111111", true)}};
  // Times no kiosk writes (a damaged row): far in the future and far in the past.
  directory.failures.kiosk = {0, std::numeric_limits<std::int64_t>::max()};
  directory.failures.numbers["1001"] = {2, std::numeric_limits<std::int64_t>::min() + 1};
  directory.failures.recent = {std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max()};
  const auto t0 = Clock::now();
  flow::StaffLock lock("", 5, 300s);
  flow::SignInAttempt attempt{true, "1001", "111111", t0};
  CHECK(flow::sign_in(lock, directory, attempt).result == flow::StaffLock::Result::LockedOut);
  attempt.pin = "111111";
  attempt.now = t0 + 301s;
  CHECK(flow::sign_in(lock, directory, attempt).result == flow::StaffLock::Result::Unlocked);
}

namespace {

// Members in memory whose store cannot be written (a full disk, a read-only file system).
class UnwritableDirectory final : public flow::StaffDirectory {
 public:
  flow::MemoryStaffDirectory members;
  bool has_members() override { return members.has_members(); }
  std::optional<flow::StaffMember> find(const std::string& number) override { return members.find(number); }
  flow::SignInFailures load_failures() override { return {}; }
  void save_failures(const flow::SignInFailures&) override { throw std::runtime_error("database or disk is full"); }
};

}  // namespace

TEST_CASE("staff sign-in: a store that cannot keep the failures does not refuse the right PIN") {
  UnwritableDirectory directory;
  directory.members.members = {{"1001", "KN", flow::StaffLock::hash_pin("111111", true)}};
  flow::StaffLock lock("", 3, 300s);
  const auto t0 = Clock::now();
  flow::SignInAttempt wrong{true, "1001", "222222", t0};
  auto outcome = flow::sign_in(lock, directory, wrong);
  CHECK_FALSE(outcome.unavailable);
  CHECK(outcome.result == flow::StaffLock::Result::WrongPin);
  CHECK(outcome.problem.find("disk is full") != std::string::npos);  // for the log
  // The right PIN clears the failures, which cannot be kept either: staff still get in.
  flow::SignInAttempt right{true, "1001", "111111", t0 + 1s};
  outcome = flow::sign_in(lock, directory, right);
  CHECK_FALSE(outcome.unavailable);
  CHECK(outcome.result == flow::StaffLock::Result::Unlocked);
  CHECK(outcome.name == "KN");
  // The lock still holds in memory for this run.
  for (int i = 0; i < 3; ++i) {
    flow::SignInAttempt attempt{true, "1001", "333333", t0 + 2s};
    outcome = flow::sign_in(lock, directory, attempt);
  }
  CHECK(outcome.result == flow::StaffLock::Result::LockedOut);
}

namespace {

// Members in memory whose look-up waits until the test lets it go, so the test sees the
// kiosk while a PIN is being checked.
class GatedDirectory final : public flow::StaffDirectory {
 public:
  flow::MemoryStaffDirectory members;
  bool has_members() override { return members.has_members(); }
  std::optional<flow::StaffMember> find(const std::string& number) override {
    std::unique_lock lock(mutex_);
    ++waiting_;
    changed_.notify_all();
    changed_.wait(lock, [this] { return open_; });
    --waiting_;
    return members.find(number);
  }
  flow::SignInFailures load_failures() override { return members.load_failures(); }
  void save_failures(const flow::SignInFailures& f) override { members.save_failures(f); }

  void close() {
    std::lock_guard lock(mutex_);
    open_ = false;
  }
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    changed_.notify_all();
  }
  // True once a check is waiting at the gate (within a few seconds).
  bool check_waiting() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [this] { return waiting_ > 0; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
  int waiting_ = 0;
};

}  // namespace

TEST_CASE("staff sign-in: the PIN is checked on a worker and the screen says so and ignores input meanwhile") {
  kiosk_test::HeadlessKiosk k;
  auto directory = std::make_shared<GatedDirectory>();
  directory->members.members = {{"1001", "KN", flow::StaffLock::hash_pin("482913", true)}};
  auto wired = k.services.make();
  wired.staff = directory;
  k.flow =
      std::make_unique<flow::Flow>(k.assets.catalogue, k.assets.translations, k.assets.rules, k.options, wired, k.now);
  auto& f = *k.flow;
  const auto& t = k.assets.translations;
  auto type = [&](const std::string& digits) {
    for (char c : digits) REQUIRE(k.ui.touch(f, std::string("key.") + c, k.now));
  };
  // Frames until the flow has logged `n` right PINs whose answer came after the sign-in was left.
  auto late_answer_dropped = [&](int n) {
    for (int i = 0; i < 2000; ++i) {
      int dropped = 0;
      for (const auto& line : k.services.log) dropped += line.find("left during the check") != std::string::npos;
      if (dropped == n) return true;
      std::this_thread::sleep_for(5ms);
      k.ui.look(f, k.now + 12min);
    }
    return false;
  };

  REQUIRE(k.ui.touch(f, "staff.open", k.now));
  type("1001");
  REQUIRE(k.ui.touch(f, "choice.next", k.now));
  type("482913");
  // The touch returns while the check waits at the gate: the UI thread does not wait for it.
  REQUIRE(k.ui.touch(f, "choice.next", k.now));
  REQUIRE(directory->check_waiting());
  CHECK(f.staff_checking());
  auto frame = k.ui.look(f, k.now);
  CHECK(f.screen() == Screen::StaffPin);
  CHECK(frame.all_text().find(t.text("nb", "ui.staff.checking")) != std::string::npos);
  CHECK(!frame.find("choice.next"));  // nothing to press meanwhile
  CHECK(f.screen_model().busy);
  // Keys, Next and Help do nothing while the PIN is checked.
  f.apply(flow::intent::Key{"7"}, k.now);
  f.apply(flow::intent::Next{}, k.now);
  f.apply(flow::intent::Help{}, k.now);
  CHECK(f.screen() == Screen::StaffPin);
  CHECK(f.session().typed.empty());
  directory->open();
  REQUIRE(kiosk_test::pin_checked(f, k.ui, k.now));
  CHECK(f.screen() == Screen::StaffMenu);
  CHECK(f.staff_actor() == "1001");
  CHECK(k.ui.look(f, k.now).all_text().find("KN") != std::string::npos);

  // Leaving staff mode, then a right PIN whose check is overtaken by inactivity: its result is
  // discarded (not signed in), and the kiosk is back at the start.
  REQUIRE(k.ui.touch(f, "nav.back", k.now));
  REQUIRE(!f.staff_unlocked());
  directory->close();
  REQUIRE(k.ui.touch(f, "staff.open", k.now));
  type("1001");
  REQUIRE(k.ui.touch(f, "choice.next", k.now));
  type("482913");
  REQUIRE(k.ui.touch(f, "choice.next", k.now));
  REQUIRE(directory->check_waiting());
  k.ui.look(f, k.now + 10min);  // inactivity: the session is wiped
  CHECK(f.screen() == Screen::Start);
  CHECK(!f.staff_checking());
  directory->open();
  REQUIRE(late_answer_dropped(1));
  CHECK(!f.staff_unlocked());
  CHECK(f.screen() == Screen::Start);

  // Back during a check: back at the staff number, the late answer dropped as well.
  directory->close();
  const auto later = k.now + 11min;
  REQUIRE(k.ui.touch(f, "staff.open", later));
  for (char c : std::string("1001")) REQUIRE(k.ui.touch(f, std::string("key.") + c, later));
  REQUIRE(k.ui.touch(f, "choice.next", later));
  for (char c : std::string("482913")) REQUIRE(k.ui.touch(f, std::string("key.") + c, later));
  REQUIRE(k.ui.touch(f, "choice.next", later));
  REQUIRE(directory->check_waiting());
  f.apply(flow::intent::Back{}, later);
  CHECK(!f.staff_checking());
  CHECK(f.screen_model().title == t.text("nb", "ui.staff.number.title"));
  directory->open();
  REQUIRE(late_answer_dropped(2));
  CHECK(!f.staff_unlocked());
  CHECK(f.screen() == Screen::StaffPin);
}
