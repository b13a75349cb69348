#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forms/identity.hpp"
#include "forms/localized_text.hpp"

namespace forms {

struct Questionnaire;
struct Item;
struct Answers;

// One way of acting for someone, read from assets/representation.json.
struct RepresentationType {
  std::string code;  // "self", "parent-under-12", "power-of-attorney", ...
  int min_representative_age = 18;
  std::optional<int> min_represented_age;  // inclusive
  std::optional<int> max_represented_age;  // exclusive: "under 16" is 16
  int min_giver_age = 0;                   // power of attorney: the person giving it
  bool digital_route = true;               // false: queued for manual processing
  std::optional<int> max_duration_years;
  std::vector<std::string> evidence;  // attachment codes required
  bool nearest_relative_only = false;
};

struct RepresentationRules {
  std::vector<RepresentationType> types;
  const RepresentationType* find(const std::string& code) const;
  static RepresentationRules load(const std::filesystem::path& file);
  static RepresentationRules from_json(const nlohmann::json& json, const std::string& source_name);
};

// The people involved in one request.
struct Party {
  std::string identity_number;     // as typed; validated by check()
  bool protected_address = false;  // strengt fortrolig adresse
};

struct RepresentationRequest {
  std::string type_code;                       // "self" when the person acts for themself
  Party represented;                           // the person the form is about
  std::optional<Party> representative;         // absent for "self"
  bool is_nearest_relative = false;            // declared for power of attorney without consent competence
  std::vector<std::string> evidence_provided;  // attachment codes scanned or brought
  CivilDate today;
};

// A reason a request is not allowed, as a translation key plus a stable code.
struct RepresentationRefusal {
  std::string code;         // e.g. "representative-under-18"
  std::string message_key;  // e.g. "representation.refusal.representative-under-18"
};

struct RepresentationDecision {
  bool allowed = false;
  std::vector<RepresentationRefusal> refusals;
  std::vector<std::string> missing_evidence;  // codes still needed before it can be sent
  bool manual_processing = false;             // no digital route: queued for a caseworker
};

// Applies the rules: identity numbers, ages, protected addresses, the form's allowed
// types, evidence. Every reason is returned, not only the first.
RepresentationDecision check_representation(const RepresentationRules& rules, const Questionnaire& form,
                                            const RepresentationRequest& request);

// What the kiosk's who-screens learned (who acts, on what authority, for whom): the one
// truth that answers a form's representation items (RepresentationAnswer in questionnaire.hpp).
struct WhoAnswers {
  std::string type = "self";      // representation type code
  std::string representative_id;  // empty for "self"
  std::string represented_id;     // empty while not known (for "self" it is asked in the form)
};

// Whether the who-screens answer `item` for this type, so the form never asks it: for "self"
// the yes/no, the type and the representative's number; for anyone acting for another person
// also the represented person's number (typed on its own screen). A type item without an option
// for this type is left to the form.
bool answered_by_who_screens(const Item& item, const std::string& type);

// The item holding the number of the person the form is about: the declared represented-id
// item; a form that declares none (an import not yet mapped) uses its first identity number.
const Item* represented_id_item(const Questionnaire& form);

// Writes the who-screens' answers into the form's representation items, and clears those that
// do not apply (a representative's number on a form filled in for oneself). An empty
// represented_id leaves its item as it is.
void answer_representation_items(const Questionnaire& form, const WhoAnswers& who, Answers& answers);

// The linkIds of representation items whose answers differ from `who`: empty when the form's
// answers (QuestionnaireResponse, printed sheet) and the Provenance agree.
std::vector<std::string> representation_disagreements(const Questionnaire& form, const WhoAnswers& who,
                                                      const Answers& answers);

// Items that look like representation questions but declare no representation-answer: identity
// numbers, choices whose codes are representation types, and yes/no items such items depend on.
// Every catalogue form must have none (a test fails loudly on one).
std::vector<std::string> undeclared_representation_items(const Questionnaire& form, const RepresentationRules& rules);

}  // namespace forms
