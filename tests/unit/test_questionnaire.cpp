#include <doctest/doctest.h>

#include <fstream>
#include <string>

#include "forms/error.hpp"
#include "forms/questionnaire.hpp"

using namespace forms;
using nlohmann::json;

namespace {
json translation(const char* lang, const char* content) {
  return {{"url", kTranslationExtension},
          {"extension",
           json::array({{{"url", "lang"}, {"valueCode", lang}}, {{"url", "content"}, {"valueString", content}}})}};
}
std::string ext(const char* name) {
  return std::string(kKioskExtensionBase) + name;
}

json minimal_form() {
  return {{"resourceType", "Questionnaire"},
          {"id", "test-form"},
          {"url", "http://kiosk.ekstraenkel.no/fhir/Questionnaire/test-form"},
          {"version", "1.0"},
          {"status", "active"},
          {"title", "Si nei"},
          {"_title", {{"extension", json::array({translation("nn", "Sei nei"), translation("en", "Say no")})}}},
          {"description", "Du kan si nei."},
          {"extension", json::array({{{"url", ext("task-category")}, {"valueCode", "say-no"}},
                                     {{"url", ext("representation")}, {"valueCode", "self"}},
                                     {{"url", ext("signature-required")}, {"valueBoolean", true}}})},
          {"item",
           json::array({{{"linkId", "consent"}, {"type", "boolean"}, {"text", "Vil du si nei?"}, {"required", true}},
                        {{"linkId", "why"},
                         {"type", "choice"},
                         {"text", "Hvorfor?"},
                         {"answerOption", json::array({{{"valueCoding", {{"code", "a"}, {"display", "A"}}}},
                                                       {{"valueCoding", {{"code", "b"}, {"display", "B"}}}}})},
                         {"enableWhen",
                          json::array({{{"question", "consent"}, {"operator", "="}, {"answerBoolean", true}}})}}})}};
}

std::string error_of(const json& j) {
  try {
    parse_questionnaire(j, "test.json");
  } catch (const FormError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("questionnaire: a minimal form parses with translations and metadata") {
  const auto q = parse_questionnaire(minimal_form(), "test.json");
  CHECK(q.id == "test-form");
  CHECK(q.title.get("nn") == "Sei nei");
  CHECK(q.title.get("en") == "Say no");
  CHECK(q.title.get("se") == "Si nei");  // falls back to bokmål
  CHECK(q.category == "say-no");
  CHECK(q.allows_representation("self"));
  CHECK_FALSE(q.allows_representation("guardian"));
  REQUIRE(q.find_item("why"));
  CHECK(q.find_item("why")->options.size() == 2);
  CHECK(q.find_item("why")->enable_when.front().question == "consent");
  CHECK(q.find_item("consent")->print_boxes() == PrintBoxes::Ticks);
}

TEST_CASE("questionnaire: problems are rejected with the file and element named") {
  auto j = minimal_form();
  j["item"][1]["type"] = "quantity";
  CHECK(error_of(j).find("unsupported item type \"quantity\"") != std::string::npos);
  CHECK(error_of(j).find("test.json") != std::string::npos);
  CHECK(error_of(j).find("item[1](why)") != std::string::npos);

  j = minimal_form();
  j.erase("id");
  CHECK(error_of(j).find("missing \"id\"") != std::string::npos);

  j = minimal_form();
  j["item"][1]["linkId"] = "consent";
  CHECK(error_of(j).find("duplicate linkId \"consent\"") != std::string::npos);

  j = minimal_form();
  j["item"][1]["enableWhen"][0]["question"] = "nowhere";
  CHECK(error_of(j).find("unknown linkId \"nowhere\"") != std::string::npos);

  j = minimal_form();
  j["item"][1]["enableWhen"][0]["operator"] = "~";
  CHECK(error_of(j).find("unknown operator") != std::string::npos);

  j = minimal_form();
  j["item"][1].erase("answerOption");
  CHECK(error_of(j).find("needs answerOption") != std::string::npos);

  j = minimal_form();
  j["_title"]["extension"][0]["extension"][0]["valueCode"] = "xx";
  CHECK(error_of(j).find("unknown language code \"xx\"") != std::string::npos);

  j = minimal_form();
  j["resourceType"] = "Patient";
  CHECK(error_of(j).find("resourceType") != std::string::npos);

  CHECK(error_of(json::array()).find("not a JSON object") != std::string::npos);
  j = minimal_form();
  j["item"] = "nope";
  CHECK(error_of(j).find("must be an array") != std::string::npos);
}

TEST_CASE("questionnaire: bad JSON in a file is a clear error") {
  const auto path = std::filesystem::temp_directory_path() / "kiosk-bad-form.json";
  { std::ofstream(path) << "{ \"resourceType\": \"Questionnaire\", "; }
  try {
    load_questionnaire_file(path);
    FAIL("should have thrown");
  } catch (const FormError& e) {
    CHECK(std::string(e.what()).find("is not valid JSON") != std::string::npos);
    CHECK(std::string(e.what()).find(path.string()) != std::string::npos);
  }
  std::filesystem::remove(path);
  CHECK_THROWS_AS(load_questionnaire_file("/nonexistent/form.json"), FormError);
}

TEST_CASE("questionnaire: the platform's sdf extensions are read from their fhir-sdf URLs and checked") {
  auto coding = [](const char* name, const char* system, const char* code) {
    return json{{"url", std::string(kSdfExtensionBase) + name}, {"valueCoding", {{"system", system}, {"code", code}}}};
  };
  auto j = minimal_form();
  j["extension"].push_back(coding("sdf-canbeperformedby", kSdfCanBePerformedBySystem, "2"));
  j["extension"].push_back(coding("sdf-authenticationrequirement", kSdfAuthenticationRequirementSystem, "3"));
  const auto q = parse_questionnaire(j, "test.json");
  CHECK(q.can_be_performed_by == std::optional<std::string>("2"));
  CHECK(q.authentication_requirement == std::optional<std::string>("3"));

  j = minimal_form();
  j["extension"].push_back(coding("sdf-canbeperformedby", kSdfCanBePerformedBySystem, "7"));
  CHECK(error_of(j).find("\"7\" is not a code of") != std::string::npos);

  j = minimal_form();
  j["extension"].push_back(coding("sdf-authenticationrequirement", "http://example.org/auth", "3"));
  CHECK(error_of(j).find("system must be") != std::string::npos);

  j = minimal_form();
  j["extension"].push_back(
      {{"url", std::string(kHelsenorgeExtensionBase) + "sdf-canbeperformedby"}, {"valueCoding", {{"code", "1"}}}});
  CHECK(error_of(j).find("is not the platform's extension") != std::string::npos);
}

TEST_CASE("questionnaire: forms export gives the platform item.maxLength and coded options with their code system") {
  auto j = minimal_form();
  j["item"].push_back({{"linkId", "name"},
                       {"type", "string"},
                       {"text", "Navn"},
                       {"extension", json::array({{{"url", ext("max-length")}, {"valueInteger", 40}},
                                                  {{"url", ext("input-kind")}, {"valueCode", "name"}}})}});
  const auto q = parse_questionnaire(j, "test.json");
  const std::string system = std::string(kKioskCodeSystemBase) + "test-form/why";
  CHECK(q.find_item("why")->options[0].system == system);
  const json out = platform_questionnaire(j, "test.json");
  // The extension becomes the standard element; other extensions stay.
  CHECK(out["item"][2]["maxLength"] == 40);
  REQUIRE(out["item"][2]["extension"].size() == 1);
  CHECK(out["item"][2]["extension"][0]["url"] == ext("input-kind"));
  CHECK(out["item"][1]["answerOption"][0]["valueCoding"]["system"] == system);
  CHECK(out["item"][1]["answerOption"][1]["valueCoding"]["system"] == system);
  CHECK(parse_questionnaire(out, "export").find_item("name")->max_length == 40);
  // The standard element is read too; a catalogue that gives both must agree.
  auto standard = minimal_form();
  standard["item"].push_back({{"linkId", "name"}, {"type", "string"}, {"text", "Navn"}, {"maxLength", 12}});
  CHECK(parse_questionnaire(standard, "test.json").find_item("name")->max_length == 12);
  standard["item"][2]["extension"] = json::array({{{"url", ext("max-length")}, {"valueInteger", 13}}});
  CHECK(error_of(standard).find("maxLength and the max-length extension disagree") != std::string::npos);
  standard["item"][2].erase("extension");
  standard["item"][2]["maxLength"] = 0;
  CHECK(error_of(standard).find("maxLength must be a whole number from 1 to 200") != std::string::npos);
  // A system the catalogue gives is kept; one question cannot mix two.
  auto given = minimal_form();
  given["item"][1]["answerOption"][0]["valueCoding"]["system"] = "urn:oid:2.16.578.1.12.4.1.1.9999";
  CHECK(parse_questionnaire(given, "test.json").find_item("why")->options[1].system ==
        "urn:oid:2.16.578.1.12.4.1.1.9999");
  given["item"][1]["answerOption"][1]["valueCoding"]["system"] = "urn:oid:2.16.578.1.12.4.1.1.1";
  CHECK(error_of(given).find("must have the same system") != std::string::npos);
}

TEST_CASE("questionnaire: options that are the form's representation types use the representation-type system") {
  auto j = minimal_form();
  j["extension"].push_back({{"url", ext("representation")}, {"valueCode", "guardian"}});
  j["extension"].push_back({{"url", ext("representation")}, {"valueCode", "power-of-attorney"}});
  j["item"].push_back(
      {{"linkId", "helper.role"},
       {"type", "choice"},
       {"text", "Rolle"},
       {"answerOption", json::array({{{"valueCoding", {{"code", "guardian"}, {"display", "Verge"}}}},
                                     {{"valueCoding", {{"code", "power-of-attorney"}, {"display", "Fullmakt"}}}}})}});
  const auto q = parse_questionnaire(j, "test.json");
  CHECK(q.find_item("helper.role")->options[0].system == kRepresentationTypeSystem);
  CHECK(q.find_item("why")->options[0].system == std::string(kKioskCodeSystemBase) + "test-form/why");
}
