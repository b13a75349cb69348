#include <doctest/doctest.h>

#include <functional>

#include "forms/answers.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/error.hpp"

using namespace forms;
using nlohmann::json;

namespace {
const Catalogue& catalogue() {
  static const Catalogue c = Catalogue::load_directory(assets_dir() / "forms");
  return c;
}
bool has_issue(const std::vector<AnswerIssue>& issues, const std::string& link_id, const std::string& code) {
  for (const auto& i : issues)
    if (i.link_id == link_id && i.code == code) return true;
  return false;
}
}  // namespace

TEST_CASE("answers: the synthetic example of every form is complete and valid") {
  for (const auto& q : catalogue().forms()) {
    for (unsigned seed : {1u, 2u, 3u}) {
      const Answers a = make_example_answers(q, seed);
      const auto issues = validate_answers(q, a);
      std::string list;
      for (const auto& i : issues) list += i.link_id + ":" + i.code + " ";
      INFO(q.id, " seed ", seed, ": ", list);
      CHECK(issues.empty());
    }
    CHECK(make_example_answers(q, 7).values == make_example_answers(q, 7).values);
  }
}

TEST_CASE("answers: flat JSON and QuestionnaireResponse round trip") {
  for (const auto& q : catalogue().forms()) {
    const Answers a = make_example_answers(q, 11);
    const json response = to_questionnaire_response(q, a, "completed", "2026-11-25T10:00:00+01:00");
    CHECK(response["resourceType"] == "QuestionnaireResponse");
    const Answers back = parse_answers(response, q, "response");
    CHECK(back.values == a.values);
  }
}

TEST_CASE("answers: wrong answers are named, not silently accepted") {
  const Questionnaire* q = nullptr;
  const Item* id_item = nullptr;
  for (const auto& f : catalogue().forms())
    for (const Item* item : f.all_items())
      if (!id_item && item->input_kind == InputKind::IdentityNumber && item->enable_when.empty()) {
        q = &f;
        id_item = item;
      }
  REQUIRE(id_item);
  Answers a = make_example_answers(*q, 5);
  a.set(id_item->link_id, AnswerValue::of_string("01018012372"));
  CHECK(has_issue(validate_answers(*q, a), id_item->link_id, "invalid-identity-number"));
  a.clear(id_item->link_id);
  if (id_item->required) CHECK(has_issue(validate_answers(*q, a), id_item->link_id, "required"));

  CHECK_THROWS_AS(parse_answers(json{{"no-such-question", true}}, *q, "a.json"), FormError);
  CHECK_THROWS_AS(parse_answers(json::array(), *q, "a.json"), FormError);
  CHECK_THROWS_AS(parse_answers(json{{id_item->link_id, 42}}, *q, "a.json"), FormError);
}

TEST_CASE("answers: wipe clears every value") {
  Answers a = make_example_answers(catalogue().forms().front(), 3);
  REQUIRE_FALSE(a.values.empty());
  a.wipe();
  CHECK(a.values.empty());
}

TEST_CASE("answers: the example leaves items of a disabled group unanswered") {
  using nlohmann::json;
  const std::string k = kKioskExtensionBase;
  const json form = {
      {"resourceType", "Questionnaire"},
      {"id", "g"},
      {"url", "u"},
      {"version", "1"},
      {"title", "T"},
      {"description", "D."},
      {"extension", json::array({{{"url", k + "task-category"}, {"valueCode", "say-no"}},
                                 {{"url", k + "representation"}, {"valueCode", "self"}},
                                 {{"url", k + "signature-required"}, {"valueBoolean", false}}})},
      {"item",
       json::array(
           {{{"linkId", "other"}, {"type", "boolean"}, {"text", "Andre?"}, {"required", true}},
            {{"linkId", "grp"},
             {"type", "group"},
             {"text", "G"},
             {"enableWhen", json::array({{{"question", "other"}, {"operator", "="}, {"answerBoolean", true}}})},
             {"item",
              json::array({{{"linkId", "inner"}, {"type", "string"}, {"text", "Navn"}, {"required", true}}})}}})}};
  const auto q = parse_questionnaire(form, "g.json");
  for (unsigned seed = 0; seed < 20; ++seed) {
    const Answers a = make_example_answers(q, seed);
    CHECK(validate_answers(q, a).empty());
    CHECK(a.has("inner") == a.first("other")->boolean);
  }
}

TEST_CASE("answers: a coded answer carries its question's code system, and another question's system is refused") {
  const Questionnaire& q = catalogue().at("bytte-fastlege");
  const Answers a = make_example_answers(q, 3);
  json response = to_questionnaire_response(q, a, "completed", "2026-11-25T10:00:00+01:00");
  json* coded = nullptr;
  std::function<void(json&)> find = [&](json& items) {
    for (auto& item : items) {
      for (auto& answer : item.value("answer", json::array()))
        if (answer.contains("valueCoding")) REQUIRE(answer["valueCoding"].contains("system"));
      if (!coded && item.contains("answer") && item["answer"][0].contains("valueCoding")) coded = &item;
      if (item.contains("item")) find(item["item"]);
    }
  };
  find(response["item"]);
  REQUIRE(coded);
  const Item* item = q.find_item((*coded)["linkId"]);
  REQUIRE(item);
  CHECK((*coded)["answer"][0]["valueCoding"]["system"] == item->options[0].system);
  // Without a system (a Bundle sealed before answers carried one) it still reads.
  (*coded)["answer"][0]["valueCoding"].erase("system");
  CHECK(parse_answers(response, q, "response").values == a.values);
  (*coded)["answer"][0]["valueCoding"]["system"] = "http://example.org/another-question";
  CHECK_THROWS_WITH_AS(parse_answers(response, q, "response"), doctest::Contains("another question's code system"),
                       FormError);
}
