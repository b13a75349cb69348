#include "forms/questionnaire.hpp"

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "forms/error.hpp"
#include "forms/identity.hpp"

namespace forms {

using nlohmann::json;

namespace {

const std::map<std::string, ItemType>& item_type_names() {
  static const std::map<std::string, ItemType> names = {
      {"group", ItemType::Group}, {"display", ItemType::Display}, {"string", ItemType::String},
      {"text", ItemType::Text},   {"boolean", ItemType::Boolean}, {"choice", ItemType::Choice},
      {"date", ItemType::Date},   {"integer", ItemType::Integer}, {"attachment", ItemType::Attachment}};
  return names;
}

const std::map<std::string, InputKind>& input_kind_names() {
  static const std::map<std::string, InputKind> names = {{"free", InputKind::Free},
                                                         {"identity-number", InputKind::IdentityNumber},
                                                         {"name", InputKind::Name},
                                                         {"phone", InputKind::Phone},
                                                         {"postcode", InputKind::Postcode}};
  return names;
}

const std::map<std::string, RepresentationAnswer>& representation_answer_names() {
  static const std::map<std::string, RepresentationAnswer> names = {
      {"acting-for-other", RepresentationAnswer::ActingForOther},
      {"representation-type", RepresentationAnswer::Type},
      {"representative-id", RepresentationAnswer::RepresentativeId},
      {"represented-id", RepresentationAnswer::RepresentedId},
      {"not-representation", RepresentationAnswer::NotRepresentation}};
  return names;
}

std::string kiosk_ext(const char* name) {
  return std::string(kKioskExtensionBase) + name;
}
std::string sdf_ext(const char* name) {
  return std::string(kSdfExtensionBase) + name;
}

const json* find_member(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it == obj.end() ? nullptr : &*it;
}

std::string require_string(const json& obj, const char* key, const std::string& where) {
  const json* v = find_member(obj, key);
  if (!v) throw FormError(where, std::string("missing \"") + key + "\"");
  if (!v->is_string() || v->get_ref<const std::string&>().empty())
    throw FormError(where, std::string("\"") + key + "\" must be a non-empty string");
  return v->get<std::string>();
}

std::string optional_string(const json& obj, const char* key, const std::string& where) {
  const json* v = find_member(obj, key);
  if (!v) return {};
  if (!v->is_string()) throw FormError(where, std::string("\"") + key + "\" must be a string");
  return v->get<std::string>();
}

bool optional_bool(const json& obj, const char* key, bool fallback, const std::string& where) {
  const json* v = find_member(obj, key);
  if (!v) return fallback;
  if (!v->is_boolean()) throw FormError(where, std::string("\"") + key + "\" must be true or false");
  return v->get<bool>();
}

const json& array_member(const json& obj, const char* key, const std::string& where) {
  static const json empty = json::array();
  const json* v = find_member(obj, key);
  if (!v) return empty;
  if (!v->is_array()) throw FormError(where, std::string("\"") + key + "\" must be an array");
  return *v;
}

std::string element(const std::string& where, const std::string& key, size_t index) {
  return where + "." + key + "[" + std::to_string(index) + "]";
}

// Reads an sdf- coding and checks it against the profile's value set, so a guessed
// system or code is caught instead of being passed on to the platform.
std::string read_sdf_code(const json& ext, const char* system, const std::set<std::string>& codes,
                          const std::string& where) {
  const json* c = find_member(ext, "valueCoding");
  if (!c || !c->is_object()) throw FormError(where, "needs a valueCoding");
  const std::string w = where + ".valueCoding";
  const std::string code = require_string(*c, "code", w);
  if (optional_string(*c, "system", w) != system) throw FormError(w, std::string("system must be \"") + system + "\"");
  if (!codes.count(code)) throw FormError(w, "\"" + code + "\" is not a code of " + system);
  return code;
}

// Reads an answer[x]-style value (valueBoolean, answerCoding, ...) with the given prefix.
std::optional<AnswerValue> read_typed_value(const json& obj, const std::string& prefix, const std::string& where) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    const std::string& key = it.key();
    if (key.rfind(prefix, 0) != 0 || key.size() == prefix.size()) continue;
    const std::string type = key.substr(prefix.size());
    const json& v = it.value();
    if (type == "Boolean" && v.is_boolean()) return AnswerValue::of_bool(v.get<bool>());
    if (type == "String" && v.is_string()) return AnswerValue::of_string(v.get<std::string>());
    if (type == "Integer" && v.is_number_integer()) return AnswerValue::of_integer(v.get<long long>());
    if (type == "Date" && v.is_string()) {
      if (!parse_iso_date(v.get<std::string>()))
        throw FormError(where, "\"" + key + "\" is not a valid date (YYYY-MM-DD)");
      return AnswerValue::of_date(v.get<std::string>());
    }
    if (type == "Coding" && v.is_object()) return AnswerValue::of_coding(require_string(v, "code", where + "." + key));
    if (type == "Coding" || type == "Boolean" || type == "String" || type == "Integer" || type == "Date")
      throw FormError(where, "\"" + key + "\" has the wrong JSON type");
    throw FormError(where, "\"" + key + "\" is not a supported value type");
  }
  return std::nullopt;
}

AnswerOption read_option(const json& j, const std::string& where) {
  if (!j.is_object()) throw FormError(where, "answerOption must be an object");
  const json* coding = find_member(j, "valueCoding");
  if (!coding || !coding->is_object())
    throw FormError(where, "answerOption needs a valueCoding (only coded options are supported)");
  AnswerOption option;
  option.code = require_string(*coding, "code", where + ".valueCoding");
  option.display = read_localized(*coding, "display", where + ".valueCoding");
  if (option.display.empty()) throw FormError(where + ".valueCoding", "missing \"display\"");
  option.system = optional_string(*coding, "system", where + ".valueCoding");
  return option;
}

void read_item_extensions(const json& j, Item& item, const std::string& where) {
  const json& exts = array_member(j, "extension", where);
  for (size_t i = 0; i < exts.size(); ++i) {
    const std::string w = element(where, "extension", i);
    const std::string url = require_string(exts[i], "url", w);
    if (url == kiosk_ext("input-kind")) {
      auto kind = input_kind_from_string(require_string(exts[i], "valueCode", w));
      if (!kind) throw FormError(w, "unknown input-kind \"" + exts[i]["valueCode"].get<std::string>() + "\"");
      item.input_kind = *kind;
    } else if (url == kiosk_ext("max-length")) {
      const json* v = find_member(exts[i], "valueInteger");
      if (!v || !v->is_number_integer() || v->get<int>() <= 0 || v->get<int>() > 200)
        throw FormError(w, "max-length needs a valueInteger from 1 to 200");
      item.max_length = v->get<int>();
    } else if (url == kiosk_ext("representation-answer")) {
      const std::string code = require_string(exts[i], "valueCode", w);
      auto answer = representation_answer_from_string(code);
      if (!answer) throw FormError(w, "unknown representation-answer \"" + code + "\"");
      item.representation_answer = *answer;
    }
    // Other extensions (rendering hints of other systems) are allowed and ignored.
  }
}

Item read_item(const json& j, const std::string& where, std::set<std::string>& link_ids) {
  if (!j.is_object()) throw FormError(where, "item must be an object");
  Item item;
  item.link_id = require_string(j, "linkId", where);
  const std::string w = where + "(" + item.link_id + ")";
  if (!link_ids.insert(item.link_id).second) throw FormError(w, "duplicate linkId \"" + item.link_id + "\"");
  const std::string type = require_string(j, "type", w);
  auto parsed = item_type_from_string(type);
  if (!parsed) throw FormError(w, "unsupported item type \"" + type + "\"");
  item.type = *parsed;
  item.text = read_localized(j, "text", w);
  if (item.text.empty() && item.type != ItemType::Group) throw FormError(w, "missing \"text\"");
  item.required = optional_bool(j, "required", false, w);
  item.repeats = optional_bool(j, "repeats", false, w);
  read_item_extensions(j, item, w);
  // The standard element (FHIR R4 item.maxLength), as the platform's own forms and
  // `forms export` spell it; the catalogue's max-length extension means the same.
  if (const json* n = find_member(j, "maxLength")) {
    if (!n->is_number_integer() || n->get<long long>() < 1 || n->get<long long>() > 200)
      throw FormError(w, "maxLength must be a whole number from 1 to 200");
    if (item.max_length != 0 && item.max_length != n->get<int>())
      throw FormError(w, "maxLength and the max-length extension disagree");
    item.max_length = n->get<int>();
  }

  const json& options = array_member(j, "answerOption", w);
  for (size_t i = 0; i < options.size(); ++i)
    item.options.push_back(read_option(options[i], element(w, "answerOption", i)));
  if (item.type == ItemType::Choice && item.options.empty()) throw FormError(w, "a choice item needs answerOption");
  if (item.type != ItemType::Choice && !item.options.empty())
    throw FormError(w, "answerOption is only allowed on choice items");
  std::set<std::string> codes;
  for (const auto& o : item.options)
    if (!codes.insert(o.code).second) throw FormError(w, "duplicate answerOption code \"" + o.code + "\"");

  const json& initial = array_member(j, "initial", w);
  for (size_t i = 0; i < initial.size(); ++i) {
    auto v = read_typed_value(initial[i], "value", element(w, "initial", i));
    if (!v) throw FormError(element(w, "initial", i), "initial needs a value[x]");
    item.initial.push_back(*v);
  }

  const json& when = array_member(j, "enableWhen", w);
  for (size_t i = 0; i < when.size(); ++i) {
    const std::string ew = element(w, "enableWhen", i);
    EnableWhen cond;
    cond.question = require_string(when[i], "question", ew);
    cond.op = require_string(when[i], "operator", ew);
    static const std::set<std::string> ops = {"exists", "=", "!=", ">", "<", ">=", "<="};
    if (!ops.count(cond.op)) throw FormError(ew, "unknown operator \"" + cond.op + "\"");
    auto v = read_typed_value(when[i], "answer", ew);
    if (!v) throw FormError(ew, "enableWhen needs an answer[x]");
    cond.answer = *v;
    item.enable_when.push_back(cond);
  }
  const std::string behavior = optional_string(j, "enableBehavior", w);
  if (!behavior.empty() && behavior != "all" && behavior != "any")
    throw FormError(w, "enableBehavior must be \"all\" or \"any\"");
  item.enable_when_all = behavior != "any";
  if (item.enable_when.size() > 1 && behavior.empty())
    throw FormError(w, "enableBehavior is required with more than one enableWhen");

  const json& children = array_member(j, "item", w);
  if (!children.empty() && item.type != ItemType::Group) throw FormError(w, "only group items may contain items");
  if (item.type == ItemType::Group && children.empty()) throw FormError(w, "a group needs at least one item");
  for (size_t i = 0; i < children.size(); ++i)
    item.items.push_back(read_item(children[i], element(w, "item", i), link_ids));
  return item;
}

void collect(const std::vector<Item>& items, std::vector<const Item*>& out) {
  for (const auto& item : items) {
    out.push_back(&item);
    collect(item.items, out);
  }
}

// A representation answer must fit its item (the who-screens fill it in), and each is declared once.
void check_representation_answers(const Questionnaire& q, const std::string& where) {
  std::set<RepresentationAnswer> seen;
  for (const Item* item : q.all_items()) {
    const auto what = item->representation_answer;
    if (what == RepresentationAnswer::None) continue;
    const std::string w = where + ": item(" + item->link_id + ") representation-answer " + to_string(what);
    const bool identity = item->type == ItemType::String && item->input_kind == InputKind::IdentityNumber;
    if (what == RepresentationAnswer::ActingForOther && item->type != ItemType::Boolean)
      throw FormError(w, "needs a boolean item");
    if (what == RepresentationAnswer::Type && item->type != ItemType::Choice) throw FormError(w, "needs a choice item");
    if ((what == RepresentationAnswer::RepresentativeId || what == RepresentationAnswer::RepresentedId) && !identity)
      throw FormError(w, "needs a string item with input-kind identity-number");
    if (what != RepresentationAnswer::NotRepresentation && !seen.insert(what).second)
      throw FormError(w, "is declared on more than one item");
  }
}

void check_enable_when_targets(const Questionnaire& q, const std::string& where) {
  for (const Item* item : q.all_items()) {
    for (size_t i = 0; i < item->enable_when.size(); ++i) {
      const auto& cond = item->enable_when[i];
      const std::string ew = where + ": item(" + item->link_id + ").enableWhen[" + std::to_string(i) + "]";
      const Item* target = q.find_item(cond.question);
      if (!target) throw FormError(ew, "refers to unknown linkId \"" + cond.question + "\"");
      if (target == item) throw FormError(ew, "an item cannot depend on itself");
      if (target->type == ItemType::Group || target->type == ItemType::Display)
        throw FormError(ew, "refers to \"" + cond.question + "\", which has no answer");
      if (target->type == ItemType::Choice && cond.op != "exists") {
        bool known = false;
        for (const auto& o : target->options) known = known || o.code == cond.answer.text;
        if (cond.answer.kind != AnswerValue::Kind::Coding || !known)
          throw FormError(ew, "answer is not one of the options of \"" + cond.question + "\"");
      }
      if (target->type == ItemType::Boolean && cond.op != "exists" && cond.answer.kind != AnswerValue::Kind::Boolean)
        throw FormError(ew, "\"" + cond.question + "\" is a yes/no question; use answerBoolean");
    }
  }
}

}  // namespace

const Item* Questionnaire::representation_item(RepresentationAnswer what) const {
  for (const Item* item : all_items())
    if (item->representation_answer == what) return item;
  return nullptr;
}

std::optional<std::string> Questionnaire::representation_refusal(const std::string& type) const {
  const auto it = refused_representation.find(type);
  if (it == refused_representation.end()) return std::nullopt;
  return it->second;
}

std::string to_string(FormStatus status) {
  switch (status) {
    case FormStatus::Official:
      return "official";
    case FormStatus::Proposed:
      return "proposed";
    case FormStatus::Unknown:
      break;
  }
  return "unknown";
}

std::string to_string(ItemType type) {
  for (const auto& [name, t] : item_type_names())
    if (t == type) return name;
  return "unknown";
}

std::optional<ItemType> item_type_from_string(const std::string& s) {
  auto it = item_type_names().find(s);
  if (it == item_type_names().end()) return std::nullopt;
  return it->second;
}

std::string to_string(InputKind kind) {
  for (const auto& [name, k] : input_kind_names())
    if (k == kind) return name;
  return "free";
}

std::string to_string(RepresentationAnswer answer) {
  for (const auto& [name, a] : representation_answer_names())
    if (a == answer) return name;
  return "none";
}

std::optional<RepresentationAnswer> representation_answer_from_string(const std::string& s) {
  auto it = representation_answer_names().find(s);
  if (it == representation_answer_names().end()) return std::nullopt;
  return it->second;
}

std::optional<InputKind> input_kind_from_string(const std::string& s) {
  auto it = input_kind_names().find(s);
  if (it == input_kind_names().end()) return std::nullopt;
  return it->second;
}

AnswerValue AnswerValue::of_bool(bool b) {
  AnswerValue v;
  v.kind = Kind::Boolean;
  v.boolean = b;
  return v;
}
AnswerValue AnswerValue::of_string(std::string s) {
  AnswerValue v;
  v.kind = Kind::String;
  v.text = std::move(s);
  return v;
}
AnswerValue AnswerValue::of_integer(long long i) {
  AnswerValue v;
  v.kind = Kind::Integer;
  v.integer = i;
  return v;
}
AnswerValue AnswerValue::of_date(std::string iso) {
  AnswerValue v;
  v.kind = Kind::Date;
  v.text = std::move(iso);
  return v;
}
AnswerValue AnswerValue::of_coding(std::string code) {
  AnswerValue v;
  v.kind = Kind::Coding;
  v.text = std::move(code);
  return v;
}
bool AnswerValue::operator==(const AnswerValue& o) const {
  if (kind != o.kind) return false;
  switch (kind) {
    case Kind::Boolean:
      return boolean == o.boolean;
    case Kind::Integer:
      return integer == o.integer;
    default:
      return text == o.text;
  }
}
std::string AnswerValue::to_display_string() const {
  switch (kind) {
    case Kind::Boolean:
      return boolean ? "true" : "false";
    case Kind::Integer:
      return std::to_string(integer);
    default:
      return text;
  }
}

PrintBoxes Item::print_boxes() const {
  switch (type) {
    case ItemType::Boolean:
    case ItemType::Choice:
      return PrintBoxes::Ticks;
    case ItemType::Date:
    case ItemType::Integer:
      return PrintBoxes::Digits;
    case ItemType::Text:
      return PrintBoxes::Lines;
    case ItemType::String:
      switch (input_kind) {
        case InputKind::IdentityNumber:
        case InputKind::Phone:
        case InputKind::Postcode:
          return PrintBoxes::Digits;
        case InputKind::Name:
          return PrintBoxes::Letters;
        case InputKind::Free:
          return max_length > 0 && max_length <= 40 ? PrintBoxes::Letters : PrintBoxes::Lines;
      }
      return PrintBoxes::Lines;
    default:
      return PrintBoxes::None;
  }
}

int Item::box_count() const {
  if (type == ItemType::Date) return 8;
  if (type == ItemType::Integer) return max_length > 0 ? max_length : 6;
  switch (input_kind) {
    case InputKind::IdentityNumber:
      return 11;
    case InputKind::Phone:
      return 8;
    case InputKind::Postcode:
      return 4;
    case InputKind::Name:
      return max_length > 0 ? max_length : 30;
    case InputKind::Free:
      return max_length;
  }
  return 0;
}

std::vector<const Item*> Questionnaire::all_items() const {
  std::vector<const Item*> out;
  collect(items, out);
  return out;
}

const Item* Questionnaire::find_item(const std::string& link_id) const {
  for (const Item* item : all_items())
    if (item->link_id == link_id) return item;
  return nullptr;
}

bool Questionnaire::allows_representation(const std::string& type) const {
  for (const auto& r : representation)
    if (r == type) return true;
  return false;
}

LocalizedText read_localized(const json& parent, const std::string& field, const std::string& where) {
  LocalizedText text;
  auto base = parent.find(field);
  if (base == parent.end()) return text;
  if (!base->is_string()) throw FormError(where, "\"" + field + "\" must be a string");
  text.set("nb", base->get<std::string>());
  auto ext_holder = parent.find("_" + field);
  if (ext_holder == parent.end()) return text;
  const std::string w = where + "._" + field;
  if (!ext_holder->is_object()) throw FormError(w, "must be an object with \"extension\"");
  const json& exts = array_member(*ext_holder, "extension", w);
  for (size_t i = 0; i < exts.size(); ++i) {
    const std::string ew = element(w, "extension", i);
    if (require_string(exts[i], "url", ew) != kTranslationExtension) continue;
    std::string lang, content;
    const json& parts = array_member(exts[i], "extension", ew);
    for (size_t k = 0; k < parts.size(); ++k) {
      const std::string pw = element(ew, "extension", k);
      const std::string url = require_string(parts[k], "url", pw);
      if (url == "lang")
        lang = require_string(parts[k], "valueCode", pw);
      else if (url == "content")
        content = require_string(parts[k], "valueString", pw);
    }
    if (lang.empty() || content.empty()) throw FormError(ew, "a translation needs both \"lang\" and \"content\"");
    if (!is_known_language(lang)) throw FormError(ew, "unknown language code \"" + lang + "\"");
    if (text.has(lang) && lang != "nb") throw FormError(ew, "second translation for \"" + lang + "\"");
    text.set(lang, content);
  }
  return text;
}

namespace {
// Options without a system get the one option_code_system names; all options of an item share
// one system (a Coding is matched by system and code).
void assign_option_systems(const Questionnaire& q, std::vector<Item>& items) {
  for (auto& item : items) {
    std::string given;
    for (const auto& o : item.options) {
      if (!o.system.empty() && !given.empty() && o.system != given)
        throw FormError(q.source.string() + " (" + q.id + "): item(" + item.link_id + ")",
                        "all answerOption codings of a question must have the same system");
      if (!o.system.empty()) given = o.system;
    }
    const std::string system = given.empty() ? option_code_system(q, item) : given;
    for (auto& o : item.options) o.system = system;
    assign_option_systems(q, item.items);
  }
}
}  // namespace

Questionnaire parse_questionnaire(const json& j, const std::string& source) {
  if (!j.is_object()) throw FormError(source, "not a JSON object");
  if (j.value("resourceType", std::string()) != "Questionnaire")
    throw FormError(source, "resourceType must be \"Questionnaire\"");
  Questionnaire q;
  q.source = source;
  q.id = require_string(j, "id", source);
  const std::string where = source + " (" + q.id + ")";
  q.url = require_string(j, "url", where);
  q.version = require_string(j, "version", where);
  q.status = optional_string(j, "status", where);
  q.title = read_localized(j, "title", where);
  if (q.title.empty()) throw FormError(where, "missing \"title\"");
  q.description = read_localized(j, "description", where);
  if (q.description.empty())
    throw FormError(where, "missing \"description\" (one plain sentence: what the form is for)");

  bool has_signature = false;
  const json& exts = array_member(j, "extension", where);
  for (size_t i = 0; i < exts.size(); ++i) {
    const std::string w = element(where, "extension", i);
    const std::string url = require_string(exts[i], "url", w);
    if (url == kiosk_ext("task-category")) {
      q.category = require_string(exts[i], "valueCode", w);
    } else if (url == kiosk_ext("representation")) {
      q.representation.push_back(require_string(exts[i], "valueCode", w));
    } else if (url == kiosk_ext("signature-required")) {
      q.signature_required = optional_bool(exts[i], "valueBoolean", true, w);
      has_signature = true;
    } else if (url == kiosk_ext("required-attachment")) {
      q.attachments.push_back(require_string(exts[i], "valueCode", w));
    } else if (url == kiosk_ext("official-title")) {
      q.official_title = read_localized(exts[i], "valueString", w);
    } else if (url == sdf_ext("sdf-canbeperformedby")) {
      q.can_be_performed_by = read_sdf_code(exts[i], kSdfCanBePerformedBySystem, {"1", "2"}, w);
    } else if (url == sdf_ext("sdf-authenticationrequirement")) {
      q.authentication_requirement = read_sdf_code(exts[i], kSdfAuthenticationRequirementSystem, {"1", "2", "3"}, w);
    } else if (url.rfind(kHelsenorgeExtensionBase, 0) == 0 &&
               (url.ends_with("/sdf-canbeperformedby") || url.ends_with("/sdf-authenticationrequirement"))) {
      // An easy slip: the platform's renderer would ignore these, so say where they live.
      throw FormError(w, "\"" + url + "\" is not the platform's extension; use " + kSdfExtensionBase +
                             url.substr(std::string(kHelsenorgeExtensionBase).size()));
    }
  }
  if (q.category.empty()) throw FormError(where, "missing task-category extension");
  if (q.representation.empty()) throw FormError(where, "missing representation extension (who may submit the form)");
  if (!has_signature) throw FormError(where, "missing signature-required extension");

  std::set<std::string> link_ids;
  const json& items = array_member(j, "item", where);
  if (items.empty()) throw FormError(where, "a form needs at least one item");
  for (size_t i = 0; i < items.size(); ++i) q.items.push_back(read_item(items[i], element(where, "item", i), link_ids));
  check_enable_when_targets(q, where);
  check_representation_answers(q, where);
  assign_option_systems(q, q.items);
  return q;
}

std::string option_code_system(const Questionnaire& form, const Item& item) {
  bool representation = !item.options.empty();
  for (const auto& o : item.options)
    representation =
        representation && o.code != "self" &&
        std::find(form.representation.begin(), form.representation.end(), o.code) != form.representation.end();
  if (representation) return kRepresentationTypeSystem;
  return std::string(kKioskCodeSystemBase) + form.id + "/" + item.link_id;
}

namespace {

const AnswerOption* find_option(const Item& item, const std::string& code) {
  for (const auto& o : item.options)
    if (o.code == code) return &o;
  return nullptr;
}

// Sets the system of a valueCoding / answerCoding whose code is one of `item`'s options
// (kept when already given: the parser checked it matches).
void set_system(json& coding, const Item& item) {
  if (!coding.is_object() || !coding.contains("code") || !coding["code"].is_string()) return;
  if (const AnswerOption* o = find_option(item, coding["code"].get<std::string>())) coding["system"] = o->system;
}

void export_items(json& items, const Questionnaire& form) {
  if (!items.is_array()) return;
  for (json& it : items) {
    const Item* item = form.find_item(it.value("linkId", std::string()));
    if (!item) continue;
    if (auto e = it.find("extension"); e != it.end() && e->is_array()) {
      json kept = json::array();
      for (const json& x : *e)
        if (!(x.is_object() && x.value("url", std::string()) == kiosk_ext("max-length"))) kept.push_back(x);
      if (kept.empty())
        it.erase("extension");
      else
        *e = kept;
    }
    if (item->max_length > 0) it["maxLength"] = item->max_length;
    if (auto o = it.find("answerOption"); o != it.end() && o->is_array())
      for (json& option : *o)
        if (option.contains("valueCoding")) set_system(option["valueCoding"], *item);
    if (auto i = it.find("initial"); i != it.end() && i->is_array())
      for (json& value : *i)
        if (value.contains("valueCoding")) set_system(value["valueCoding"], *item);
    if (auto w = it.find("enableWhen"); w != it.end() && w->is_array())
      for (json& cond : *w)
        if (cond.contains("answerCoding"))
          if (const Item* target = form.find_item(cond.value("question", std::string())))
            set_system(cond["answerCoding"], *target);
    if (it.contains("item")) export_items(it["item"], form);
  }
}

}  // namespace

json platform_questionnaire(const json& catalogue_json, const std::string& source_name) {
  const Questionnaire form = parse_questionnaire(catalogue_json, source_name);
  json out = catalogue_json;
  if (out.contains("item")) export_items(out["item"], form);
  return out;
}

Questionnaire load_questionnaire_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormError(path.string(), "cannot open the file");
  json j;
  try {
    j = json::parse(in);
  } catch (const json::parse_error& e) {
    throw FormError(path.string(), std::string("is not valid JSON: ") + e.what());
  }
  return parse_questionnaire(j, path.string());
}

}  // namespace forms
