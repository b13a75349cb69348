// Inactivity warning and wipe, staff mode PIN and lock-out, help code, read aloud.
#include <doctest/doctest.h>

#include <algorithm>
#include <cstring>

#include "kiosk_flow/staff_lock.hpp"
#include "kiosk_test_support.hpp"
#include "kiosk_ui/headless.hpp"

using namespace kiosk;
using flow::Clock;
using flow::Screen;
using namespace std::chrono_literals;

namespace {

// A session that has typed personal data and is on a question screen.
struct Started : kiosk_test::HeadlessKiosk {
  std::string representative = kiosk_test::synthetic_number({1980, 1, 15});
  std::string represented = kiosk_test::synthetic_number({1950, 6, 1});

  explicit Started(flow::FlowOptions o = {}) {
    options = std::move(o);
    options.inactivity_warning = 90s;
    options.inactivity_countdown = 30s;
    flow = std::make_unique<flow::Flow>(assets.all_types, assets.translations, assets.rules, options, services.make(),
                                        now);
    namespace in = flow::intent;
    flow->apply(in::ChooseLanguage{"nb"}, now);
    flow->apply(in::ChooseCategory{assets.all_types.forms().front().category}, now);
    flow->apply(in::ChooseSomeoneElse{}, now);
    flow->apply(in::ChooseRepresentation{"power-of-attorney"}, now);
    flow->apply(in::FillIn{}, now);
    flow->apply(in::Key{representative}, now);
    flow->apply(in::Next{}, now);
    flow->apply(in::Key{represented}, now);
    flow->apply(in::Next{}, now);
    REQUIRE(flow->screen() == Screen::Question);
    flow->apply(in::Key{"Ola"}, now);  // typed, not yet confirmed
  }
};

}  // namespace

TEST_CASE("inactivity: a friendly warning with a countdown, then everything is wiped") {
  Started s;
  s.ui.look(*s.flow, s.now + 89s);
  CHECK(!s.ui.last().find("warning.still-here"));
  s.ui.look(*s.flow, s.now + 95s);
  REQUIRE(s.ui.last().find("warning.still-here"));
  const auto model = s.flow->screen_model();
  REQUIRE(model.countdown_seconds);
  CHECK(*model.countdown_seconds == 25);
  CHECK(s.ui.last().find("warning.body")->text.find("25") != std::string::npos);
  // Buttons under the warning do not answer; the touch itself shows someone is there.
  s.ui.touch(*s.flow, "choice.next", s.now + 96s);
  CHECK(s.flow->screen() == Screen::Question);
  CHECK(s.flow->session().typed == "Ola");
  CHECK(!s.flow->warning_shown());
  // Wiped when nobody touches anything until the countdown ends.
  s.ui.look(*s.flow, s.now + 96s + 119s);
  CHECK(s.flow->screen() == Screen::Question);
  s.ui.look(*s.flow, s.now + 96s + 121s);
  CHECK(s.flow->screen() == Screen::Start);
  CHECK(s.flow->wipe_count() == 1);
  CHECK(!s.ui.last().find("warning.still-here"));
}

TEST_CASE("inactivity: touching 'I am here' keeps the session") {
  Started s;
  s.ui.look(*s.flow, s.now + 100s);
  REQUIRE(s.ui.touch(*s.flow, "warning.still-here", s.now + 100s));
  CHECK(!s.flow->warning_shown());
  CHECK(s.flow->screen() == Screen::Question);
  CHECK(s.flow->session().typed == "Ola");
  s.ui.look(*s.flow, s.now + 150s);  // 50 s after the touch: no warning yet
  CHECK(!s.flow->warning_shown());
}

TEST_CASE("wipe: no personal value remains in the flow, the session or on screen") {
  Started s;
  namespace in = flow::intent;
  s.flow->apply(in::Erase{}, s.now);
  s.flow->apply(in::Erase{}, s.now);
  s.flow->apply(in::Erase{}, s.now);
  s.flow->apply(in::Key{"Nordmann"}, s.now);
  s.flow->apply(in::Next{}, s.now);
  const std::string before = s.flow->dump_state();
  REQUIRE(before.find(s.represented) != std::string::npos);  // the search can find it
  REQUIRE(before.find("Nordmann") != std::string::npos);
  // Keep pointers to the old buffers' content by copying addresses of the values.
  const auto& session = s.flow->session();
  const std::string* typed_before = &session.typed;
  s.ui.look(*s.flow, s.now + 200s);  // inactivity wipe
  REQUIRE(s.flow->screen() == Screen::Start);
  const std::string after = s.flow->dump_state();
  CHECK(after.find(s.represented) == std::string::npos);
  CHECK(after.find(s.representative) == std::string::npos);
  CHECK(after.find("Nordmann") == std::string::npos);
  CHECK(session.answers.values.empty());
  CHECK(session.representation.represented_id.empty());
  CHECK(session.representation.representative_id.empty());
  CHECK(typed_before->empty());
  CHECK(s.ui.last().all_text().find("Nordmann") == std::string::npos);
  // The next person starts with a new help code and submission id.
  CHECK(!session.help_code.empty());
  CHECK(!session.submission_id.empty());
}

TEST_CASE("staff mode: Argon2id PIN, lock-out after 5 wrong PINs for the configured time") {
  const std::string hash = flow::StaffLock::hash_pin("4711", true);
  CHECK(hash.rfind("$argon2id$", 0) == 0);
  flow::StaffLock lock(hash, 5, 300s);
  const auto t0 = Clock::now();
  for (int i = 0; i < 4; ++i) CHECK(lock.try_unlock("0000", t0) == flow::StaffLock::Result::WrongPin);
  CHECK(lock.try_unlock("0000", t0) == flow::StaffLock::Result::LockedOut);
  // Even the right PIN is refused while locked.
  CHECK(lock.try_unlock("4711", t0 + 299s) == flow::StaffLock::Result::LockedOut);
  CHECK(lock.lockout_left(t0 + 200s) == 100s);
  CHECK(lock.try_unlock("4711", t0 + 301s) == flow::StaffLock::Result::Unlocked);
  // No hash, or a hash that is not Argon2id, never unlocks.
  flow::StaffLock none("", 5, 300s);
  CHECK(none.try_unlock("", t0) == flow::StaffLock::Result::NoPinSet);
  flow::StaffLock plain("4711", 5, 300s);
  CHECK(plain.try_unlock("4711", t0) == flow::StaffLock::Result::NoPinSet);
}

TEST_CASE("staff mode through the screens: unlock, audit, and leaving locks it") {
  const auto& assets = kiosk_test::Assets::get();
  kiosk_test::Services services;
  flow::FlowOptions options;
  options.staff_pin_hash = flow::StaffLock::hash_pin("2580", true);
  options.staff_lockout = 60s;
  auto now = Clock::now();
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, services.make(), now);
  ui::HeadlessUi ui;
  REQUIRE(ui.touch(f, "staff.open", now));
  REQUIRE(f.screen() == Screen::StaffPin);
  for (const char* k : {"key.1", "key.1", "key.1", "key.1"}) REQUIRE(ui.touch(f, k, now));
  CHECK(ui.last().find("input")->text == "****");  // the PIN is never shown
  REQUIRE(ui.touch(f, "choice.next", now));
  REQUIRE(kiosk_test::pin_checked(f, ui, now));
  CHECK(f.screen() == Screen::StaffPin);
  CHECK(ui.last().find("error"));
  for (const char* k : {"key.2", "key.5", "key.8", "key.0"}) REQUIRE(ui.touch(f, k, now));
  REQUIRE(ui.touch(f, "choice.next", now));
  REQUIRE(kiosk_test::pin_checked(f, ui, now));
  REQUIRE(f.screen() == Screen::StaffMenu);
  CHECK(f.staff_unlocked());
  REQUIRE(ui.touch(f, "choice.staff.devices", now));
  CHECK(f.screen() == Screen::StaffInfo);
  const std::string text = ui.last().all_text();
  CHECK(text.find(assets.translations.text("nb", "ui.staff.printer-ready")) != std::string::npos);
  // Inactivity locks staff mode.
  ui.look(f, now + 10min);
  CHECK(f.screen() == Screen::Start);
  CHECK(!f.staff_unlocked());
  bool audited = false;
  for (const auto& line : services.log) audited = audited || line == "audit: staff mode unlocked";
  CHECK(audited);
}

TEST_CASE("help: phone number from the configuration and a short help code, logged without personal data") {
  flow::FlowOptions options;
  options.help_phone = "22 22 22 22";
  Started s(options);
  REQUIRE(s.ui.touch(*s.flow, "nav.help", s.now));
  REQUIRE(s.flow->screen() == Screen::Help);
  const std::string text = s.ui.last().all_text();
  CHECK(text.find("22 22 22 22") != std::string::npos);
  const std::string code = s.flow->session().help_code;
  CHECK(code.size() == 4);
  CHECK(text.find(code) != std::string::npos);
  bool logged = false;
  for (const auto& line : s.services.log) {
    if (line.find(code) != std::string::npos) logged = true;
    CHECK(line.find(s.represented) == std::string::npos);
    CHECK(line.find(s.representative) == std::string::npos);
  }
  CHECK(logged);
  REQUIRE(s.ui.touch(*s.flow, "nav.back", s.now));
  CHECK(s.flow->screen() == Screen::Question);
}

TEST_CASE("bigger text and high contrast are reachable from every screen and change the screen") {
  Started s;
  s.ui.look(*s.flow, s.now);
  const float before = s.ui.last().find("title")->font_px;
  const auto bg_before = s.ui.last().find("nav.back")->bg;
  REQUIRE(s.ui.touch(*s.flow, "nav.bigger-text", s.now));
  REQUIRE(s.ui.touch(*s.flow, "nav.contrast", s.now));
  CHECK(s.ui.last().find("title")->font_px > before);
  CHECK(s.ui.last().find("nav.back")->bg != bg_before);
  CHECK(s.flow->screen() == Screen::Question);
}

TEST_CASE("read aloud speaks the screen's text in the chosen language") {
  struct Recorder : flow::Speaker {
    std::string text, lang;
    int stops = 0;
    void speak(const std::string& t, const std::string& l) override {
      text = t;
      lang = l;
    }
    void stop() override { ++stops; }
  };
  const auto& assets = kiosk_test::Assets::get();
  auto speaker = std::make_shared<Recorder>();
  flow::Services services;
  services.speaker = speaker;
  const auto now = Clock::now();
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, {}, services, now);
  ui::HeadlessUi ui;
  REQUIRE(ui.touch(f, "choice.language.nn", now));
  REQUIRE(ui.touch(f, "nav.read-aloud", now));
  CHECK(speaker->lang == "nn");
  CHECK(speaker->text.find(assets.translations.text("nn", "ui.task.title")) == 0);
  const int stops = speaker->stops;
  REQUIRE(ui.touch(f, "nav.help", now));
  CHECK(speaker->stops > stops);  // a new screen stops the reading
}

namespace {

// Staff mode unlocked with PIN 2580 on the real screens (headless).
void unlock_staff(flow::Flow& f, ui::HeadlessUi& ui, Clock::time_point now) {
  REQUIRE(ui.touch(f, "staff.open", now));
  for (const char* k : {"key.2", "key.5", "key.8", "key.0"}) REQUIRE(ui.touch(f, k, now));
  REQUIRE(ui.touch(f, "choice.next", now));
  REQUIRE(kiosk_test::pin_checked(f, ui, now));
  REQUIRE(f.screen() == Screen::StaffMenu);
}

bool logged(const std::vector<std::string>& log, const std::string& line) {
  return std::find(log.begin(), log.end(), line) != log.end();
}

}  // namespace

TEST_CASE(
    "staff review at the desk: the crop beside the value, accept, correct and reject are audited, sent as assisted") {
  const auto& assets = kiosk_test::Assets::get();
  kiosk_test::Services services;
  flow::FlowOptions options;
  options.staff_pin_hash = flow::StaffLock::hash_pin("2580", true);
  auto now = Clock::now();
  const auto& form = assets.catalogue.forms().front();
  const auto answers = forms::make_example_answers(form, 11);
  services.scanner->result = ui::ScriptedScanner::read_back(form, answers, true);
  REQUIRE(services.scanner->result.fields.size() >= 2);
  // Two uncertain values, each with the area of the sheet it was read from.
  for (size_t i = 0; i < 2; ++i) {
    auto& field = services.scanner->result.fields[i];
    field.needs_review = true;
    field.crop_width = 4;
    field.crop_height = 2;
    field.crop_grey = {0, 255, 0, 255, 255, 0, 255, 0};
  }
  const std::string first = services.scanner->result.fields[0].link_id;
  const std::string second = services.scanner->result.fields[1].link_id;
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, services.make(), now);
  ui::HeadlessUi ui;
  unlock_staff(f, ui, now);
  REQUIRE(ui.touch(f, "choice.staff.review", now));
  REQUIRE(ui.touch(f, "choice.staff.scan-desk", now));
  REQUIRE(f.screen() == Screen::Scan);
  REQUIRE(ui.touch(f, "choice.scan", now));
  ui.look(f, now);
  ui.look(f, now);
  // Kept in the review queue first (it survives a restart there), then opened from it.
  REQUIRE(f.screen() == Screen::StaffQueue);
  REQUIRE(services.outbox->held.size() == 1);
  REQUIRE(ui.touch(f, "row.held.0", now));  // picked from the list of waiting sheets
  REQUIRE(ui.touch(f, "choice.staff.open-held", now));
  ui.look(f, now);
  REQUIRE(f.screen() == Screen::Review);
  const auto* crop = ui.last().find("crop");
  REQUIRE(crop);
  CHECK(crop->w > 0);
  CHECK(ui.last().find("choice.staff.reject"));
  REQUIRE(ui.touch(f, "choice.staff.reject", now));
  CHECK(logged(services.log, "audit: staff rejected the value read for " + first));
  CHECK(!f.session().answers.has(first));
  REQUIRE(ui.touch(f, "choice.correct", now));  // "Accept"
  CHECK(logged(services.log, "audit: staff accepted the value read for " + second));
  // Whatever else was read needs no review; the sheet can go.
  while (f.screen() == Screen::Review && ui.touch(f, "choice.correct", now)) {
  }
  REQUIRE(ui.touch(f, "choice.send", now));
  ui.look(f, now);
  REQUIRE(services.outbox->submissions.size() == 1);
  CHECK(services.outbox->submissions[0].assisted_by.rfind("staff-", 0) == 0);
  CHECK(services.outbox->submissions[0].representation.assisted_by_staff);
  CHECK(services.outbox->held.empty());
}

TEST_CASE("staff fill in for a citizen at the desk: staff mode locks, the submission is marked assisted") {
  const auto& assets = kiosk_test::Assets::get();
  kiosk_test::Services services;
  flow::FlowOptions options;
  options.staff_pin_hash = flow::StaffLock::hash_pin("2580", true);
  auto now = Clock::now();
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, services.make(), now);
  ui::HeadlessUi ui;
  unlock_staff(f, ui, now);
  REQUIRE(ui.touch(f, "choice.staff.assist", now));
  CHECK(f.screen() == Screen::Task);
  CHECK(!f.staff_unlocked());
  CHECK(f.session().assisted_by.rfind("staff-", 0) == 0);
  CHECK(logged(services.log, "audit: staff action assist"));
  // The wipe at the end of the session forgets it.
  ui.look(f, now + 10min);
  CHECK(f.session().assisted_by.empty());
}

TEST_CASE("staff queue with an outbox that is not built in: the screen says so") {
  const auto& assets = kiosk_test::Assets::get();
  kiosk_test::Services services;
  flow::FlowOptions options;
  options.staff_pin_hash = flow::StaffLock::hash_pin("2580", true);
  auto now = Clock::now();
  auto wired = services.make();
  wired.outbox = std::make_shared<flow::UnavailableOutbox>();
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, wired, now);
  ui::HeadlessUi ui;
  unlock_staff(f, ui, now);
  REQUIRE(ui.touch(f, "choice.staff.queue", now));
  ui.look(f, now);
  REQUIRE(f.screen() == Screen::StaffQueue);
  CHECK(ui.last().find("error"));
  CHECK(ui.last().all_text().find(assets.translations.text("nb", "ui.staff.queue-unavailable")) != std::string::npos);
}
