// The stored review queue through the real screens (headless) with the scripted outbox:
// a citizen leaves a sheet for staff, staff open it from the review queue and accept,
// correct or reject it; multi-page forms are asked for page by page; every staff action is
// handed to the outbox's audit (the real store's audit table is tested in test_services.cpp).
#include <doctest/doctest.h>

#include <algorithm>

#include "kiosk_test_support.hpp"
#include "kiosk_ui/headless.hpp"

using namespace kiosk;
using flow::Clock;
using flow::Screen;
using namespace std::chrono_literals;

namespace {

struct Desk : kiosk_test::HeadlessKiosk {
  const forms::Questionnaire& form = assets.catalogue.forms().front();
  forms::Answers answers = forms::make_example_answers(form, 21);

  Desk() {
    options.staff_pin_hash = flow::StaffLock::hash_pin("2580", true);
    options.staff_lockout_failures = 3;
    flow = std::make_unique<flow::Flow>(assets.catalogue, assets.translations, assets.rules, options, services.make(),
                                        now);
    // A sheet filled in for oneself, as the person also says on the screen ("for me").
    forms::answer_representation_items(form, forms::WhoAnswers{}, answers);
    for (const auto* item : form.all_items())
      if (!forms::is_enabled(*item, answers)) answers.clear(item->link_id);
    services.scanner->result = ui::ScriptedScanner::read_back(form, answers, true);
    auto& first = services.scanner->result.fields.front();
    first.crop_width = 4;
    first.crop_height = 2;
    first.crop_grey = {0, 255, 0, 255, 255, 0, 255, 0};
  }
  void touch(const std::string& id) {
    INFO("screen " << flow::screen_name(flow->screen()) << ", widget " << id);
    REQUIRE(ui.touch(*flow, id, now));
  }
  void frames(int n = 3) {
    for (int i = 0; i < n; ++i) ui.look(*flow, now);
  }
  void unlock() {
    touch("staff.open");
    for (const char* k : {"key.2", "key.5", "key.8", "key.0"}) touch(k);
    touch("choice.next");
    REQUIRE(kiosk_test::pin_checked(*flow, ui, now));
    REQUIRE(flow->screen() == Screen::StaffMenu);
  }
  // A citizen sends in a form filled at home and leaves the uncertain value for staff.
  std::string citizen_leaves_sheet() {
    touch("choice.language.nb");
    flow->apply(flow::intent::SendFilledForm{}, now);  // on the task screen's later page
    touch("choice.self");
    REQUIRE(flow->screen() == Screen::Scan);
    touch("choice.scan");
    frames();
    REQUIRE(flow->screen() == Screen::Review);
    REQUIRE(ui.last().find("choice.leave-for-staff"));
    touch("choice.leave-for-staff");
    frames();
    REQUIRE(flow->screen() == Screen::Receipt);
    const std::string reference = flow->session().held_reference;
    CHECK(reference.rfind("RV-", 0) == 0);
    CHECK(ui.last().all_text().find(reference) != std::string::npos);
    CHECK(ui.last().all_text().find(assets.translations.text("nb", "ui.held.title")) != std::string::npos);
    touch("choice.finish");
    REQUIRE(flow->screen() == Screen::Start);
    return reference;
  }
  bool audited(const std::string& action, const std::string& reference = "") const {
    return std::any_of(services.outbox->audits.begin(), services.outbox->audits.end(), [&](const auto& a) {
      return a.action == action && (reference.empty() || a.reference == reference);
    });
  }
};

}  // namespace

TEST_CASE("review queue: a sheet the citizen left is held, then staff accept it and it is sent as assisted") {
  Desk d;
  const std::string reference = d.citizen_leaves_sheet();
  REQUIRE(d.services.outbox->held.size() == 1);
  CHECK(d.services.outbox->submissions.empty());  // held, not sent
  CHECK(d.services.outbox->held[0].hold_source == "kiosk");
  CHECK(d.services.outbox->held[0].read_fields.front().needs_review);
  CHECK(d.flow->session().read_fields.empty());  // the next person sees nothing of it

  d.unlock();
  const std::string actor = d.flow->staff_actor();
  CHECK(actor.rfind("staff-", 0) == 0);
  d.touch("choice.staff.review");
  d.frames();
  REQUIRE(d.flow->screen() == Screen::StaffQueue);
  // The list: one row per waiting sheet (form, when, values to check); picked, it shows its reference.
  const auto* row = d.ui.last().find("row.held.0");
  REQUIRE(row);
  CHECK(row->text.find(d.form.title.get("nb")) != std::string::npos);
  CHECK(row->text.find("1 å sjekke") != std::string::npos);
  CHECK(!d.ui.last().find("choice.staff.open-held"));
  d.touch("row.held.0");
  CHECK(d.ui.last().all_text().find(reference) != std::string::npos);
  d.touch("choice.staff.open-held");
  d.frames();
  REQUIRE(d.flow->screen() == Screen::Review);
  const auto* crop = d.ui.last().find("crop");
  REQUIRE(crop);  // the area of the sheet beside the value read
  CHECK(crop->w > 0);
  d.touch("choice.correct");  // accept
  while (d.flow->screen() == Screen::Review && d.ui.touch(*d.flow, "choice.correct", d.now)) {
  }
  d.touch("choice.send");
  d.frames();
  REQUIRE(d.flow->screen() == Screen::Receipt);
  REQUIRE(d.services.outbox->submissions.size() == 1);
  const auto& sent = d.services.outbox->submissions[0];
  CHECK(sent.held_reference == reference);  // the outbox deletes the held copy
  CHECK(sent.assisted_by == actor);
  CHECK(sent.representation.assisted_by_staff);
  CHECK(d.services.outbox->held.empty());
  CHECK(d.audited("staff-sign-in"));
  CHECK(d.audited("review-accept", reference));
  d.touch("choice.finish");
  CHECK(d.audited("staff-sign-out"));
  for (const auto& a : d.services.outbox->audits)
    CHECK(a.actor == (a.action == "staff-wrong-pin" ? "staff-pin" : actor));
}

TEST_CASE("review queue: staff correct a value, or reject a whole sheet (discarded, nothing sent)") {
  Desk d;
  const std::string first = d.citizen_leaves_sheet();
  const std::string second = d.citizen_leaves_sheet();
  REQUIRE(d.services.outbox->held.size() == 2);
  d.unlock();
  d.touch("choice.staff.review");
  d.frames();
  CHECK(d.ui.last().find("row.held.0"));
  CHECK(d.ui.last().find("row.held.1"));
  d.touch("row.held.0");
  d.touch("choice.staff.reject-held");  // the first one
  d.frames();
  REQUIRE(d.services.outbox->held.size() == 1);
  CHECK(d.services.outbox->held[0].held_reference == second);
  CHECK(d.services.outbox->submissions.empty());
  // Back on the list, which now holds the second only: correct its uncertain value on the keyboard.
  REQUIRE(d.ui.last().find("row.held.0"));
  CHECK(!d.ui.last().find("row.held.1"));
  d.touch("row.held.0");
  d.touch("choice.staff.open-held");
  d.frames();
  REQUIRE(d.flow->screen() == Screen::Review);
  d.touch("choice.wrong");
  REQUIRE(d.flow->screen() == Screen::Correct);
  // The value is typed again, or chosen (yes/no, an option), as the item asks.
  std::string answer;
  for (const auto& w : d.ui.last().widgets)
    if (answer.empty() && (w.id == "choice.next" || w.id == "choice.yes" || w.id.rfind("choice.option.", 0) == 0))
      answer = w.id;
  REQUIRE(!answer.empty());
  d.touch(answer);
  REQUIRE(d.flow->screen() == Screen::Review);
  while (d.flow->screen() == Screen::Review && d.ui.touch(*d.flow, "choice.correct", d.now)) {
  }
  d.touch("choice.send");
  d.frames();
  CHECK(d.services.outbox->submissions.size() == 1);
  CHECK(d.services.outbox->held.empty());
  CHECK(d.audited("review-correct", second));
  (void)first;
}

TEST_CASE("review queue: a sheet scanned at the desk joins the queue, staff reject a value beside its crop") {
  Desk d;
  d.unlock();
  d.touch("choice.staff.review");
  d.frames();
  CHECK(d.ui.last().all_text().find(d.assets.translations.text("nb", "ui.staff.review-empty")) != std::string::npos);
  d.touch("choice.staff.scan-desk");
  REQUIRE(d.flow->screen() == Screen::Scan);
  d.touch("choice.scan");
  d.frames(4);
  REQUIRE(d.flow->screen() == Screen::StaffQueue);
  REQUIRE(d.services.outbox->held.size() == 1);
  CHECK(d.services.outbox->held[0].hold_source == "desk");
  const std::string reference = d.services.outbox->held[0].held_reference;
  d.touch("row.held.0");
  d.touch("choice.staff.open-held");
  d.frames();
  REQUIRE(d.flow->screen() == Screen::Review);
  const std::string link = d.flow->session().read_fields[d.flow->session().review_queue.front()].link_id;
  d.touch("choice.staff.reject");
  CHECK(!d.flow->session().answers.has(link));
  CHECK(d.audited("review-reject", reference));
}

TEST_CASE("review queue: staff pick from a list of the waiting sheets, a few at a time, with no personal data") {
  Desk d;
  std::vector<std::string> references;
  for (int i = 0; i < 4; ++i) references.push_back(d.citizen_leaves_sheet());
  d.unlock();
  d.touch("choice.staff.review");
  d.frames();
  REQUIRE(d.flow->screen() == Screen::StaffQueue);
  // The first three, oldest first; each row names the form, when and how many values to check.
  for (int k = 0; k < 3; ++k) {
    const auto* row = d.ui.last().find("row.held." + std::to_string(k));
    REQUIRE(row);
    CHECK(row->text.find(d.form.title.get("nb")) != std::string::npos);
  }
  CHECK(!d.ui.last().find("row.held.3"));
  CHECK(d.ui.last().with_role(ui::Role::Choice).size() <= 4);
  // Nothing personal in the list: no identity number, no answer, no reference.
  const std::string listed = d.ui.last().all_text();
  for (const auto& [link, values] : d.answers.values)
    for (const auto& v : values)
      if (v.text.size() >= 6) CHECK_MESSAGE(listed.find(v.text) == std::string::npos, link);
  for (const auto& r : references) CHECK(listed.find(r) == std::string::npos);
  d.touch("choice.staff.more-held");
  REQUIRE(d.ui.last().find("row.held.3"));
  CHECK(!d.ui.last().find("row.held.0"));
  // The fourth is picked, looked at, and staff go back to the list without deciding.
  d.touch("row.held.3");
  CHECK(d.ui.last().all_text().find(references[3]) != std::string::npos);
  d.touch("choice.staff.held-list");
  CHECK(d.ui.last().find("row.held.3"));
  d.touch("row.held.3");
  d.touch("choice.staff.open-held");
  d.frames();
  REQUIRE(d.flow->screen() == Screen::Review);
  CHECK(d.flow->session().held_reference == references[3]);
}

// Queue actions (reprint, cancel) are audited by the real outbox in the store: test_services.cpp
// "services: the real outbox commits ... (audited)".
TEST_CASE("staff audit: wrong PINs, the lock-out and fill-in on behalf go to the audit") {
  Desk d;
  d.touch("staff.open");
  for (int attempt = 0; attempt < 3; ++attempt) {
    for (const char* k : {"key.1", "key.1", "key.1", "key.1"}) d.touch(k);
    d.touch("choice.next");
    REQUIRE(kiosk_test::pin_checked(*d.flow, d.ui, d.now));
  }
  for (const char* k : {"key.1", "key.1", "key.1", "key.1"}) d.touch(k);
  d.touch("choice.next");
  REQUIRE(kiosk_test::pin_checked(*d.flow, d.ui, d.now));
  CHECK(d.audited("staff-wrong-pin"));
  CHECK(d.audited("staff-lock-out"));
  for (const auto& a : d.services.outbox->audits) {
    CHECK(a.actor == "staff-pin");
    CHECK(a.reference.find("1111") == std::string::npos);
  }
  d.ui.look(*d.flow, d.now + 10min);  // lock-out over, the session wiped
  d.now += 10min;
  d.unlock();
  d.touch("choice.staff.assist");
  CHECK(d.audited("assist-start"));
  CHECK(d.flow->session().assisted_by == d.flow->staff_actor());
}

TEST_CASE("multi-page form: the kiosk asks for page 2, says a page was scanned twice, and sends both pages") {
  Desk d;
  auto first = d.services.scanner->result;
  first.page_count = 2;
  first.pages_found = {1};
  first.pages = {"/nonexistent/page-1.png"};
  flow::ScanResult second;
  second.form_id = d.form.id;
  second.page_count = 2;
  second.pages_found = {2};
  second.pages = {"/nonexistent/page-2.png"};
  second.signature_found = true;
  d.services.scanner->sequence = {first, first, second};
  d.touch("choice.language.nb");
  d.flow->apply(flow::intent::SendFilledForm{}, d.now);
  d.touch("choice.self");
  d.touch("choice.scan");
  d.frames();
  REQUIRE(d.flow->screen() == Screen::Scan);
  const auto& t = d.assets.translations;
  std::string ask = t.text("nb", "ui.scan.next-page");
  ask.replace(ask.find("{n}"), 3, "2");
  CHECK(d.ui.last().find("title")->text == ask);
  CHECK(d.flow->missing_pages() == std::vector<int>{2});
  d.touch("choice.scan");  // page 1 again
  d.frames();
  REQUIRE(d.flow->screen() == Screen::Scan);
  std::string twice = t.text("nb", "ui.scan.duplicate");
  twice.replace(twice.find("{pages}"), 7, "1");
  CHECK(d.ui.last().all_text().find(twice) != std::string::npos);
  d.touch("choice.scan");  // page 2
  d.frames();
  REQUIRE(d.flow->screen() == Screen::Review);
  CHECK(d.flow->session().pages.size() == 2);
  // The second scan asked for the submission the first page named.
  REQUIRE(d.services.scanner->requests.size() == 3);
  CHECK(d.services.scanner->requests[2].expected_form_id == d.form.id);
  while (d.flow->screen() == Screen::Review && d.ui.touch(*d.flow, "choice.correct", d.now)) {
  }
  d.touch("choice.send");
  d.frames();
  REQUIRE(d.services.outbox->submissions.size() == 1);
  CHECK(d.services.outbox->submissions[0].pages.size() == 2);
}

TEST_CASE("review queue: a sheet whose QR key this kiosk does not know is held with that reason, never sent") {
  Desk d;
  d.services.scanner->result.key_problem = "qr-unknown-key";  // as LibraryScanner reports it
  d.touch("choice.language.nb");
  d.flow->apply(flow::intent::SendFilledForm{}, d.now);
  d.touch("choice.self");
  REQUIRE(d.flow->screen() == Screen::Scan);
  d.touch("choice.scan");
  d.frames();
  // Straight to staff: no review by the citizen, nothing sent, a plain reason on the screen.
  REQUIRE(d.flow->screen() == Screen::Receipt);
  CHECK(d.services.outbox->submissions.empty());
  REQUIRE(d.services.outbox->held.size() == 1);
  CHECK(d.services.outbox->held[0].hold_source == "qr-unknown-key");
  CHECK(d.ui.last().all_text().find(d.assets.translations.text("nb", "ui.held.body.key")) != std::string::npos);
  const std::string reference = d.flow->session().held_reference;
  CHECK(reference.rfind("RV-", 0) == 0);
  d.touch("choice.finish");
  CHECK(d.flow->session().key_problem.empty());  // wiped with the session

  // Staff see why it waits.
  d.unlock();
  d.touch("choice.staff.review");
  d.frames();
  REQUIRE(d.flow->screen() == Screen::StaffQueue);
  d.touch("row.held.0");
  CHECK(d.ui.last().all_text().find(d.assets.translations.text("nb", "ui.staff.held.source.qr-unknown-key")) !=
        std::string::npos);
}
