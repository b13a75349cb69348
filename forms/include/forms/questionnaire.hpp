#pragma once
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forms/localized_text.hpp"

namespace forms {

// Extension URLs. The kiosk's own print and catalogue hints live under kKioskExtensionBase;
// the platform's translation extension is the standard FHIR one.
inline constexpr const char* kTranslationExtension = "http://hl7.org/fhir/StructureDefinition/translation";
inline constexpr const char* kKioskExtensionBase = "http://kiosk.ekstraenkel.no/fhir/StructureDefinition/";
inline constexpr const char* kHelsenorgeExtensionBase = "http://helsenorge.no/fhir/StructureDefinition/";
// The platform's form profiles (fhir-sdf) define sdf-canbeperformedby and
// sdf-authenticationrequirement under the e-health directorate's base, with the value sets
// CanBePerformedBy (1 Default: a representative may answer, 2 SubjectOnly) and
// AuthenticationRequirement (1 Anonymous, 2 Optional, 3 Required).
// Code systems the kiosk assigns to coded options that the catalogue leaves without one: the
// representation types (the same codes as assets/representation.json) and, for any other
// option set, one code system per form and question under kKioskCodeSystemBase.
inline constexpr const char* kKioskCodeSystemBase = "http://kiosk.ekstraenkel.no/fhir/CodeSystem/";
inline constexpr const char* kRepresentationTypeSystem =
    "http://kiosk.ekstraenkel.no/fhir/CodeSystem/representation-type";
inline constexpr const char* kSdfExtensionBase = "http://ehelse.no/fhir/StructureDefinition/";
inline constexpr const char* kSdfCanBePerformedBySystem = "http://ehelse.no/fhir/ValueSet/CanBePerformedBy";
inline constexpr const char* kSdfAuthenticationRequirementSystem =
    "http://ehelse.no/fhir/ValueSet/AuthenticationRequirement";

// The FHIR R4 Questionnaire item types this project supports (DESIGN.md section 3).
enum class ItemType { Group, Display, String, Text, Boolean, Choice, Date, Integer, Attachment };

std::string to_string(ItemType type);
std::optional<ItemType> item_type_from_string(const std::string& s);

// What a string item holds. Decides validation and the printed boxes.
enum class InputKind { Free, IdentityNumber, Name, Phone, Postcode };
std::string to_string(InputKind kind);
std::optional<InputKind> input_kind_from_string(const std::string& s);

// What an item asks about the representation (extension "representation-answer"), so the
// kiosk's who-screens answer it and it is never asked twice. Declared per item in the form,
// never guessed from its text:
//  - acting-for-other: a yes/no item, yes when someone else fills in the form;
//  - representation-type: a choice item whose codes are representation type codes;
//  - representative-id / represented-id: the identity numbers of the person acting and of
//    the person the form is about;
//  - not-representation: looks like one (an identity number) but the who-screens do not
//    answer it (the agent named in a power of attorney): asked in the form as it is.
enum class RepresentationAnswer { None, ActingForOther, Type, RepresentativeId, RepresentedId, NotRepresentation };
std::string to_string(RepresentationAnswer answer);
std::optional<RepresentationAnswer> representation_answer_from_string(const std::string& s);

// How an item is printed on paper.
enum class PrintBoxes { None, Digits, Letters, Lines, Ticks, Signature };

struct AnswerOption {
  std::string code;
  LocalizedText display;
  // The code system of `code`: the catalogue's own valueCoding.system when it gives one, else
  // the one the parser assigns (option_code_system). Never empty after parsing; FHIR wants a
  // Coding's system so that a receiver can tell one question's "all" from another's.
  std::string system = {};
};

// A value given for an item, the subset of QuestionnaireResponse.answer[x] we support.
struct AnswerValue {
  enum class Kind { Boolean, String, Integer, Date, Coding } kind = Kind::String;
  bool boolean = false;
  long long integer = 0;
  std::string text;  // string, date (YYYY-MM-DD) or coding code

  static AnswerValue of_bool(bool b);
  static AnswerValue of_string(std::string s);
  static AnswerValue of_integer(long long i);
  static AnswerValue of_date(std::string iso);
  static AnswerValue of_coding(std::string code);
  bool operator==(const AnswerValue& other) const;
  // Plain text for logs, prints and tests: "true", "2024-01-31", the code, ...
  std::string to_display_string() const;
};

struct EnableWhen {
  std::string question;  // linkId of the item it depends on
  std::string op;        // "exists", "=", "!=", ">", "<", ">=", "<="
  AnswerValue answer;    // ignored for "exists" except its boolean
};

struct Item {
  std::string link_id;
  ItemType type = ItemType::Display;
  LocalizedText text;
  bool required = false;
  bool repeats = false;
  InputKind input_kind = InputKind::Free;
  int max_length = 0;  // 0: no limit
  RepresentationAnswer representation_answer = RepresentationAnswer::None;
  std::vector<AnswerOption> options;
  std::vector<AnswerValue> initial;
  std::vector<EnableWhen> enable_when;
  bool enable_when_all = true;  // enableBehavior "all" (default) or "any"
  std::vector<Item> items;      // children of a group

  PrintBoxes print_boxes() const;
  // Number of boxes to print for digit/letter items (dates: 8 for DDMMYYYY).
  int box_count() const;
};

// The body that decides on a form and where a printed copy is posted (assets/forms/owners.json).
struct FormOwner {
  std::string code;            // "helfo", "helsedirektoratet", ...
  LocalizedText name;          // "Helfo"; translated when it is not a proper name
  std::string postal_address;  // empty when no public source gives one: print `web` instead
  std::string web;             // short web address for print: "helfo.no"
  std::string source;          // URL where the address or the owner's rules are published
};

// Whether a real form exists (official, with a source) or the kiosk proposes the route.
// Unknown only for forms loaded without the catalogue's owners.json (tests, imports).
enum class FormStatus { Unknown, Official, Proposed };
std::string to_string(FormStatus status);

// The catalogue entry: FHIR Questionnaire plus the kiosk's catalogue metadata.
struct Questionnaire {
  std::filesystem::path source;  // file it was read from (empty when parsed from memory)
  std::string id;
  std::string url;
  std::string version;
  std::string status;
  LocalizedText title;                      // plain-language title shown and printed
  LocalizedText official_title;             // the platform's formal name of the paper form
  LocalizedText description;                // one plain sentence: what the form is for
  std::string category;                     // task category code (see TaskCategory)
  std::vector<std::string> representation;  // allowed representation type codes
  bool signature_required = true;
  std::vector<std::string> attachments;                   // required attachment codes
  std::optional<std::string> can_be_performed_by;         // sdf-canbeperformedby code
  std::optional<std::string> authentication_requirement;  // sdf-authenticationrequirement code
  std::vector<Item> items;
  std::optional<FormOwner> owner;  // from owners.json
  FormStatus catalogue_status = FormStatus::Unknown;
  std::string status_source;  // official: where the real form is published
  std::string status_note;    // proposed: why no real form is known (English, for staff)
  bool proposed() const { return catalogue_status == FormStatus::Proposed; }
  // Kinds of help the owner does not take for this form (owners.json "refuse"): representation
  // type code -> refusal code (translated under representation.refusal.<code>, with the way forward).
  std::map<std::string, std::string> refused_representation;
  std::optional<std::string> representation_refusal(const std::string& type) const;

  // Depth-first list of every item (groups included).
  std::vector<const Item*> all_items() const;
  const Item* find_item(const std::string& link_id) const;
  bool allows_representation(const std::string& type) const;
  // The item declared to answer `what` (at most one per form), or null.
  const Item* representation_item(RepresentationAnswer what) const;
};

// Parses a Questionnaire resource. Throws FormError naming `source_name` and the
// element for anything outside the supported subset.
Questionnaire parse_questionnaire(const nlohmann::json& json, const std::string& source_name);
Questionnaire load_questionnaire_file(const std::filesystem::path& path);

// The code system the parser gives an option set without one: the representation-type system
// when every code is a representation type the form allows (its "who may submit" list, the
// helper's role), else kKioskCodeSystemBase + "<form id>/<linkId>".
std::string option_code_system(const Questionnaire& form, const Item& item);

// The Questionnaire as the platform is given it (`kioskctl forms export`), from the catalogue
// file's JSON: standard FHIR R4 where the catalogue uses the kiosk's own spelling. Each item's
// max-length extension becomes item.maxLength, and every coded option, initial value and
// enableWhen answer carries its code system (the one the QuestionnaireResponse's answers
// carry). Everything else is copied as it is. Throws FormError like parse_questionnaire.
nlohmann::json platform_questionnaire(const nlohmann::json& catalogue_json, const std::string& source_name);

// Reads a localized FHIR string: the base value plus `_field` translations.
LocalizedText read_localized(const nlohmann::json& parent, const std::string& field, const std::string& where);

}  // namespace forms
