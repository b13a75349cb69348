// Issue 17 step 4: steady progress ("Steg 2 av 5" by the form's sections, never jumping when a
// conditional question appears) and a look back over every answer before printing, each with
// "Endre" that opens the question and returns to the overview.
#include <doctest/doctest.h>

#include <algorithm>

#include "kiosk_test_support.hpp"

using namespace kiosk;
using flow::Screen;
namespace in = flow::intent;

namespace {

forms::CivilDate birth_for(const std::string& type) {
  const int year = forms::today_local().year;
  if (type == "parent-under-12") return {year - 8, 2, 2};
  if (type == "parent-12-16") return {year - 14, 2, 2};
  if (type == "foster-parent") return {year - 10, 5, 5};
  return {1950, 6, 1};
}

struct Kiosk : kiosk_test::HeadlessKiosk {
  explicit Kiosk(const forms::Catalogue& catalogue) {
    flow = std::make_unique<flow::Flow>(catalogue, assets.translations, assets.rules, options, services.make(), now);
  }
  void act(const flow::Intent& i) { flow->apply(i, now); }
  // Letter by letter, as the keys are touched (each word gets its capital).
  void type_letters(const std::string& text) {
    for (char c : text) act(in::Key{std::string(1, c)});
  }
  // Who-screens for `type`, up to the first question (or the overview when a form asks none).
  void start(const forms::Questionnaire& form, const std::string& type, const std::string& representative,
             const std::string& represented) {
    act(in::ChooseLanguage{"nb"});
    act(in::ChooseCategory{form.category});
    if (type == "self") {
      act(in::ChooseSelf{});
    } else {
      act(in::ChooseSomeoneElse{});
      act(in::ChooseRepresentation{type});
    }
    if (flow->screen() == Screen::FormChoice) act(in::ChooseForm{form.id});
    REQUIRE(flow->screen() == Screen::FormIntro);
    act(in::FillIn{});
    if (type != "self") {
      act(in::Key{representative});
      act(in::Next{});
      act(in::Key{represented});
      act(in::Next{});
    }
  }
  // Answers the question on screen: yes/no and choices by `branch` (0: yes, first option; 1: no,
  // last option), typed values valid for their kind.
  void answer(const forms::Item& item, int branch, const std::string& own_number) {
    const bool yes = branch == 0;
    if (item.type == forms::ItemType::Boolean) {
      act(in::AnswerYesNo{yes});
    } else if (item.type == forms::ItemType::Choice) {
      act(in::AnswerChoice{yes ? item.options.front().code : item.options.back().code});
    } else {
      std::string text = "hei";
      if (item.input_kind == forms::InputKind::IdentityNumber) text = own_number;
      if (item.input_kind == forms::InputKind::Name) {
        // Word by word, as the keys are touched: each word gets its capital.
        type_letters("kari nordmann");
        act(in::Next{});
        return;
      }
      if (item.input_kind == forms::InputKind::Phone) text = "12345678";
      if (item.input_kind == forms::InputKind::Postcode) text = "0150";
      if (item.type == forms::ItemType::Date) text = "01012000";
      if (item.type == forms::ItemType::Integer) text = "12";
      act(in::Key{text});
      act(in::Next{});
    }
  }
};

}  // namespace

TEST_CASE("progress: never goes back or changes its total within a form, for every catalogue form and branch") {
  const auto& assets = kiosk_test::Assets::get();
  const std::string representative = kiosk_test::synthetic_number({1980, 1, 15});
  int sessions = 0;
  for (const auto& form : assets.catalogue.forms())
    for (const auto& type : form.representation) {
      if (form.representation_refusal(type)) continue;
      for (int branch = 0; branch < 2; ++branch) {  // every condition on, then every one off
        CAPTURE(form.id);
        CAPTURE(type);
        CAPTURE(branch);
        const std::string represented = kiosk_test::synthetic_number(birth_for(type));
        Kiosk k(assets.catalogue);
        k.start(form, type, representative, represented);
        int last_step = 0, count = 0, n = 0;
        for (; n < 80 && k.flow->screen() == Screen::Question; ++n) {
          const auto p = k.flow->progress();
          REQUIRE(p);
          if (count == 0) count = p->count;
          CHECK(p->count == count);     // the total never changes
          CHECK(p->step >= last_step);  // and the step never goes back
          CHECK(p->step < p->count);    // the last step is the look back
          last_step = p->step;
          const auto model = k.flow->screen_model();
          REQUIRE(!model.body.empty());
          CHECK(model.body.front().text == "Steg " + std::to_string(p->step) + " av " + std::to_string(p->count));
          const auto* item = form.find_item(k.flow->current_link_id());
          REQUIRE(item);
          const std::string before = item->link_id;
          k.answer(*item, branch, represented);
          if (k.flow->screen() == Screen::Question && k.flow->current_link_id() == before) {
            if (item->required) FAIL("the answer to " << before << " was not accepted");
            k.act(in::Skip{});
          }
        }
        REQUIRE(k.flow->screen() == Screen::Overview);
        const auto p = k.flow->progress();
        REQUIRE(p);
        if (count) CHECK(p->count == count);
        CHECK(p->step == p->count);
        ++sessions;
      }
    }
  MESSAGE(sessions << " sessions");
  CHECK(sessions >= 250);
}

TEST_CASE("overview: every answer in plain words, and Endre returns to the overview with the changed answer") {
  const auto& assets = kiosk_test::Assets::get();
  const auto& form = assets.catalogue.at("europeisk-helsetrygdkort");
  const std::string own = kiosk_test::synthetic_number({1970, 3, 3});
  Kiosk k(assets.catalogue);
  k.start(form, "self", "", "");
  // Own number, name, no to travelling soon, no to another address.
  for (int n = 0; n < 10 && k.flow->screen() == Screen::Question; ++n) {
    const auto* item = form.find_item(k.flow->current_link_id());
    REQUIRE(item);
    k.answer(*item, 1, own);
  }
  REQUIRE(k.flow->screen() == Screen::Overview);
  auto rows_text = [&] {
    std::string all;
    for (const auto& r : k.flow->screen_model().rows) all += r.explain + "=" + r.value + "|";
    return all;
  };
  auto all_rows = [&] {
    // Every page of answers ("Flere svar" turns them).
    std::string all = rows_text();
    const auto first = k.flow->screen_model().rows.front().id;
    for (int i = 0; i < 6; ++i) {
      k.act(in::MoreChoices{});
      if (k.flow->screen_model().rows.front().id == first) break;
      all += rows_text();
    }
    return all;
  };
  const std::string before = all_rows();
  CHECK(before.find("Skal vi sende kortet til en annen adresse?=Nei") != std::string::npos);
  CHECK(before.find("Fullt navn=Kari Nordmann") != std::string::npos);
  CHECK(before.find(own.substr(0, 6) + " " + own.substr(6)) != std::string::npos);
  CHECK(before.find("Gate og nummer") == std::string::npos);  // not asked: not listed

  // Endre on the name, touched on the real screen: the name's screen with the name in place.
  ui::HeadlessUi& ui = k.ui;
  ui.look(*k.flow, k.now);
  REQUIRE(ui.touch(*k.flow, "row.change.person.name", k.now));
  REQUIRE(k.flow->screen() == Screen::Question);
  CHECK(k.flow->current_link_id() == "person.name");
  CHECK(k.flow->session().typed == "Kari Nordmann");
  for (int i = 0; i < 8; ++i) k.act(in::Erase{});
  k.type_letters("ola");
  k.act(in::Next{});
  REQUIRE(k.flow->screen() == Screen::Overview);
  CHECK(all_rows().find("Fullt navn=Kari Ola") != std::string::npos);

  // Endre on a yes/no that brings questions never asked: those, then back to the overview.
  k.act(in::Change{"card.other-address"});
  REQUIRE(k.flow->screen() == Screen::Question);
  const auto steps_before = k.flow->progress();
  k.act(in::AnswerYesNo{true});
  REQUIRE(k.flow->screen() == Screen::Question);
  CHECK(k.flow->current_link_id() == "card.street");
  CHECK(k.flow->progress()->count == steps_before->count);
  k.act(in::Key{"Storgata 1"});
  k.act(in::Next{});
  CHECK(k.flow->current_link_id() == "card.postcode");
  k.act(in::Key{"0150"});
  k.act(in::Next{});
  CHECK(k.flow->current_link_id() == "card.town");
  k.act(in::Key{"Oslo"});
  k.act(in::Next{});
  REQUIRE(k.flow->screen() == Screen::Overview);
  const std::string after = all_rows();
  CHECK(after.find("Skal vi sende kortet til en annen adresse?=Ja") != std::string::npos);
  CHECK(after.find("Gate og nummer=Storgata 1") != std::string::npos);

  // Back from a change leaves the answer as it was and returns to the overview.
  k.act(in::Change{"card.soon"});
  REQUIRE(k.flow->screen() == Screen::Question);
  k.act(in::Back{});
  CHECK(k.flow->screen() == Screen::Overview);
  // A question that is not on the overview cannot be opened from it.
  k.act(in::Change{"helper"});
  CHECK(k.flow->screen() == Screen::Overview);

  // Printing takes the changed answers.
  k.act(in::PrintForm{form.id, false});
  REQUIRE(k.services.printer->requests.size() == 1);
  const auto& printed = k.services.printer->requests[0].answers;
  REQUIRE(printed.first("person.name"));
  CHECK(printed.first("person.name")->text == "Kari Ola");
  REQUIRE(printed.first("card.street"));
  CHECK(printed.first("card.street")->text == "Storgata 1");
}

TEST_CASE("overview: the representative's number is changed on its own screen, and the form's item follows") {
  const auto& assets = kiosk_test::Assets::get();
  const auto& form = assets.catalogue.at("bytte-fastlege");
  const std::string representative = kiosk_test::synthetic_number({1980, 1, 15});
  const std::string other_representative = kiosk_test::synthetic_number({1981, 2, 16});
  const std::string represented = kiosk_test::synthetic_number({1950, 6, 1});
  Kiosk k(assets.catalogue);
  k.start(form, "guardian", representative, represented);
  for (int n = 0; n < 20 && k.flow->screen() == Screen::Question; ++n) {
    const auto* item = form.find_item(k.flow->current_link_id());
    REQUIRE(item);
    k.answer(*item, 1, represented);
  }
  REQUIRE(k.flow->screen() == Screen::Overview);
  k.act(in::Change{in::kChangeRepresentative});
  REQUIRE(k.flow->screen() == Screen::RepresentativeId);
  CHECK(k.flow->session().typed == representative);
  for (int i = 0; i < 11; ++i) k.act(in::Erase{});
  k.act(in::Key{other_representative});
  k.act(in::Next{});
  REQUIRE(k.flow->screen() == Screen::Overview);
  CHECK(k.flow->session().representation.representative_id == other_representative);
  // The form's own item follows (printed and sent as the who-screen says).
  REQUIRE(k.flow->session().answers.first("helper.id"));
  CHECK(k.flow->session().answers.first("helper.id")->text == other_representative);
  k.act(in::PrintForm{form.id, false});
  REQUIRE(k.services.printer->requests.size() == 1);
  CHECK(k.services.printer->requests[0].answers.first("helper.id")->text == other_representative);
}
