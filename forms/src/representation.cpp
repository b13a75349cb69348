#include "forms/representation.hpp"

#include <algorithm>
#include <fstream>

#include "forms/answers.hpp"
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

namespace {

using RA = RepresentationAnswer;

// Overwrites an answer's text before it is dropped (identity numbers must not linger in freed memory).
void clear_answer(Answers& answers, const std::string& link_id) {
  auto it = answers.values.find(link_id);
  if (it == answers.values.end()) return;
  for (auto& v : it->second) {
    volatile char* p = v.text.data();
    for (size_t i = 0; i < v.text.size(); ++i) p[i] = 0;
  }
  answers.values.erase(it);
}

void put(Answers& answers, const std::string& link_id, AnswerValue value) {
  if (const auto* have = answers.first(link_id); have && *have == value && answers.values[link_id].size() == 1) return;
  clear_answer(answers, link_id);
  answers.set(link_id, std::move(value));
}

bool is_identity(const Item& item) {
  return item.type == ItemType::String && item.input_kind == InputKind::IdentityNumber;
}

}  // namespace

bool answered_by_who_screens(const Item& item, const std::string& type) {
  switch (item.representation_answer) {
    case RA::ActingForOther:
    case RA::RepresentativeId:
      return true;
    case RA::Type:
      // A type the item has no option for cannot be ticked for the person: then the form asks it
      // (a catalogue form always lists every type it takes; a test checks that).
      return type == "self" || std::any_of(item.options.begin(), item.options.end(),
                                           [&](const AnswerOption& o) { return o.code == type; });
    case RA::RepresentedId:
      return type != "self";
    default:
      return false;
  }
}

const Item* represented_id_item(const Questionnaire& form) {
  if (const Item* declared = form.representation_item(RA::RepresentedId)) return declared;
  for (const Item* item : form.all_items()) {
    if (item->representation_answer != RA::None) continue;
    if (is_identity(*item)) return item;
  }
  return nullptr;
}

void answer_representation_items(const Questionnaire& form, const WhoAnswers& who, Answers& answers) {
  const bool other = !who.type.empty() && who.type != "self";
  if (const Item* item = form.representation_item(RA::ActingForOther))
    put(answers, item->link_id, AnswerValue::of_bool(other));
  if (const Item* item = form.representation_item(RA::Type)) {
    // A type the item has no option for is left to the person (the form asks it).
    const bool listed = std::any_of(item->options.begin(), item->options.end(),
                                    [&](const AnswerOption& o) { return o.code == who.type; });
    if (other && listed)
      put(answers, item->link_id, AnswerValue::of_coding(who.type));
    else if (!other)
      clear_answer(answers, item->link_id);
  }
  if (const Item* item = form.representation_item(RA::RepresentativeId)) {
    if (other && !who.representative_id.empty())
      put(answers, item->link_id, AnswerValue::of_string(who.representative_id));
    else
      clear_answer(answers, item->link_id);
  }
  if (const Item* item = represented_id_item(form))
    if (!who.represented_id.empty()) put(answers, item->link_id, AnswerValue::of_string(who.represented_id));
}

std::vector<std::string> representation_disagreements(const Questionnaire& form, const WhoAnswers& who,
                                                      const Answers& answers) {
  Answers expected = answers;
  answer_representation_items(form, who, expected);
  std::vector<std::string> out;
  for (const Item* item : form.all_items()) {
    const bool mapped = item->representation_answer != RA::None && item->representation_answer != RA::NotRepresentation;
    if (!mapped && item != represented_id_item(form)) continue;
    const auto a = answers.values.find(item->link_id);
    const auto e = expected.values.find(item->link_id);
    const bool has_a = a != answers.values.end(), has_e = e != expected.values.end();
    if (has_a != has_e || (has_a && a->second != e->second)) out.push_back(item->link_id);
  }
  expected.wipe();
  return out;
}

std::vector<std::string> undeclared_representation_items(const Questionnaire& form, const RepresentationRules& rules) {
  auto looks_like = [&](const Item& item) {
    if (is_identity(item)) return true;
    if (item.type == ItemType::Choice)
      for (const auto& option : item.options)
        if (option.code != "self" && rules.find(option.code)) return true;
    return false;
  };
  std::vector<const Item*> suspects;
  for (const Item* item : form.all_items())
    if (looks_like(*item)) suspects.push_back(item);
  // A yes/no item that such items depend on ("Fyller du ut for en annen?") is one too.
  for (const Item* item : form.all_items()) {
    if (item->type != ItemType::Boolean) continue;
    bool gates = false;
    for (const Item* other : form.all_items())
      for (const auto& cond : other->enable_when)
        if (cond.question == item->link_id && looks_like(*other)) gates = true;
    if (gates) suspects.push_back(item);
  }
  std::vector<std::string> out;
  for (const Item* item : suspects)
    if (item->representation_answer == RA::None) out.push_back(item->link_id);
  return out;
}

}  // namespace forms
