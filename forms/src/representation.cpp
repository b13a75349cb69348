#include "forms/representation.hpp"

#include <algorithm>
#include <fstream>

#include "forms/error.hpp"
#include "forms/questionnaire.hpp"

namespace forms {

using nlohmann::json;

const RepresentationType* RepresentationRules::find(const std::string& code) const {
  for (const auto& t : types)
    if (t.code == code) return &t;
  return nullptr;
}

RepresentationRules RepresentationRules::from_json(const json& j, const std::string& source) {
  if (!j.is_object() || !j.contains("types") || !j["types"].is_array())
    throw FormError(source, "must be an object with a \"types\" array");
  RepresentationRules rules;
  for (size_t i = 0; i < j["types"].size(); ++i) {
    const json& t = j["types"][i];
    const std::string w = source + ": types[" + std::to_string(i) + "]";
    if (!t.is_object() || !t.contains("code") || !t["code"].is_string()) throw FormError(w, "needs a \"code\"");
    RepresentationType type;
    try {
      type.code = t["code"].get<std::string>();
      type.min_representative_age = t.value("min_representative_age", 18);
      if (t.contains("min_represented_age")) type.min_represented_age = t["min_represented_age"].get<int>();
      if (t.contains("max_represented_age")) type.max_represented_age = t["max_represented_age"].get<int>();
      type.min_giver_age = t.value("min_giver_age", 0);
      type.digital_route = t.value("digital_route", true);
      if (t.contains("max_duration_years")) type.max_duration_years = t["max_duration_years"].get<int>();
      type.evidence = t.value("evidence", std::vector<std::string>{});
      type.nearest_relative_only = t.value("nearest_relative_only", false);
    } catch (const json::exception& e) {
      throw FormError(w, std::string("has a value of the wrong type: ") + e.what());
    }
    if (type.code != "self" && type.min_representative_age < 18)
      throw FormError(w, "a representative must be an adult (min_representative_age >= 18)");
    if (rules.find(type.code)) throw FormError(w, "duplicate code \"" + type.code + "\"");
    rules.types.push_back(std::move(type));
  }
  if (!rules.find("self")) throw FormError(source, "the type \"self\" is missing");
  return rules;
}

RepresentationRules RepresentationRules::load(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw FormError(file.string(), "cannot open the representation rules");
  try {
    return from_json(json::parse(in), file.string());
  } catch (const json::parse_error& e) {
    throw FormError(file.string(), std::string("is not valid JSON: ") + e.what());
  }
}

namespace {
void refuse(RepresentationDecision& d, const std::string& code) {
  d.refusals.push_back({code, "representation.refusal." + code});
}
}  // namespace

RepresentationDecision check_representation(const RepresentationRules& rules, const Questionnaire& form,
                                            const RepresentationRequest& req) {
  RepresentationDecision d;
  const RepresentationType* type = rules.find(req.type_code);
  if (!type) {
    refuse(d, "unknown-type");
    return d;
  }
  if (auto reason = form.representation_refusal(type->code))
    refuse(d, *reason);  // the owner's own rule, with its way forward
  else if (!form.allows_representation(type->code))
    refuse(d, "form-not-allowed-for-type");

  const IdentityResult person = validate_identity_number(req.represented.identity_number);
  if (!person.valid) refuse(d, "represented-invalid-number");

  const bool self = type->code == "self";
  std::optional<IdentityResult> rep;
  if (!self) {
    if (!req.representative) {
      refuse(d, "representative-missing");
    } else {
      rep = validate_identity_number(req.representative->identity_number);
      if (!rep->valid)
        refuse(d, "representative-invalid-number");
      else if (req.representative->identity_number == req.represented.identity_number)
        refuse(d, "same-person");
    }
    // Protected addresses (strengt fortrolig adresse) rule out representation both ways.
    if (req.represented.protected_address) refuse(d, "represented-protected-address");
    if (req.representative && req.representative->protected_address) refuse(d, "representative-protected-address");
  }

  if (person.valid) {
    const int age = age_on(person.birth_date, req.today);
    if (type->min_represented_age && age < *type->min_represented_age) refuse(d, "represented-too-young");
    if (type->max_represented_age && age >= *type->max_represented_age) refuse(d, "represented-too-old");
    if (type->min_giver_age > 0 && age < type->min_giver_age) refuse(d, "giver-too-young");
  }
  if (rep && rep->valid) {
    const int rep_age = age_on(rep->birth_date, req.today);
    if (rep_age < type->min_representative_age) refuse(d, "representative-under-18");
  }
  if (type->nearest_relative_only && !req.is_nearest_relative) refuse(d, "not-nearest-relative");

  for (const auto& code : type->evidence)
    if (std::find(req.evidence_provided.begin(), req.evidence_provided.end(), code) == req.evidence_provided.end())
      d.missing_evidence.push_back(code);
  for (const auto& code : form.attachments)
    if (std::find(req.evidence_provided.begin(), req.evidence_provided.end(), code) == req.evidence_provided.end() &&
        std::find(d.missing_evidence.begin(), d.missing_evidence.end(), code) == d.missing_evidence.end())
      d.missing_evidence.push_back(code);

  d.manual_processing = !type->digital_route;
  d.allowed = d.refusals.empty();
  return d;
}

}  // namespace forms
