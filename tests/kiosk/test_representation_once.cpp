// Issue 17 step 2: one truth for representation. What the who-screens learn (who acts, on what
// authority, for whom, both numbers) answers each catalogue form's own representation items: they
// are never asked again, they are printed pre-filled, and the QuestionnaireResponse, the Provenance
// and the printed sheet agree. Driven through the real screens (headless ImGui), the real print
// layout and the real Bundle builder.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include "kiosk_test_support.hpp"
#include "outbox/bundle.hpp"
#include "print/layout.hpp"

using namespace kiosk;
using flow::Screen;
using forms::RepresentationAnswer;

namespace {

struct Session : kiosk_test::HeadlessKiosk {
  explicit Session(const forms::Catalogue& catalogue) {
    flow = std::make_unique<flow::Flow>(catalogue, assets.translations, assets.rules, options, services.make(), now);
  }
  void touch(const std::string& id) {
    INFO("screen " << flow::screen_name(flow->screen()) << ", widget " << id);
    REQUIRE(ui.touch(*flow, id, now));
  }
  void touch_paged(const std::string& id) {
    for (int page = 0; page < 6; ++page) {
      ui.look(*flow, now);
      if (ui.last().find(id)) break;
      touch("choice.more");
    }
    touch(id);
  }
  void type(const std::string& text) {
    for (char c : text) touch(c == ' ' ? "key.space" : std::string("key.") + c);
  }
};

// A represented person whose age fits the type (the rules' age limits).
forms::CivilDate birth_for(const std::string& type) {
  const int year = forms::today_local().year;
  if (type == "parent-under-12") return {year - 8, 2, 2};
  if (type == "parent-12-16") return {year - 14, 2, 2};
  if (type == "foster-parent") return {year - 10, 5, 5};
  return {1950, 6, 1};
}

// Answers what the question screen asks, by touches, and records each question asked.
void answer_questions(Session& s, const std::string& own_number, std::vector<std::string>& asked) {
  for (int guard = 0; guard < 60 && s.flow->screen() == Screen::Question; ++guard) {
    const auto record = s.ui.look(*s.flow, s.now);
    const auto* form = s.flow->catalogue().find(s.flow->session().form_id);
    REQUIRE(form);
    const auto* item = form->find_item(s.flow->current_link_id());
    REQUIRE(item);
    asked.push_back(item->link_id);
    if (record.find("choice.yes")) {
      s.touch("choice.yes");
    } else if (!item->options.empty()) {
      s.touch("choice.option." + item->options.front().code);
    } else if (item->input_kind == forms::InputKind::IdentityNumber) {
      s.type(own_number);
      s.touch("choice.next");
    } else if (item->input_kind == forms::InputKind::Name) {
      s.type("kari nordmann");
      s.touch("choice.next");
    } else if (item->type == forms::ItemType::Date) {
      s.type("01012000");
      s.touch("choice.next");
    } else if (item->type == forms::ItemType::Integer || item->input_kind == forms::InputKind::Phone) {
      s.type("12345678");
      s.touch("choice.next");
    } else if (item->input_kind == forms::InputKind::Postcode) {
      s.type("0150");
      s.touch("choice.next");
    } else {
      s.type("hei");
      s.touch("choice.next");
    }
    if (s.flow->screen() == Screen::Question && s.flow->current_link_id() == item->link_id)
      FAIL("the answer to " << item->link_id << " was not accepted: " << s.flow->screen_model().error);
  }
}

bool inside(const print::RectMm& r, double x, double y) {
  return x >= r.x - 0.5 && x <= r.x + r.w + 0.5 && y >= r.y - 0.5 && y <= r.y + r.h + 1.0;
}

// What the sheet shows in each field: the characters in its boxes, or the options ticked ("true",
// "false" for yes/no), read from the real layout of the print request's answers.
std::map<std::string, std::string> printed_values(const print::FormLayout& layout) {
  std::map<std::string, std::string> out;
  for (const auto& field : layout.fields) {
    const auto& page = layout.pages.at(static_cast<size_t>(field.page - 1));
    std::string text;
    for (const auto& box : field.boxes)
      for (const auto& t : page.texts)
        if (t.is_value && inside(box, t.x, t.y)) text += t.text;
    if (field.kind == print::FieldKind::Tick) {
      if (!text.empty()) out[field.link_id] += (out[field.link_id].empty() ? "" : ",") + field.option;
    } else if (!text.empty()) {
      out[field.link_id] += text;
    }
  }
  return out;
}

// The QuestionnaireResponse's answers by linkId, as plain text (the nested items walked).
void qr_answers(const nlohmann::json& items, std::map<std::string, std::string>& out) {
  for (const auto& item : items) {
    if (item.contains("answer"))
      for (const auto& a : item["answer"]) {
        std::string v;
        if (a.contains("valueBoolean")) v = a["valueBoolean"].get<bool>() ? "true" : "false";
        if (a.contains("valueString")) v = a["valueString"].get<std::string>();
        if (a.contains("valueCoding")) v = a["valueCoding"]["code"].get<std::string>();
        out[item["linkId"].get<std::string>()] = v;
      }
    if (item.contains("item")) qr_answers(item["item"], out);
  }
}

bool has_representation_items(const forms::Questionnaire& form) {
  for (const auto* item : form.all_items())
    if (item->representation_answer != RepresentationAnswer::None &&
        item->representation_answer != RepresentationAnswer::NotRepresentation)
      return true;
  return false;
}

}  // namespace

TEST_CASE(
    "representation: every catalogue form declares its representation items, and the check finds one that does not") {
  const auto& assets = kiosk_test::Assets::get();
  int with_items = 0;
  for (const auto& form : assets.catalogue.forms()) {
    INFO("form " << form.id);
    CHECK(forms::undeclared_representation_items(form, assets.rules).empty());
    if (has_representation_items(form)) ++with_items;
    // The who-screens can answer the type item for every kind of help the form takes.
    if (const auto* type_item = form.representation_item(RepresentationAnswer::Type))
      for (const auto& type : form.representation) {
        if (type == "self") continue;
        INFO("type " << type);
        CHECK(std::any_of(type_item->options.begin(), type_item->options.end(),
                          [&](const forms::AnswerOption& o) { return o.code == type; }));
      }
    // Someone else acting: the yes/no question and the representative's number go together.
    CHECK((form.representation_item(RepresentationAnswer::ActingForOther) == nullptr) ==
          (form.representation_item(RepresentationAnswer::Type) == nullptr));
  }
  CHECK(with_items >= 30);
  // The check itself: an identity number, a "who are you for the person" choice and the yes/no
  // they depend on are reported the moment their declaration is missing.
  auto form = assets.catalogue.at("bytte-fastlege");
  std::function<void(std::vector<forms::Item>&)> strip = [&](std::vector<forms::Item>& items) {
    for (auto& item : items) {
      item.representation_answer = RepresentationAnswer::None;
      strip(item.items);
    }
  };
  strip(form.items);
  auto undeclared = forms::undeclared_representation_items(form, assets.rules);
  std::sort(undeclared.begin(), undeclared.end());
  CHECK(undeclared == std::vector<std::string>{"helper", "helper.id", "helper.role", "person.id"});
}

TEST_CASE(
    "representation: asked once, and the QR answers, the Provenance and the printed sheet agree, for every form and "
    "type") {
  const auto& assets = kiosk_test::Assets::get();
  const std::string representative = kiosk_test::synthetic_number({1980, 1, 15});
  print::LayoutContext ctx;
  ctx.translations = &assets.translations;
  int sessions = 0;
  for (const auto& form : assets.catalogue.forms()) {
    if (!has_representation_items(form)) continue;
    for (const auto& type : form.representation) {
      if (form.representation_refusal(type)) continue;  // refused at once, with the owner's reason
      CAPTURE(form.id);
      CAPTURE(type);
      const std::string represented = kiosk_test::synthetic_number(birth_for(type));
      Session s(assets.catalogue);
      s.touch("choice.language.nb");
      s.touch_paged("choice.category." + form.category);
      if (type == "self") {
        s.touch("choice.self");
      } else {
        s.touch("choice.someone-else");
        s.touch_paged("choice.representation." + type);
      }
      if (s.flow->screen() == Screen::FormChoice) s.touch_paged("choice.form." + form.id);
      REQUIRE(s.flow->screen() == Screen::FormIntro);
      REQUIRE(s.flow->session().form_id == form.id);
      s.touch("choice.fill-in");
      if (type != "self") {
        REQUIRE(s.flow->screen() == Screen::RepresentativeId);
        s.type(representative);
        s.touch("choice.next");
        REQUIRE(s.flow->screen() == Screen::RepresentedId);
        s.type(represented);
        s.touch("choice.next");
      }
      std::vector<std::string> asked;
      // A self form asks the person's own number in the form (the who-screens did not).
      answer_questions(s, represented, asked);
      INFO("screen " << flow::screen_name(s.flow->screen()) << ": " << s.flow->screen_model().text_for_reading());
      REQUIRE(s.flow->screen() == Screen::Overview);
      s.touch("choice.print");
      REQUIRE(s.flow->screen() == Screen::Print);

      // Asked once: no question twice, none the who-screens answered.
      std::set<std::string> unique(asked.begin(), asked.end());
      CHECK(unique.size() == asked.size());
      for (const auto& link : asked) {
        const auto* item = form.find_item(link);
        REQUIRE(item);
        INFO("asked " << link);
        CHECK(!forms::answered_by_who_screens(*item, type));
        CHECK(item->representation_answer != RepresentationAnswer::ActingForOther);
        CHECK(item->representation_answer != RepresentationAnswer::Type);
        CHECK(item->representation_answer != RepresentationAnswer::RepresentativeId);
      }

      // The printed sheet, laid out from the print request's answers.
      REQUIRE(s.services.printer->requests.size() == 1);
      const auto printed_answers = s.services.printer->requests[0].answers;
      const auto printed = printed_values(print::layout_form(form, "nb", {}, ctx, &printed_answers));

      // Scanned back unchanged, evidence sheets, sent.
      s.services.scanner->result = ui::ScriptedScanner::read_back(form, printed_answers, false);
      s.touch("choice.next");
      s.touch("choice.scan");
      for (int guard = 0; guard < 4 && s.flow->screen() == Screen::Scan; ++guard) s.touch("choice.scan");
      for (int guard = 0; guard < 20 && s.flow->screen() == Screen::Review && s.ui.last().find("choice.correct");
           ++guard)
        s.touch("choice.correct");
      REQUIRE(s.flow->screen() == Screen::Review);
      s.touch("choice.send");
      REQUIRE(s.flow->screen() == Screen::Receipt);
      REQUIRE(s.services.outbox->submissions.size() == 1);
      const auto& sent = s.services.outbox->submissions[0];
      CHECK(forms::validate_answers(form, sent.answers).empty());

      // The Bundle as the outbox builds it (representation passed on unless "self").
      outbox::BundleInput in;
      in.submission_id = "test-" + std::to_string(sessions);
      in.timestamp = "2026-12-08T00:00:00Z";
      in.form = &form;
      in.answers = &sent.answers;
      if (sent.representation.type != "self")
        in.representation =
            outbox::RepresentationInfo{sent.representation.type, sent.representation.representative_id,
                                       sent.representation.represented_id, sent.representation.evidence};
      const auto summary = outbox::read_bundle(outbox::build_bundle(in));
      std::map<std::string, std::string> qr;
      qr_answers(summary.questionnaire_response.at("item"), qr);

      // The one truth: what the who-screens learned (self: the number typed in the form).
      const bool other = type != "self";
      const std::string subject = other ? represented : sent.representation.represented_id;
      CHECK(summary.representation_type == type);
      CHECK(summary.subject == subject);
      CHECK(summary.representative == (other ? representative : ""));
      std::map<std::string, std::string> expected;  // linkId -> value, "" when left empty
      for (const auto* item : form.all_items()) {
        switch (item->representation_answer) {
          case RepresentationAnswer::ActingForOther:
            expected[item->link_id] = other ? "true" : "false";
            break;
          case RepresentationAnswer::Type:
            expected[item->link_id] = other ? type : "";
            break;
          case RepresentationAnswer::RepresentativeId:
            // Printed and answered only where the form has it for this kind of help.
            expected[item->link_id] = other && forms::is_enabled(*item, sent.answers) ? representative : "";
            break;
          case RepresentationAnswer::RepresentedId:
            expected[item->link_id] = subject;
            break;
          default:
            break;
        }
      }
      for (const auto& [link, value] : expected) {
        INFO("item " << link);
        CHECK(qr[link] == value);
        const std::string on_sheet = printed.count(link) ? printed.at(link) : std::string();
        CHECK(on_sheet == value);
      }
      CHECK(!subject.empty());
      ++sessions;
    }
  }
  MESSAGE(sessions << " sessions");
  CHECK(sessions >= 100);
}

TEST_CASE("representation: a sheet filled in at home that says otherwise about who fills it in goes to staff") {
  const auto& assets = kiosk_test::Assets::get();
  const auto& form = assets.catalogue.at("bytte-fastlege");
  const std::string own = kiosk_test::synthetic_number({1970, 3, 3});
  const std::string helper = kiosk_test::synthetic_number({1980, 1, 15});
  for (const bool says_helper : {false, true}) {
    CAPTURE(says_helper);
    // What the person wrote at home, for themself; or as someone's helper.
    forms::Answers sheet;
    sheet.set("person.id", forms::AnswerValue::of_string(own));
    sheet.set("person.name", forms::AnswerValue::of_string("Kari Nordmann"));
    sheet.set("helper", forms::AnswerValue::of_bool(says_helper));
    if (says_helper) {
      sheet.set("helper.role", forms::AnswerValue::of_coding("guardian"));
      sheet.set("helper.id", forms::AnswerValue::of_string(helper));
      sheet.set("helper.name", forms::AnswerValue::of_string("Ola Nordmann"));
    }
    sheet.set("gp.name", forms::AnswerValue::of_string("Lege Legesen"));
    sheet.set("gp.office", forms::AnswerValue::of_string("Oslo"));
    sheet.set("gp.when", forms::AnswerValue::of_coding("asap"));
    sheet.set("gp.waitlist", forms::AnswerValue::of_bool(true));
    sheet.set("gp.children", forms::AnswerValue::of_bool(false));
    REQUIRE(forms::validate_answers(form, sheet).empty());
    Session s(assets.catalogue);
    s.services.scanner->result = ui::ScriptedScanner::read_back(form, sheet, false);
    s.touch("choice.language.nb");
    s.touch_paged("choice.send-filled");
    s.touch("choice.self");  // on the screen: for myself
    REQUIRE(s.flow->screen() == Screen::Scan);
    s.touch("choice.scan");
    REQUIRE(s.flow->screen() == Screen::Review);
    s.touch("choice.send");
    REQUIRE(s.flow->screen() == Screen::Receipt);
    if (says_helper) {
      // The sheet says a guardian fills it in; the screen said "for myself": staff decide.
      CHECK(s.services.outbox->submissions.empty());
      REQUIRE(s.services.outbox->held.size() == 1);
      CHECK(s.services.outbox->held[0].hold_source == "representation-differs");
    } else {
      REQUIRE(s.services.outbox->submissions.size() == 1);
      const auto& sent = s.services.outbox->submissions[0];
      CHECK(sent.representation.type == "self");
      REQUIRE(sent.answers.first("helper"));
      CHECK(!sent.answers.first("helper")->boolean);
      CHECK(!sent.answers.has("helper.id"));
    }
  }
}
