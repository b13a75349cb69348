// Staff mode's own room (kiosk_flow/staff_desk.hpp) on its own: sign-in with the shared PIN and
// with a member's number and PIN (the real Argon2id check on the desk's worker), lock-outs, the
// queue view; and the held sheets picked, refused and accepted through the typed staff intents.
// An outbox that records what the desk asks stands in for the store (the real one is tested in
// test_services.cpp and test_staff_members.cpp).
#include <doctest/doctest.h>

#include <functional>
#include <map>
#include <thread>

#include "kiosk_flow/flow.hpp"
#include "kiosk_flow/staff_desk.hpp"
#include "kiosk_test_support.hpp"

using namespace kiosk;
using flow::Clock;
using flow::Screen;
using Kind = flow::StaffRequest::Kind;
using namespace std::chrono_literals;

namespace {

// Answers staff requests from its lists at once, and records every request, audit and commit.
class RecordingOutbox final : public flow::OutboxService {
 public:
  std::vector<flow::QueueEntry> entries;
  std::vector<flow::HeldSheetInfo> held;
  std::map<std::string, flow::Submission> sheets;  // the held sheets' contents, by reference
  std::vector<flow::StaffRequest> requests;
  std::vector<flow::Submission> committed;
  struct Audit {
    std::string actor, action, reference;
  };
  std::vector<Audit> audits;

  bool available() const override { return true; }
  void commit(flow::Submission submission) override {
    committed.push_back(std::move(submission));
    sent_ = true;
  }
  std::optional<flow::OutboxResult> poll() override {
    if (!sent_) return std::nullopt;
    sent_ = false;
    flow::OutboxResult r;
    r.outcome = flow::Outcome::Done;
    r.reference = "HK-" + std::to_string(committed.size());
    r.queued = true;
    return r;
  }
  void staff(flow::StaffRequest request) override {
    flow::StaffResult r;
    r.outcome = flow::Outcome::Done;
    r.detail = "recorded";
    if (request.kind == Kind::RejectHeld)
      std::erase_if(held, [&](const flow::HeldSheetInfo& h) { return h.reference == request.reference; });
    if (request.kind == Kind::OpenHeld && sheets.count(request.reference)) r.opened = sheets.at(request.reference);
    r.entries = entries;
    r.held = held;
    requests.push_back(std::move(request));
    answer_ = std::move(r);
  }
  std::optional<flow::StaffResult> poll_staff() override {
    auto r = std::move(answer_);
    answer_.reset();
    return r;
  }
  void audit(const std::string& actor, const std::string& action, const std::string& reference) override {
    audits.push_back({actor, action, reference});
  }
  bool audited(const std::string& actor, const std::string& action) const {
    for (const auto& a : audits)
      if (a.actor == actor && a.action == action) return true;
    return false;
  }

 private:
  bool sent_ = false;
  std::optional<flow::StaffResult> answer_;
};

// A desk with a shared PIN (may be empty) and members kept in memory; lock-outs last a minute.
struct Desk {
  std::shared_ptr<flow::MemoryStaffDirectory> directory = std::make_shared<flow::MemoryStaffDirectory>();
  std::shared_ptr<RecordingOutbox> outbox = std::make_shared<RecordingOutbox>();
  std::vector<std::string> log;
  flow::StaffDesk desk;
  Clock::time_point now = Clock::now();

  Desk(const std::string& shared_pin_hash, int max_failures)
      : desk(std::make_shared<flow::StaffLock>(shared_pin_hash, max_failures, 60s), directory, outbox,
             [this](const std::string& line) { log.push_back(line); }) {}

  // The number step: a member's staff number typed and "Next".
  void number(std::string typed) {
    REQUIRE(desk.asks_number());
    REQUIRE(desk.next(typed, now).empty());
  }
  // A PIN typed and "Next": the answer of the check on the desk's worker.
  flow::StaffDesk::SignInStep pin(std::string typed) {
    REQUIRE(desk.next(typed, now).empty());
    CHECK(typed.empty());  // taken and wiped
    REQUIRE(desk.checking());
    for (int i = 0; i < 5000; ++i) {
      if (auto step = desk.collect_sign_in()) {
        CHECK(!desk.checking());
        return *step;
      }
      std::this_thread::sleep_for(2ms);
    }
    FAIL("the PIN check never answered");
    return {};
  }
};

// A signed-in desk (shared PIN) whose outbox has queue entries.
struct SignedInDesk : Desk {
  SignedInDesk() : Desk(flow::StaffLock::hash_pin("4321", true), 5) {
    desk.open();
    REQUIRE(pin("4321").signed_in);
  }
};

}  // namespace

TEST_CASE("staff desk: the shared PIN signs in, wrong PINs are refused and audited and lock staff mode out") {
  Desk d(flow::StaffLock::hash_pin("4321", true), 3);
  d.desk.open();
  CHECK(!d.desk.members());
  CHECK(!d.desk.asks_number());
  CHECK(d.desk.max_typed() == 12);

  auto step = d.pin("1111");
  CHECK(!step.signed_in);
  CHECK(step.error_key == "ui.staff.wrong-pin");
  CHECK(!d.desk.unlocked());
  CHECK(d.outbox->audited("staff-pin", "staff-wrong-pin"));
  CHECK(d.pin("2222").error_key == "ui.staff.wrong-pin");
  // The third wrong PIN in a row locks staff mode: even the right PIN does not open it then.
  CHECK(d.pin("3333").error_key == "ui.staff.locked-out");
  CHECK(d.outbox->audited("staff-pin", "staff-lock-out"));
  step = d.pin("4321");
  CHECK(!step.signed_in);
  CHECK(step.error_key == "ui.staff.locked-out");
  CHECK(!d.desk.unlocked());

  // After the lock-out the right PIN opens; the audit names this staff session (one PIN is shared).
  d.now += 61s;
  step = d.pin("4321");
  CHECK(step.signed_in);
  CHECK(step.error_key.empty());
  CHECK(d.desk.unlocked());
  const std::string actor = d.desk.actor();
  CHECK(actor.rfind("staff-", 0) == 0);
  CHECK(actor.size() == 12);
  CHECK(actor.find_first_not_of("0123456789abcdef", 6) == std::string::npos);
  CHECK(d.outbox->audited(actor, "staff-sign-in"));
  for (const auto& line : d.log) CHECK(line.find("4321") == std::string::npos);

  // Signing out is audited and forgets who was signed in.
  d.desk.wipe();
  CHECK(!d.desk.unlocked());
  CHECK(d.desk.actor().empty());
  CHECK(d.outbox->audited(actor, "staff-sign-out"));
}

TEST_CASE(
    "staff desk: a member signs in with number and PIN, a bad number is refused, a lock-out asks the number again") {
  Desk d("", 2);
  d.directory->members.push_back({"1001", "Kari Nordmann", flow::StaffLock::hash_pin("2468", true)});
  d.desk.open();
  REQUIRE(d.desk.members());
  CHECK(d.desk.asks_number());
  CHECK(d.desk.max_typed() == 8);

  std::string typed = "10a1";
  CHECK(d.desk.next(typed, d.now) == "ui.staff.number-invalid");
  CHECK(typed.empty());
  CHECK(d.desk.asks_number());
  CHECK(!d.desk.checking());
  d.number("1001");
  CHECK(!d.desk.asks_number());
  CHECK(d.desk.number() == "1001");
  // Back on the PIN step goes to the number step, once.
  CHECK(d.desk.back_to_number());
  CHECK(d.desk.asks_number());
  CHECK(!d.desk.back_to_number());

  d.number("1001");
  auto step = d.pin("1111");
  CHECK(step.error_key == "ui.staff.wrong-number-or-pin");
  CHECK(d.outbox->audited("1001", "staff-wrong-pin"));
  CHECK(!d.desk.asks_number());  // the number is kept while the PIN is asked again
  step = d.pin("1112");
  CHECK(step.error_key == "ui.staff.locked-out");
  CHECK(d.outbox->audited("1001", "staff-lock-out"));
  CHECK(d.desk.asks_number());
  // Locked: the right PIN does not open until the lock-out has passed.
  d.number("1001");
  CHECK(d.pin("2468").error_key == "ui.staff.locked-out");
  CHECK(!d.desk.unlocked());

  d.now += 61s;
  d.number("1001");
  step = d.pin("2468");
  CHECK(step.signed_in);
  CHECK(d.desk.unlocked());
  CHECK(d.desk.actor() == "1001");
  CHECK(d.desk.name() == "Kari Nordmann");
  CHECK(d.outbox->audited("1001", "staff-sign-in"));
}

TEST_CASE("staff desk: the queue view lists the outbox and retry or cancel name the entry shown") {
  SignedInDesk d;
  d.outbox->entries = {{"HK-1", "bytte-fastlege", "queued", 0, ""},
                       {"HK-2", "bytte-fastlege", "parked", 3, "broker down"}};
  d.desk.show_queue();
  CHECK(d.desk.busy());
  CHECK(!d.desk.held_view());
  REQUIRE(d.outbox->requests.size() == 1);
  CHECK(d.outbox->requests[0].kind == Kind::List);
  CHECK(d.outbox->requests[0].actor == d.desk.actor());
  CHECK(!d.desk.collect_answer());  // a list opens no sheet
  CHECK(!d.desk.busy());
  REQUIRE(d.desk.shown_entry());
  CHECK(d.desk.shown_entry()->reference == "HK-1");

  d.desk.next_entry();
  REQUIRE(d.desk.shown_entry());
  CHECK(d.desk.shown_entry()->reference == "HK-2");
  d.desk.request(Kind::Retry);
  CHECK(d.outbox->requests.back().kind == Kind::Retry);
  CHECK(d.outbox->requests.back().reference == "HK-2");
  d.desk.collect_answer();
  d.desk.next_entry();  // from the last entry back to the first
  CHECK(d.desk.shown_entry()->reference == "HK-1");
  d.desk.request(Kind::Cancel);
  CHECK(d.outbox->requests.back().kind == Kind::Cancel);
  CHECK(d.outbox->requests.back().reference == "HK-1");
  d.desk.collect_answer();

  // An answer that comes after staff mode was left is dropped.
  d.desk.show_queue();
  d.desk.wipe();
  d.desk.collect_answer();
  CHECK(!d.desk.result());
  CHECK(!d.desk.shown_entry());
}

TEST_CASE("staff desk: a held sheet is picked by its reference, refused or accepted through the typed staff intents") {
  const auto& assets = kiosk_test::Assets::get();
  // A free-text question of a real form (its value is kept as read when accepted).
  const forms::Questionnaire* form = nullptr;
  const forms::Item* item = nullptr;
  std::function<void(const forms::Questionnaire&, const std::vector<forms::Item>&)> find_text =
      [&](const forms::Questionnaire& q, const std::vector<forms::Item>& items) {
        for (const auto& i : items) {
          if (!item && i.type == forms::ItemType::String && i.input_kind == forms::InputKind::Free && !i.repeats)
            form = &q, item = &i;
          find_text(q, i.items);
        }
      };
  for (const auto& q : assets.catalogue.forms()) find_text(q, q.items);
  REQUIRE(item);

  auto outbox = std::make_shared<RecordingOutbox>();
  outbox->held = {{"RV-1", form->id, "kiosk", "2026-11-25T12:00:00Z", 1}, {"RV-2", form->id, "desk", "", 0}};
  flow::Submission sheet;
  sheet.form_id = form->id;
  sheet.held_reference = "RV-1";
  sheet.signature_found = true;
  flow::ReadField uncertain;
  uncertain.link_id = item->link_id;
  uncertain.value = "Storgata 1";
  uncertain.confidence = 0.4;
  uncertain.needs_review = true;
  sheet.read_fields.push_back(std::move(uncertain));
  outbox->sheets["RV-1"] = sheet;

  kiosk_test::Services scripted;
  auto services = scripted.make();
  services.outbox = outbox;
  flow::FlowOptions options;
  options.staff_pin_hash = flow::StaffLock::hash_pin("4321", true);
  auto now = Clock::now();
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, services, now);
  namespace st = flow::intent::staff;
  auto staff = [&](flow::StaffIntent what) {
    f.apply(flow::intent::StaffAction{std::move(what)}, now);
    f.tick(now);
  };
  auto has_choice = [&](const std::string& id) {
    const auto m = f.screen_model();
    return std::any_of(m.choices.begin(), m.choices.end(), [&](const flow::Choice& c) { return c.id == id; });
  };

  // Staff intents do nothing before sign-in.
  staff(st::ShowHeld{});
  CHECK(outbox->requests.empty());
  f.apply(flow::intent::OpenStaff{}, now);
  for (char c : std::string("4321")) f.apply(flow::intent::Key{std::string(1, c)}, now);
  f.apply(flow::intent::Next{}, now);
  for (int i = 0; i < 5000 && f.staff_checking(); ++i) {
    std::this_thread::sleep_for(2ms);
    f.tick(now);
  }
  REQUIRE(f.staff_unlocked());

  staff(st::ShowHeld{});
  REQUIRE(f.screen() == Screen::StaffQueue);
  REQUIRE(outbox->requests.back().kind == Kind::ListHeld);
  CHECK(f.screen_model().rows.size() == 2);

  // A reference no longer in the list picks nothing; the second sheet is picked and refused.
  staff(st::PickHeld{"RV-9"});
  CHECK(!has_choice("choice.staff.open-held"));
  staff(st::PickHeld{"RV-2"});
  CHECK(has_choice("choice.staff.open-held"));
  CHECK(f.screen_model().text_for_reading().find("RV-2") != std::string::npos);
  staff(st::RejectHeld{});
  CHECK(outbox->requests.back().kind == Kind::RejectHeld);
  CHECK(outbox->requests.back().reference == "RV-2");
  CHECK(outbox->requests.back().actor == f.staff_actor());
  // Back to the list, from its start, without the refused sheet.
  CHECK(!has_choice("choice.staff.open-held"));
  CHECK(f.screen_model().rows.size() == 1);

  // The first is picked, opened and its uncertain value accepted: it is sent as assisted.
  staff(st::PickHeld{"RV-1"});
  staff(st::OpenHeld{});
  CHECK(outbox->requests.back().kind == Kind::OpenHeld);
  CHECK(outbox->requests.back().reference == "RV-1");
  REQUIRE(f.screen() == Screen::Review);
  CHECK(f.session().held_reference == "RV-1");
  CHECK(!f.screen_model().citizen_facing);
  f.apply(flow::intent::ConfirmRead{true}, now);
  CHECK(outbox->audited(f.staff_actor(), "review-accept"));
  REQUIRE(has_choice("choice.send"));
  f.apply(flow::intent::SendIn{}, now);
  REQUIRE(outbox->committed.size() == 1);
  const auto& sent = outbox->committed.front();
  CHECK(sent.held_reference == "RV-1");
  CHECK(sent.assisted_by == f.staff_actor());
  REQUIRE(sent.answers.first(item->link_id));
  CHECK(sent.answers.first(item->link_id)->to_display_string() == "Storgata 1");
}
