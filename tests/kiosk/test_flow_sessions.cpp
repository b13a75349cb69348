// Complete citizen sessions, one per representation type, driven through the REAL
// screens by simulated touches (an ImGui context with no window).
#include <doctest/doctest.h>

#include <algorithm>

#include "kiosk_test_support.hpp"
#include "kiosk_ui/headless.hpp"

using namespace kiosk;
using flow::Clock;
using flow::Screen;

namespace {

struct Walk : kiosk_test::HeadlessKiosk {
  explicit Walk(const forms::Catalogue& catalogue) {
    flow = std::make_unique<flow::Flow>(catalogue, assets.translations, assets.rules, options, services.make(), now);
  }

  void touch(const std::string& id) {
    INFO("screen " << flow::screen_name(flow->screen()) << ", widget " << id);
    REQUIRE(ui.touch(*flow, id, now));
  }
  // Pages through "More choices" until the widget is on screen.
  void touch_paged(const std::string& id) {
    for (int page = 0; page < 4; ++page) {
      ui.look(*flow, now);
      if (ui.last().find(id)) break;
      touch("choice.more");
    }
    touch(id);
  }
  // After "Who is it for?": picks `form` when the task has more than one.
  void pick_form(const std::string& form) {
    if (flow->screen() == Screen::FormChoice) touch_paged("choice.form." + form);
  }
  void type(const std::string& text) {
    for (char c : text) touch(c == ' ' ? "key.space" : std::string("key.") + c);
  }
};

// Answers whatever the question screen asks, as a person would, by touches only.
void answer_questions(Walk& w, const std::string& represented_number) {
  for (int guard = 0; guard < 50 && w.flow->screen() == Screen::Question; ++guard) {
    const auto record = w.ui.look(*w.flow, w.now);
    const auto* form = w.flow->catalogue().find(w.flow->session().form_id);
    REQUIRE(form);
    const auto* item = form->find_item(w.flow->current_link_id());
    REQUIRE(item);
    const std::string before = item->link_id;
    if (record.find("choice.yes")) {
      w.touch("choice.yes");
    } else if (!item->options.empty()) {
      w.touch("choice.option." + item->options.front().code);
    } else if (item->input_kind == forms::InputKind::IdentityNumber) {
      w.type(represented_number);
      w.touch("choice.next");
    } else if (item->input_kind == forms::InputKind::Name) {
      w.type("kari nordmann");
      w.touch("choice.next");
    } else if (item->type == forms::ItemType::Date) {
      w.type("01012000");
      w.touch("choice.next");
    } else if (item->type == forms::ItemType::Integer || item->input_kind == forms::InputKind::Phone) {
      w.type("12345678");
      w.touch("choice.next");
    } else {
      w.type("hei");
      w.touch("choice.next");
    }
    if (w.flow->screen() == Screen::Question && w.flow->current_link_id() == before) {
      FAIL("the answer to " << before << " was not accepted: " << w.flow->screen_model().error);
    }
  }
}

struct TypeCase {
  std::string type;
  forms::CivilDate represented_birth;
};

}  // namespace

TEST_CASE("a complete session for every representation type, driven by touches") {
  const auto& assets = kiosk_test::Assets::get();
  const std::string representative = kiosk_test::synthetic_number({1980, 1, 15});
  const auto today = forms::today_local();
  const std::vector<TypeCase> cases = {
      {"self", {1970, 3, 3}},
      {"parent-under-12", {today.year - 8, 2, 2}},
      {"parent-12-16", {today.year - 14, 2, 2}},
      {"power-of-attorney", {1950, 6, 1}},
      {"power-of-attorney-no-consent-competence", {1950, 6, 1}},
      {"guardian", {1960, 7, 7}},
      {"foster-parent", {today.year - 10, 5, 5}},
      {"neighbour-helper", {1945, 9, 9}},
  };
  REQUIRE(assets.rules.types.size() == cases.size());
  for (const auto& c : cases) {
    SUBCASE(c.type.c_str()) {
      Walk w(assets.all_types);
      const auto& form = assets.all_types.forms().front();
      const std::string represented = kiosk_test::synthetic_number(c.represented_birth);
      REQUIRE(!represented.empty());
      w.touch("choice.language.nb");
      CHECK(w.flow->screen() == Screen::Task);
      w.touch_paged("choice.category." + form.category);
      CHECK(w.flow->screen() == Screen::Who);
      if (c.type == "self") {
        w.touch("choice.self");
      } else {
        w.touch("choice.someone-else");
        CHECK(w.flow->screen() == Screen::WhoKind);
        w.touch_paged("choice.representation." + c.type);
      }
      REQUIRE(w.flow->screen() == Screen::FormIntro);
      w.touch("choice.fill-in");
      if (c.type != "self") {
        REQUIRE(w.flow->screen() == Screen::RepresentativeId);
        w.type(representative);
        w.touch("choice.next");
        REQUIRE(w.flow->screen() == Screen::RepresentedId);
        w.type(represented);
        w.touch("choice.next");
      }
      INFO("refusal: " << (w.flow->screen() == Screen::Refused ? w.flow->screen_model().text_for_reading() : ""));
      REQUIRE(w.flow->screen() == Screen::Question);
      answer_questions(w, represented);
      REQUIRE(w.flow->screen() == Screen::Overview);  // every answer once more, then print
      w.touch("choice.print");
      REQUIRE(w.flow->screen() == Screen::Print);
      w.ui.look(*w.flow, w.now);
      REQUIRE(w.services.printer->requests.size() == 1);
      CHECK(w.services.printer->requests[0].kind == flow::PrintKind::FilledForm);
      CHECK(w.services.printer->requests[0].form_id == form.id);
      CHECK(w.flow->screen_model().picture == flow::Picture::SignHere);
      w.services.scanner->result = ui::ScriptedScanner::read_back(form, w.services.printer->requests[0].answers, true);
      w.touch("choice.next");
      REQUIRE(w.flow->screen() == Screen::Scan);
      w.touch("choice.scan");
      // Evidence the representation needs is scanned as attachments, one sheet each.
      const auto* type = assets.rules.find(c.type);
      REQUIRE(type);
      for (size_t i = 0; i < type->evidence.size(); ++i) {
        REQUIRE(w.flow->screen() == Screen::Scan);
        w.touch("choice.scan");
      }
      REQUIRE(w.flow->screen() == Screen::Review);
      // The uncertain field is asked as yes/no.
      CHECK(w.ui.last().find("choice.correct"));
      w.touch("choice.correct");
      REQUIRE(w.ui.last().find("choice.send"));
      w.touch("choice.send");
      REQUIRE(w.flow->screen() == Screen::Receipt);
      REQUIRE(w.services.outbox->submissions.size() == 1);
      const auto& sent = w.services.outbox->submissions[0];
      CHECK(sent.form_id == form.id);
      CHECK(sent.representation.type == c.type);
      CHECK(sent.representation.represented_id == represented);
      CHECK(sent.representation.representative_id == (c.type == "self" ? "" : representative));
      CHECK(sent.representation.evidence == type->evidence);
      CHECK(sent.representation.manual_processing == !type->digital_route);
      CHECK(forms::validate_answers(form, sent.answers).empty());
      // The receipt is printed and its reference shown.
      REQUIRE(w.services.printer->requests.size() == 2);
      CHECK(w.services.printer->requests[1].kind == flow::PrintKind::Receipt);
      CHECK(w.ui.last().all_text().find(w.services.printer->requests[1].receipt_reference) != std::string::npos);
      w.touch("choice.finish");
      CHECK(w.flow->screen() == Screen::Start);
      const std::string state = w.flow->dump_state();
      CHECK(state.find(represented) == std::string::npos);
      CHECK(state.find(representative) == std::string::npos);
      CHECK(state.find("Kari") == std::string::npos);
    }
  }
}

TEST_CASE("an invalid identity number is explained next to the field") {
  const auto& assets = kiosk_test::Assets::get();
  Walk w(assets.all_types);
  w.touch("choice.language.nn");
  w.touch_paged("choice.category." + assets.all_types.forms().front().category);
  w.touch("choice.someone-else");
  w.touch_paged("choice.representation.power-of-attorney");
  w.touch("choice.fill-in");
  w.type("01018012372");  // wrong check digit
  w.touch("choice.next");
  CHECK(w.flow->screen() == Screen::RepresentativeId);
  const auto* error = w.ui.last().find("error");
  REQUIRE(error);
  CHECK(error->text == assets.translations.text("nn", "identity.error.check-digit"));
  const auto* field = w.ui.last().find("input");
  REQUIRE(field);
  CHECK(error->y > field->y);  // under the field, not somewhere else
  CHECK(error->y - (field->y + field->h) < 120);
}

TEST_CASE("a child too old for the parent type is refused in plain words") {
  const auto& assets = kiosk_test::Assets::get();
  Walk w(assets.all_types);
  w.touch("choice.language.nb");
  w.touch_paged("choice.category." + assets.all_types.forms().front().category);
  w.touch("choice.someone-else");
  w.touch_paged("choice.representation.parent-under-12");
  w.touch("choice.fill-in");
  w.type(kiosk_test::synthetic_number({1980, 1, 15}));
  w.touch("choice.next");
  w.type(kiosk_test::synthetic_number({1990, 1, 1}));  // an adult, not a child under 12
  w.touch("choice.next");
  CHECK(w.flow->screen() == Screen::Refused);
  CHECK(w.ui.last().find("choice.talk"));
  CHECK(w.services.printer->requests.empty());
}

TEST_CASE("Back returns to the previous screen and keeps the typed answer") {
  const auto& assets = kiosk_test::Assets::get();
  Walk w(assets.catalogue);
  const auto& form = assets.catalogue.forms().front();
  w.touch("choice.language.nb");
  w.touch_paged("choice.category." + form.category);
  w.touch("choice.self");
  w.pick_form(form.id);
  w.touch("choice.fill-in");
  REQUIRE(w.flow->screen() == Screen::Question);
  const std::string number = kiosk_test::synthetic_number({1970, 3, 3});
  w.type(number);
  w.touch("choice.next");
  const std::string second = w.flow->current_link_id();
  w.touch("nav.back");
  CHECK(w.flow->screen() == Screen::Question);
  CHECK(w.flow->current_link_id() != second);
  CHECK(w.flow->session().typed == number);
}

TEST_CASE("a blank form is printed without asking any question") {
  const auto& assets = kiosk_test::Assets::get();
  Walk w(assets.catalogue);
  w.touch("choice.language.nb");
  w.touch_paged("choice.category." + assets.catalogue.forms().front().category);
  w.touch("choice.self");
  w.pick_form(assets.catalogue.forms().front().id);
  w.touch("choice.print-blank");
  REQUIRE(w.services.printer->requests.size() == 1);
  CHECK(w.services.printer->requests[0].kind == flow::PrintKind::BlankForm);
  CHECK(w.services.printer->requests[0].answers.values.empty());
  CHECK(w.ui.last().find("choice.finish"));
}

TEST_CASE("unavailable print, scan and outbox are said plainly, never shown as success") {
  const auto& assets = kiosk_test::Assets::get();
  kiosk_test::Services services;
  flow::Services real_missing;  // the shipped defaults: every part unavailable
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, {}, real_missing, Clock::now());
  ui::HeadlessUi ui;
  const auto now = Clock::now();
  REQUIRE(ui.touch(f, "choice.language.nb", now));
  f.apply(flow::intent::ChooseCategory{assets.catalogue.forms().front().category}, now);
  REQUIRE(ui.touch(f, "choice.self", now));
  if (f.screen() == Screen::FormChoice) f.apply(flow::intent::ChooseForm{assets.catalogue.forms().front().id}, now);
  REQUIRE(ui.touch(f, "choice.print-blank", now));
  ui.look(f, now);
  const auto* error = ui.last().find("error");
  REQUIRE(error);
  CHECK(error->text == assets.translations.text("nb", "ui.print.unavailable"));
  CHECK(!ui.last().find("choice.next"));
  CHECK(!ui.last().find("choice.finish"));
  f.apply(flow::intent::SendIn{}, now);
  ui.look(f, now);
  REQUIRE(ui.last().find("error"));
  CHECK(ui.last().find("error")->text == assets.translations.text("nb", "ui.send.unavailable"));
  CHECK(f.screen() == Screen::Send);

  // A filled-in sheet brought to the kiosk: the scan is tried, and the missing scanner said plainly.
  flow::Flow g(assets.catalogue, assets.translations, assets.rules, {}, real_missing, Clock::now());
  ui::HeadlessUi scan_ui;
  REQUIRE(scan_ui.touch(g, "choice.language.nb", now));
  g.apply(flow::intent::SendFilledForm{}, now);
  REQUIRE(scan_ui.touch(g, "choice.self", now));
  REQUIRE(scan_ui.touch(g, "choice.scan", now));
  scan_ui.look(g, now);
  CHECK(g.screen() == Screen::Scan);
  const auto* scan_error = scan_ui.last().find("error");
  REQUIRE(scan_error);
  CHECK(scan_error->text == assets.translations.text("nb", "ui.scan.unavailable"));
  CHECK(!scan_ui.last().find("choice.next"));
  CHECK(!scan_ui.last().find("choice.send"));
  CHECK(g.session().pages_found.empty());
}

TEST_CASE("a form whose owner does not take this kind of help is refused at once, with the owner's reason") {
  const auto& assets = kiosk_test::Assets::get();
  Walk w(assets.catalogue);
  w.touch("choice.language.nb");
  w.touch_paged("choice.category.see-my-data");
  w.touch("choice.someone-else");
  w.touch_paged("choice.representation.power-of-attorney");
  // Still listed for a Helsenorge power of attorney, so the person hears why it cannot be used.
  w.pick_form("innsyn-norsk-pasientregister");
  CHECK(w.flow->screen() == Screen::Refused);
  const auto text = w.flow->screen_model().text_for_reading();
  CHECK(text.find(assets.translations.text("nb", "representation.refusal.npr-person-parent-or-guardian")) !=
        std::string::npos);
  CHECK(w.ui.last().find("choice.talk"));
  CHECK(w.services.printer->requests.empty());
}

TEST_CASE("a proposed form says so on its first screen, naming the owner") {
  const auto& assets = kiosk_test::Assets::get();
  Walk w(assets.catalogue);
  w.touch("choice.language.nn");
  w.touch_paged("choice.category.doctor-and-medicines");
  w.touch("choice.self");
  w.pick_form("organdonasjon");
  REQUIRE(w.flow->screen() == Screen::FormIntro);
  CHECK(w.flow->screen_model().text_for_reading().find(
            "Dette er eit forslag frå kiosken. Norsk helsenett har ikkje laga eit slikt skjema enno.") !=
        std::string::npos);
}

TEST_CASE("a commit that ends after its person left never becomes the next person's receipt") {
  kiosk_test::HeadlessKiosk k;
  k.flow = std::make_unique<flow::Flow>(k.assets.catalogue, k.assets.translations, k.assets.rules, k.options,
                                        k.services.make(), k.now);
  const auto& form = k.assets.catalogue.forms().front();
  const auto send_a_form = [&] {
    k.flow->apply(flow::intent::ChooseLanguage{"nb"}, k.now);
    k.flow->apply(flow::intent::ChooseCategory{form.category}, k.now);
    k.flow->apply(flow::intent::ChooseSelf{}, k.now);
    k.flow->apply(flow::intent::SendIn{}, k.now);
    REQUIRE(k.flow->screen() == Screen::Send);
  };
  // The outbox is slow: person A's commit is still running when A walks away.
  k.services.outbox->hold = true;
  send_a_form();
  k.flow->tick(k.now);
  k.flow->apply(flow::intent::StartOver{}, k.now);
  REQUIRE(k.flow->screen() == Screen::Start);
  // Person B sends too; then both commits finish, A's first.
  send_a_form();
  k.services.outbox->hold = false;
  k.flow->tick(k.now);
  REQUIRE(k.services.outbox->submissions.size() == 2);  // both are committed all the same
  CHECK(k.flow->screen() == Screen::Receipt);
  CHECK(k.flow->session().receipt_reference == "HK-1002");  // B's own, not A's HK-1001
  // Nothing of A's comes later either.
  k.flow->tick(k.now);
  CHECK(k.flow->session().receipt_reference == "HK-1002");
}
