#include "forms/answers.hpp"

#include <algorithm>
#include <random>

#include "forms/error.hpp"
#include "forms/identity.hpp"

namespace forms {

using nlohmann::json;

bool Answers::has(const std::string& link_id) const {
  auto it = values.find(link_id);
  return it != values.end() && !it->second.empty();
}

const AnswerValue* Answers::first(const std::string& link_id) const {
  auto it = values.find(link_id);
  return it == values.end() || it->second.empty() ? nullptr : &it->second.front();
}

void Answers::set(const std::string& link_id, AnswerValue value) {
  values[link_id] = {std::move(value)};
}

void Answers::wipe() {
  for (auto& [link_id, list] : values) {
    for (auto& v : list) {
      // volatile stores are not optimised away before the string is freed
      volatile char* p = v.text.data();
      for (size_t i = 0; i < v.text.size(); ++i) p[i] = 0;
      v.integer = 0;
      v.boolean = false;
    }
  }
  values.clear();
}

namespace {

int compare(const AnswerValue& a, const AnswerValue& b) {
  if (a.kind == AnswerValue::Kind::Integer && b.kind == AnswerValue::Kind::Integer)
    return a.integer < b.integer ? -1 : a.integer > b.integer ? 1 : 0;
  if (a.kind == AnswerValue::Kind::Boolean && b.kind == AnswerValue::Kind::Boolean)
    return static_cast<int>(a.boolean) - static_cast<int>(b.boolean);
  return a.text.compare(b.text) < 0 ? -1 : a.text == b.text ? 0 : 1;
}

bool condition_holds(const EnableWhen& cond, const Answers& answers) {
  auto it = answers.values.find(cond.question);
  const bool present = it != answers.values.end() && !it->second.empty();
  if (cond.op == "exists") return present == cond.answer.boolean;
  if (!present) return false;
  for (const auto& v : it->second) {
    const int c = compare(v, cond.answer);
    if ((cond.op == "=" && v == cond.answer) || (cond.op == "!=" && !(v == cond.answer)) || (cond.op == ">" && c > 0) ||
        (cond.op == "<" && c < 0) || (cond.op == ">=" && c >= 0) || (cond.op == "<=" && c <= 0))
      return true;
  }
  return false;
}

bool value_fits(const Item& item, const AnswerValue& v) {
  switch (item.type) {
    case ItemType::Boolean:
      return v.kind == AnswerValue::Kind::Boolean;
    case ItemType::Integer:
      return v.kind == AnswerValue::Kind::Integer;
    case ItemType::Date:
      return v.kind == AnswerValue::Kind::Date && parse_iso_date(v.text).has_value();
    case ItemType::Choice:
      return v.kind == AnswerValue::Kind::Coding &&
             std::any_of(item.options.begin(), item.options.end(), [&](const auto& o) { return o.code == v.text; });
    case ItemType::String:
    case ItemType::Text:
    case ItemType::Attachment:
      return v.kind == AnswerValue::Kind::String;
    default:
      return false;
  }
}

// An item counts as enabled only when every enclosing group is enabled too.
void walk_enabled(const std::vector<Item>& items, bool parent_enabled, const Answers& answers,
                  std::vector<std::pair<const Item*, bool>>& out) {
  for (const auto& item : items) {
    const bool enabled = parent_enabled && is_enabled(item, answers);
    out.emplace_back(&item, enabled);
    walk_enabled(item.items, enabled, answers, out);
  }
}

std::string digits_only(const std::string& s) {
  std::string d;
  for (char c : s)
    if (c >= '0' && c <= '9') d.push_back(c);
  return d;
}

}  // namespace

bool is_enabled(const Item& item, const Answers& answers) {
  if (item.enable_when.empty()) return true;
  if (item.enable_when_all)
    return std::all_of(item.enable_when.begin(), item.enable_when.end(),
                       [&](const auto& c) { return condition_holds(c, answers); });
  return std::any_of(item.enable_when.begin(), item.enable_when.end(),
                     [&](const auto& c) { return condition_holds(c, answers); });
}

std::vector<AnswerIssue> validate_answers(const Questionnaire& form, const Answers& answers) {
  std::vector<AnswerIssue> issues;
  for (const auto& [link_id, list] : answers.values)
    if (!form.find_item(link_id) && !list.empty())
      issues.push_back({link_id, "unknown-question", "error.unknown-question"});

  std::vector<std::pair<const Item*, bool>> items;
  walk_enabled(form.items, true, answers, items);
  for (const auto& [item, enabled] : items) {
    if (item->type == ItemType::Group || item->type == ItemType::Display) continue;
    const bool present = answers.has(item->link_id);
    if (!enabled) {
      if (present) issues.push_back({item->link_id, "not-enabled", "error.not-enabled"});
      continue;
    }
    if (!present) {
      if (item->required) issues.push_back({item->link_id, "required", "error.required"});
      continue;
    }
    const auto& list = answers.values.at(item->link_id);
    if (list.size() > 1 && !item->repeats)
      issues.push_back({item->link_id, "too-many-answers", "error.too-many-answers"});
    for (const auto& v : list) {
      if (!value_fits(*item, v)) {
        issues.push_back({item->link_id, item->type == ItemType::Date ? "invalid-date" : "wrong-type",
                          item->type == ItemType::Date ? "error.invalid-date" : "error.wrong-type"});
        continue;
      }
      if (item->type == ItemType::String && item->input_kind == InputKind::IdentityNumber) {
        const auto r = validate_identity_number(v.text);
        if (!r.valid) issues.push_back({item->link_id, "invalid-identity-number", message_key(r.error)});
      } else if (item->type == ItemType::String && item->input_kind == InputKind::Postcode) {
        if (v.text.size() != 4 || digits_only(v.text) != v.text)
          issues.push_back({item->link_id, "invalid-postcode", "error.invalid-postcode"});
      } else if (item->type == ItemType::String && item->input_kind == InputKind::Phone) {
        if (digits_only(v.text).size() != 8) issues.push_back({item->link_id, "invalid-phone", "error.invalid-phone"});
      } else if ((item->type == ItemType::String || item->type == ItemType::Text) && item->required &&
                 v.text.find_first_not_of(" \t\n") == std::string::npos) {
        issues.push_back({item->link_id, "required", "error.required"});
      }
      if (item->max_length > 0 && (item->type == ItemType::String || item->type == ItemType::Text) &&
          static_cast<int>(v.text.size()) > item->max_length * 4)  // UTF-8: up to 4 bytes a letter
        issues.push_back({item->link_id, "too-long", "error.too-long"});
    }
  }
  return issues;
}

namespace {

AnswerValue value_from_flat_json(const Item& item, const json& v, const std::string& where) {
  switch (item.type) {
    case ItemType::Boolean:
      if (!v.is_boolean()) throw FormError(where, "\"" + item.link_id + "\" is a yes/no question: use true or false");
      return AnswerValue::of_bool(v.get<bool>());
    case ItemType::Integer:
      if (!v.is_number_integer()) throw FormError(where, "\"" + item.link_id + "\" needs a whole number");
      return AnswerValue::of_integer(v.get<long long>());
    case ItemType::Date:
      if (!v.is_string() || !parse_iso_date(v.get<std::string>()))
        throw FormError(where, "\"" + item.link_id + "\" needs a real date as YYYY-MM-DD");
      return AnswerValue::of_date(v.get<std::string>());
    case ItemType::Choice: {
      if (!v.is_string()) throw FormError(where, "\"" + item.link_id + "\" needs one of the option codes");
      const std::string code = v.get<std::string>();
      if (std::none_of(item.options.begin(), item.options.end(), [&](const auto& o) { return o.code == code; }))
        throw FormError(where, "\"" + code + "\" is not an option of \"" + item.link_id + "\"");
      return AnswerValue::of_coding(code);
    }
    case ItemType::String:
    case ItemType::Text:
    case ItemType::Attachment:
      if (!v.is_string()) throw FormError(where, "\"" + item.link_id + "\" needs text");
      return AnswerValue::of_string(v.get<std::string>());
    default:
      throw FormError(where, "\"" + item.link_id + "\" does not take an answer");
  }
}

AnswerValue value_from_response_json(const Item& item, const json& answer, const std::string& where) {
  if (!answer.is_object()) throw FormError(where, "answer must be an object");
  for (auto it = answer.begin(); it != answer.end(); ++it) {
    const std::string& key = it.key();
    if (key.rfind("value", 0) != 0) continue;
    const json& v = it.value();
    if (key == "valueCoding") {
      if (!v.is_object() || !v.contains("code")) throw FormError(where, "valueCoding needs a code");
      // A system is optional (Bundles sealed before answers carried one), but when given it
      // must be the question's own: the same code in another code system means something else.
      if (auto s = v.find("system"); s != v.end()) {
        bool known = false;
        for (const auto& o : item.options) known = known || (s->is_string() && o.system == s->get<std::string>());
        if (!known)
          throw FormError(where, "valueCoding of \"" + item.link_id + "\" has another question's code system");
      }
      return value_from_flat_json(item, v["code"], where);
    }
    if (key == "valueAttachment") return AnswerValue::of_string(v.value("title", std::string("attachment")));
    return value_from_flat_json(item, v, where);
  }
  throw FormError(where, "answer has no value[x]");
}

void read_response_items(const json& items, const Questionnaire& form, Answers& out, const std::string& where) {
  if (!items.is_array()) throw FormError(where, "item must be an array");
  for (size_t i = 0; i < items.size(); ++i) {
    const std::string w = where + ".item[" + std::to_string(i) + "]";
    const json& it = items[i];
    if (!it.is_object() || !it.contains("linkId") || !it["linkId"].is_string())
      throw FormError(w, "item needs a linkId");
    const std::string link_id = it["linkId"].get<std::string>();
    const Item* item = form.find_item(link_id);
    if (!item) throw FormError(w, "the form has no question \"" + link_id + "\"");
    if (it.contains("answer")) {
      if (!it["answer"].is_array()) throw FormError(w, "answer must be an array");
      for (const auto& a : it["answer"]) out.values[link_id].push_back(value_from_response_json(*item, a, w));
    }
    if (it.contains("item")) read_response_items(it["item"], form, out, w);
  }
}

}  // namespace

Answers parse_answers(const json& j, const Questionnaire& form, const std::string& source) {
  Answers out;
  if (!j.is_object()) throw FormError(source, "answers must be a JSON object");
  if (j.value("resourceType", std::string()) == "QuestionnaireResponse") {
    if (j.contains("item")) read_response_items(j["item"], form, out, source);
    return out;
  }
  for (auto it = j.begin(); it != j.end(); ++it) {
    const Item* item = form.find_item(it.key());
    if (!item) throw FormError(source, "the form \"" + form.id + "\" has no question \"" + it.key() + "\"");
    if (it.value().is_array() && item->repeats) {
      for (const auto& v : it.value()) out.values[item->link_id].push_back(value_from_flat_json(*item, v, source));
    } else if (!it.value().is_null()) {
      out.values[item->link_id].push_back(value_from_flat_json(*item, it.value(), source));
    }
  }
  return out;
}

namespace {

json answer_json(const AnswerValue& v) {
  switch (v.kind) {
    case AnswerValue::Kind::Boolean:
      return {{"valueBoolean", v.boolean}};
    case AnswerValue::Kind::Integer:
      return {{"valueInteger", v.integer}};
    case AnswerValue::Kind::Date:
      return {{"valueDate", v.text}};
    case AnswerValue::Kind::Coding:
      return {{"valueCoding", {{"code", v.text}}}};
    case AnswerValue::Kind::String:
      return {{"valueString", v.text}};
  }
  return json::object();
}

json response_items(const std::vector<Item>& items, const Questionnaire& form, const Answers& answers) {
  json out = json::array();
  for (const auto& item : items) {
    if (item.type == ItemType::Display) continue;
    json node = {{"linkId", item.link_id}};
    if (item.type == ItemType::Group) {
      json children = response_items(item.items, form, answers);
      if (children.empty()) continue;
      node["item"] = children;
    } else {
      auto it = answers.values.find(item.link_id);
      if (it == answers.values.end() || it->second.empty()) continue;
      json list = json::array();
      for (const auto& v : it->second) {
        json a = answer_json(v);
        if (v.kind == AnswerValue::Kind::Coding)
          for (const auto& o : item.options)
            if (o.code == v.text) {
              // system first, as FHIR orders a Coding's elements; the same system as the
              // Questionnaire's answerOption (forms export), so a receiver can match the two.
              a["valueCoding"] = {{"system", o.system}, {"code", o.code}, {"display", o.display.get("nb")}};
            }
        list.push_back(a);
      }
      node["answer"] = list;
    }
    out.push_back(node);
  }
  return out;
}

}  // namespace

json to_questionnaire_response(const Questionnaire& form, const Answers& answers, const std::string& status,
                               const std::string& authored_iso) {
  return {{"resourceType", "QuestionnaireResponse"},
          {"questionnaire", form.url + "|" + form.version},
          {"status", status},
          {"authored", authored_iso},
          {"item", response_items(form.items, form, answers)}};
}

Answers make_example_answers(const Questionnaire& form, unsigned seed) {
  std::mt19937 rng(seed);
  auto pick = [&](int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng); };
  static const char* names[] = {"Kari Nordmann", "Ola Nordmann", "Áile Somby", "Per Hansen", "Åse Øvrebø"};
  static const char* streets[] = {"Storgata 1", "Fjellveien 12", "Sjøgata 7B"};
  Answers answers;
  // Walk in order so enableWhen sees the answers given before it; an item inside a
  // disabled group is disabled too, so ask the same walk validation uses.
  for (int pass = 0; pass < 2; ++pass) {
    std::vector<std::pair<const Item*, bool>> items;
    walk_enabled(form.items, true, answers, items);
    for (const auto& [item, enabled] : items) {
      if (answers.has(item->link_id) || item->type == ItemType::Group || item->type == ItemType::Display) continue;
      if (!enabled) continue;
      switch (item->type) {
        case ItemType::Boolean:
          answers.set(item->link_id, AnswerValue::of_bool(pick(0, 1) == 1));
          break;
        case ItemType::Choice:
          answers.set(
              item->link_id,
              AnswerValue::of_coding(
                  item->options[static_cast<size_t>(pick(0, static_cast<int>(item->options.size()) - 1))].code));
          break;
        case ItemType::Integer:
          answers.set(item->link_id, AnswerValue::of_integer(pick(1, 99)));
          break;
        case ItemType::Date: {
          CivilDate d{pick(1940, 2005), pick(1, 12), pick(1, 28)};
          answers.set(item->link_id, AnswerValue::of_date(d.iso()));
          break;
        }
        case ItemType::Attachment:
          break;  // evidence is scanned, never invented
        case ItemType::String:
        case ItemType::Text: {
          std::string value;
          switch (item->input_kind) {
            case InputKind::IdentityNumber: {
              for (int tries = 0; tries < 100 && value.empty(); ++tries) {
                CivilDate d{pick(1940, 2005), pick(1, 12), pick(1, 28)};
                if (auto n = make_identity_number(d, IdentityKind::SyntheticTest, pick(0, 499))) value = *n;
              }
              break;
            }
            case InputKind::Name:
              value = names[pick(0, 4)];
              break;
            case InputKind::Phone:
              value = std::to_string(pick(40000000, 99999999));
              break;
            case InputKind::Postcode: {
              value = std::to_string(pick(1, 9999));
              value.insert(0, 4 - value.size(), '0');
              break;
            }
            case InputKind::Free:
              value = item->max_length > 0 && item->max_length < 20 ? "Oslo" : streets[pick(0, 2)];
              break;
          }
          if (item->max_length > 0 && static_cast<int>(value.size()) > item->max_length)
            value = value.substr(0, static_cast<size_t>(item->max_length));
          if (!value.empty()) answers.set(item->link_id, AnswerValue::of_string(value));
          break;
        }
        default:
          break;
      }
    }
  }
  return answers;
}

}  // namespace forms
