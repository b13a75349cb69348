#pragma once
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forms/questionnaire.hpp"

namespace forms {

// The answers given to one form, keyed by linkId. Kept flat because the printed and
// scanned forms address fields by linkId alone.
struct Answers {
  std::map<std::string, std::vector<AnswerValue>> values;

  bool has(const std::string& link_id) const;
  const AnswerValue* first(const std::string& link_id) const;
  void set(const std::string& link_id, AnswerValue value);
  void clear(const std::string& link_id) { values.erase(link_id); }
  // Overwrites every stored character before dropping it, so a wiped session leaves
  // nothing readable behind in freed memory.
  void wipe();
};

// One problem with an answer, with a stable code (for tests and translations) and the
// linkId it belongs to. `message_key` is a translation-catalogue key.
struct AnswerIssue {
  std::string link_id;
  std::string code;         // e.g. "required", "invalid-identity-number", "not-enabled"
  std::string message_key;  // e.g. "error.required"
};

// Is the item shown, given the answers so far (enableWhen, enableBehavior)?
bool is_enabled(const Item& item, const Answers& answers);

// Checks answers against the form: required answers, types, options, identity numbers,
// dates, answers to questions that are not enabled. Empty when all is well.
std::vector<AnswerIssue> validate_answers(const Questionnaire& form, const Answers& answers);

// Reads answers from JSON: either a FHIR QuestionnaireResponse or a flat object
// {"linkId": value, ...}. Throws FormError when a linkId is unknown or a value has the
// wrong type for its item; does not check completeness (see validate_answers).
Answers parse_answers(const nlohmann::json& json, const Questionnaire& form, const std::string& source_name);

// A FHIR R4 QuestionnaireResponse for these answers (nested like the form's groups).
nlohmann::json to_questionnaire_response(const Questionnaire& form, const Answers& answers, const std::string& status,
                                         const std::string& authored_iso);

// Fills the form with a complete, valid synthetic example (synthetic test identity
// numbers), the same for the same seed. For demos and tests.
Answers make_example_answers(const Questionnaire& form, unsigned seed);

}  // namespace forms
