#include <doctest/doctest.h>

#include <algorithm>

#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/questionnaire.hpp"
#include "forms/representation.hpp"

using namespace forms;

namespace {
const RepresentationRules& rules() {
  static const RepresentationRules r = RepresentationRules::load(assets_dir() / "representation.json");
  return r;
}
Questionnaire form_allowing(std::vector<std::string> types, std::vector<std::string> attachments = {}) {
  Questionnaire q;
  q.id = "f";
  q.representation = std::move(types);
  q.attachments = std::move(attachments);
  return q;
}
// A valid classic number for the birth date (first individual number that works).
std::string number_born(int y, int m, int d) {
  for (int i = 0; i < 1000; ++i)
    if (auto n = make_identity_number({y, m, d}, IdentityKind::Fodselsnummer, i)) return *n;
  return {};
}
bool refused_for(const RepresentationDecision& d, const std::string& code) {
  return std::any_of(d.refusals.begin(), d.refusals.end(), [&](const auto& r) { return r.code == code; });
}
const CivilDate kToday{2026, 11, 25};
}  // namespace

TEST_CASE("representation: self is allowed for a valid number") {
  RepresentationRequest req{"self", {number_born(1950, 3, 4)}, std::nullopt, false, {}, kToday};
  auto d = check_representation(rules(), form_allowing({"self"}), req);
  CHECK(d.allowed);
  CHECK(d.refusals.empty());
}

TEST_CASE("representation: parents act for children under 12, with limits 12-16, and not from 16") {
  const auto form = form_allowing({"parent-under-12", "parent-12-16"});
  const Party parent{number_born(1985, 1, 1)};
  RepresentationRequest req{"parent-under-12", {number_born(2018, 5, 5)}, parent, false, {}, kToday};
  CHECK(check_representation(rules(), form, req).allowed);
  req.represented = {number_born(2012, 5, 5)};  // 14 years old
  CHECK(refused_for(check_representation(rules(), form, req), "represented-too-old"));
  req.type_code = "parent-12-16";
  CHECK(check_representation(rules(), form, req).allowed);
  req.represented = {number_born(2009, 5, 5)};  // 17 years old
  CHECK(refused_for(check_representation(rules(), form, req), "represented-too-old"));
}

TEST_CASE("representation: the representative must be an adult and not the same person") {
  const auto form = form_allowing({"power-of-attorney"});
  RepresentationRequest req{
      "power-of-attorney", {number_born(1940, 1, 1)}, Party{number_born(2010, 1, 1)}, false, {}, kToday};
  CHECK(refused_for(check_representation(rules(), form, req), "representative-under-18"));
  req.representative = Party{req.represented.identity_number};
  CHECK(refused_for(check_representation(rules(), form, req), "same-person"));
  req.representative = Party{number_born(1970, 1, 1)};
  CHECK(check_representation(rules(), form, req).allowed);
  req.represented = {number_born(2011, 1, 1)};  // 15: too young to give a power of attorney
  CHECK(refused_for(check_representation(rules(), form, req), "giver-too-young"));
}

TEST_CASE("representation: the age limits hold to the day (18 may represent, a child is too old on the birthday)") {
  // kToday is 2026-11-25: born 2008-11-25 is 18 today, born 2008-11-26 is still 17.
  const auto attorney = form_allowing({"power-of-attorney"});
  RepresentationRequest req{
      "power-of-attorney", {number_born(1940, 1, 1)}, Party{number_born(2008, 11, 25)}, false, {}, kToday};
  CHECK_FALSE(refused_for(check_representation(rules(), attorney, req), "representative-under-18"));
  req.representative = Party{number_born(2008, 11, 26)};
  CHECK(refused_for(check_representation(rules(), attorney, req), "representative-under-18"));

  // max_represented_age is exclusive: a child who turns 12 (or 16) today is too old for it.
  const auto parents = form_allowing({"parent-under-12", "parent-12-16"});
  req = {"parent-under-12", {number_born(2014, 11, 25)}, Party{number_born(1985, 1, 1)}, false, {}, kToday};
  CHECK(refused_for(check_representation(rules(), parents, req), "represented-too-old"));
  req.represented = {number_born(2014, 11, 26)};  // 11 until tomorrow
  CHECK_FALSE(refused_for(check_representation(rules(), parents, req), "represented-too-old"));
  req.type_code = "parent-12-16";
  req.represented = {number_born(2010, 11, 25)};
  CHECK(refused_for(check_representation(rules(), parents, req), "represented-too-old"));
  req.represented = {number_born(2010, 11, 26)};  // 15 until tomorrow
  CHECK_FALSE(refused_for(check_representation(rules(), parents, req), "represented-too-old"));
}

TEST_CASE("representation: protected addresses rule out representation both ways") {
  const auto form = form_allowing({"power-of-attorney"});
  RepresentationRequest req{
      "power-of-attorney", {number_born(1940, 1, 1), true}, Party{number_born(1970, 1, 1)}, false, {}, kToday};
  CHECK(refused_for(check_representation(rules(), form, req), "represented-protected-address"));
  req.represented.protected_address = false;
  req.representative->protected_address = true;
  CHECK(refused_for(check_representation(rules(), form, req), "representative-protected-address"));
}

TEST_CASE("representation: adult without consent competence needs nearest relative and the doctor's form") {
  const auto form = form_allowing({"power-of-attorney-no-consent-competence"});
  RepresentationRequest req{"power-of-attorney-no-consent-competence",
                            {number_born(1945, 1, 1)},
                            Party{number_born(1975, 1, 1)},
                            false,
                            {},
                            kToday};
  auto d = check_representation(rules(), form, req);
  CHECK(refused_for(d, "not-nearest-relative"));
  CHECK(std::find(d.missing_evidence.begin(), d.missing_evidence.end(), "medical-certificate") !=
        d.missing_evidence.end());
  req.is_nearest_relative = true;
  req.evidence_provided = {"guardianship-certificate"};  // not enough on its own
  d = check_representation(rules(), form, req);
  CHECK(d.allowed);
  CHECK_FALSE(d.missing_evidence.empty());
  req.evidence_provided = {"medical-certificate", "id-copy"};
  CHECK(check_representation(rules(), form, req).missing_evidence.empty());
}

TEST_CASE("representation: guardians, foster parents and neighbour helpers go to manual processing") {
  for (const char* type : {"guardian", "foster-parent", "neighbour-helper"}) {
    CAPTURE(type);
    const bool child = std::string(type) == "foster-parent";
    RepresentationRequest req{
        type, {number_born(child ? 2015 : 1950, 1, 1)}, Party{number_born(1970, 1, 1)}, false, {}, kToday};
    auto d = check_representation(rules(), form_allowing({type}), req);
    CHECK(d.allowed);
    CHECK(d.manual_processing);
    CHECK_FALSE(d.missing_evidence.empty());
  }
}

TEST_CASE("representation: a type the form does not allow, and bad numbers, are refused with every reason") {
  RepresentationRequest req{"guardian", {"123"}, Party{"456"}, false, {}, kToday};
  auto d = check_representation(rules(), form_allowing({"self"}), req);
  CHECK_FALSE(d.allowed);
  CHECK(refused_for(d, "form-not-allowed-for-type"));
  CHECK(refused_for(d, "represented-invalid-number"));
  CHECK(refused_for(d, "representative-invalid-number"));
  req.type_code = "astronaut";
  CHECK(refused_for(check_representation(rules(), form_allowing({"self"}), req), "unknown-type"));
}

TEST_CASE("representation: rules file must not allow a child representative") {
  nlohmann::json j = {{"types", {{{"code", "self"}}, {{"code", "x"}, {"min_representative_age", 15}}}}};
  CHECK_THROWS(RepresentationRules::from_json(j, "rules.json"));
}

TEST_CASE("representation: the owner's rules decide who may submit (NPR, Helfo, EHIC), with the owner's reason first") {
  const auto catalogue = Catalogue::load_directory(assets_dir() / "forms");
  const auto adult = number_born(1950, 3, 4);
  const auto helper = number_born(1980, 1, 2);
  auto decide = [&](const std::string& form, const std::string& type, const std::string& person) {
    RepresentationRequest req{type, {person}, Party{helper}, true, {}, kToday};
    if (const auto* t = rules().find(type)) req.evidence_provided = t->evidence;
    return check_representation(rules(), catalogue.at(form), req);
  };
  // Norsk pasientregister: only the person, parents of children under 16 and a guardian with papers.
  auto d = decide("innsyn-norsk-pasientregister", "power-of-attorney", adult);
  CHECK_FALSE(d.allowed);
  REQUIRE_FALSE(d.refusals.empty());
  CHECK(d.refusals.front().message_key == "representation.refusal.npr-person-parent-or-guardian");
  CHECK(decide("innsyn-norsk-pasientregister", "guardian", adult).allowed);
  CHECK(refused_for(decide("innsyn-norsk-pasientregister", "foster-parent", number_born(2015, 1, 1)),
                    "npr-person-parent-or-guardian"));
  CHECK(decide("innsyn-norsk-pasientregister", "parent-12-16", number_born(2012, 1, 1)).allowed);
  // Helfo takes only its own power of attorney (21-00.01), for every Helfo form.
  for (const char* id : {"bytte-fastlege", "europeisk-helsetrygdkort", "refusjon-egenandeler"}) {
    CAPTURE(id);
    CHECK(refused_for(decide(id, "power-of-attorney", adult), "helfo-own-power-of-attorney"));
    CHECK_FALSE(catalogue.at(id).allows_representation("power-of-attorney"));
  }
  // The European health insurance card: oneself and one's own children.
  CHECK(refused_for(decide("europeisk-helsetrygdkort", "guardian", adult), "ehic-self-or-own-children"));
  CHECK(decide("europeisk-helsetrygdkort", "parent-under-12", number_born(2020, 6, 1)).allowed);
  // Other owners keep the Helsenorge power of attorney.
  CHECK(decide("kjernejournal-logg", "power-of-attorney", adult).allowed);
}
