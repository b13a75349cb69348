#pragma once
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forms/identity.hpp"
#include "forms/localized_text.hpp"

namespace forms {

class Questionnaire;

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

}  // namespace forms
