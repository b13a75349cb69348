#include "forms/questionnaire_import.hpp"

#include <algorithm>
#include <cctype>
#include <iterator>
#include <optional>
#include <deque>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "forms/catalogue.hpp"
#include "forms/error.hpp"
#include "forms/identity.hpp"

namespace forms {

using nlohmann::json;

namespace {

const std::set<std::string> kOperators = {"exists", "=", "!=", ">", "<", ">=", "<="};

// The deepest bracket nesting in JSON text, counted before parsing, so a hostile file of
// a million '[' is refused before any recursive code sees it.
int json_depth(const std::string& text) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > kImportMaxJsonDepth) return deepest;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string str(const json& obj, const char* key) {
  if (!obj.is_object()) return {};
  auto it = obj.find(key);
  return it != obj.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool flag(const json& obj, const char* key) {
  auto it = obj.find(key);
  return it != obj.end() && it->is_boolean() && it->get<bool>();
}

const json& list(const json& obj, const char* key) {
  static const json empty = json::array();
  if (!obj.is_object()) return empty;
  auto it = obj.find(key);
  return it != obj.end() && it->is_array() ? *it : empty;
}

// The first extension whose url ends with "/<name>" (helsenorge uses both the ehelse.no and
// the helsenorge.no bases for its sdf- extensions; HL7 ones live under hl7.org).
const json* extension(const json& item, const std::string& name) {
  for (const auto& e : list(item, "extension"))
    if (ends_with(str(e, "url"), "/" + name)) return &e;
  return nullptr;
}

std::vector<std::string> item_controls(const json& item) {
  std::vector<std::string> codes;
  for (const auto& e : list(item, "extension")) {
    if (!ends_with(str(e, "url"), "/questionnaire-itemControl")) continue;
    auto cc = e.find("valueCodeableConcept");
    if (cc == e.end() || !cc->is_object()) continue;
    for (const auto& c : list(*cc, "coding"))
      if (!str(c, "code").empty()) codes.push_back(str(c, "code"));
  }
  return codes;
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// Markdown as the platform writes it, turned into plain text for the screen and paper:
// links keep their address, emphasis and bullets lose their marks.
std::string strip_markdown(const std::string& md) {
  std::string out;
  std::istringstream lines(md);
  std::string line;
  bool first = true;
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    size_t start = line.find_first_not_of(' ');
    std::string l = start == std::string::npos ? std::string() : line.substr(start);
    while (!l.empty() && l[0] == '#') l.erase(0, 1);
    if (l.size() > 1 && (l[0] == '*' || l[0] == '-' || l[0] == '+') && l[1] == ' ')
      l = "- " + l.substr(l.find_first_not_of(' ', 1) == std::string::npos ? 1 : l.find_first_not_of(' ', 1));
    std::string plain;
    for (size_t i = 0; i < l.size(); ++i) {
      const char c = l[i];
      if (c == '\\' && i + 1 < l.size()) {
        plain += l[++i];
      } else if ((c == '*' || c == '_') && i + 1 < l.size() && l[i + 1] == c) {
        ++i;  // ** or __
      } else if (c == '*' && !(i == 0 && l.size() > 1 && l[1] == ' ')) {
        // single-star emphasis
      } else if (c == '[') {
        const size_t close = l.find("](", i);
        const size_t end = close == std::string::npos ? std::string::npos : l.find(')', close);
        if (end == std::string::npos) {
          plain += c;
          continue;
        }
        const std::string label = l.substr(i + 1, close - i - 1);
        const std::string url = l.substr(close + 2, end - close - 2);
        plain += label;
        if (!url.empty() && url != label) plain += " (" + url + ")";
        i = end;
      } else {
        plain += c;
      }
    }
    while (!plain.empty() && plain.back() == ' ') plain.pop_back();
    if (!first) out += '\n';
    out += plain;
    first = false;
  }
  // No runs of blank lines, no blank start or end.
  std::string tidy;
  for (char c : out) {
    if (c == '\n' &&
        (tidy.empty() || (tidy.size() >= 2 && tidy[tidy.size() - 1] == '\n' && tidy[tidy.size() - 2] == '\n')))
      continue;
    tidy += c;
  }
  while (!tidy.empty() && (tidy.back() == '\n' || tidy.back() == ' ')) tidy.pop_back();
  return tidy;
}

// An item's text: the rendering-markdown version when there is one (the plain `text` of
// real forms carries markdown marks too), as plain text; "" when it has none.
std::string item_text(const json& item) {
  auto holder = item.find("_text");
  if (holder != item.end() && holder->is_object()) {
    for (const auto& e : list(*holder, "extension"))
      if (ends_with(str(e, "url"), "/rendering-markdown") && !str(e, "valueMarkdown").empty())
        return strip_markdown(str(e, "valueMarkdown"));
  }
  return strip_markdown(str(item, "text"));
}

std::string language_code(const std::string& fhir_language) {
  std::string lang = fhir_language.substr(0, fhir_language.find('-'));
  for (auto& c : lang) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lang.empty() || lang == "no" || lang == "nob") return "nb";
  if (lang == "nno") return "nn";
  return lang;
}

std::string slug(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c))
      out += static_cast<char>(std::tolower(c));
    else if (!out.empty() && out.back() != '-')
      out += '-';
  }
  while (!out.empty() && out.back() == '-') out.pop_back();
  return out.substr(0, 60);
}

// ---- the source's shape: linkIds, nesting, enableWhen targets and cycles ----------------

struct SourceIndex {
  std::map<std::string, const json*> by_link;
  std::vector<std::string> order;
};

void index_items(const json& items, int depth, const std::string& where, SourceIndex& idx) {
  if (!items.is_array()) throw FormError(where, "\"item\" must be a list of items");
  if (depth > kImportMaxItemDepth)
    throw FormError(where, "items are nested more than " + std::to_string(kImportMaxItemDepth) + " levels deep");
  for (size_t i = 0; i < items.size(); ++i) {
    const json& it = items[i];
    const std::string w = where + " item " + std::to_string(i + 1);
    if (!it.is_object()) throw FormError(w, "is not an object");
    auto link = it.find("linkId");
    if (link == it.end() || !link->is_string() || link->get_ref<const std::string&>().empty())
      throw FormError(w, "has no linkId");
    const std::string id = link->get<std::string>();
    if (idx.by_link.count(id)) throw FormError(where, "the linkId \"" + id + "\" is used by two items");
    if (str(it, "type").empty()) throw FormError(where, "item \"" + id + "\" has no type");
    idx.by_link[id] = &it;
    idx.order.push_back(id);
    if (idx.order.size() > kImportMaxItems)
      throw FormError(where, "the form has more than " + std::to_string(kImportMaxItems) + " items; no real form has");
    auto children = it.find("item");
    if (children != it.end()) index_items(*children, depth + 1, where + " > " + id, idx);
  }
}

void check_conditions(const SourceIndex& idx, const std::string& where) {
  std::map<std::string, std::set<std::string>> depends_on;
  for (const auto& id : idx.order) {
    const json& it = *idx.by_link.at(id);
    auto when = it.find("enableWhen");
    if (when == it.end()) continue;
    if (!when->is_array()) throw FormError(where, "item \"" + id + "\": enableWhen must be a list");
    for (const auto& c : *when) {
      const std::string q = str(c, "question");
      if (q.empty()) throw FormError(where, "item \"" + id + "\": an enableWhen condition names no question");
      if (!idx.by_link.count(q))
        throw FormError(where, "item \"" + id + "\" is shown only depending on \"" + q +
                                   "\", but the form has no item with that linkId");
      if (!kOperators.count(str(c, "operator")))
        throw FormError(where,
                        "item \"" + id + "\": enableWhen operator \"" + str(c, "operator") + "\" is not a FHIR one");
      depends_on[id].insert(q);
    }
  }
  // Kahn's algorithm (no recursion): whatever is left depends on itself in a circle.
  std::map<std::string, int> waiting;
  std::map<std::string, std::vector<std::string>> dependents;
  for (const auto& [id, targets] : depends_on) {
    waiting[id] = static_cast<int>(targets.size());
    for (const auto& t : targets) dependents[t].push_back(id);
  }
  std::deque<std::string> ready;
  for (const auto& id : idx.order)
    if (!waiting.count(id) || waiting[id] == 0) ready.push_back(id);
  size_t done = 0;
  while (!ready.empty()) {
    const std::string id = ready.front();
    ready.pop_front();
    ++done;
    for (const auto& d : dependents[id])
      if (--waiting[d] == 0) ready.push_back(d);
  }
  if (done < idx.order.size()) {
    std::string circle;
    for (const auto& [id, n] : waiting)
      if (n > 0) circle += (circle.empty() ? "\"" : ", \"") + id + "\"";
    throw FormError(where, "the enableWhen conditions of " + circle + " depend on each other in a circle");
  }
}

// ---- language variants of one form in a Bundle -------------------------------------------

struct Variant {
  std::string lang;
  std::string title, description;
  std::map<std::string, std::string> texts;    // linkId -> text
  std::map<std::string, std::string> options;  // linkId + '\x1f' + code -> display
};

std::string option_key(const std::string& link, const std::string& code) {
  return link + '\x1f' + code;
}

// Sets `field` to the bokmål text and `_field` to the variants' translations of it.
template <typename Get>
void put_translated(json& dst, const std::string& field, const std::string& text, const std::vector<Variant>& variants,
                    Get get) {
  dst[field] = text;
  json exts = json::array();
  for (const auto& v : variants) {
    const std::string t = get(v);
    if (t.empty()) continue;
    exts.push_back({{"url", kTranslationExtension},
                    {"extension", json::array({{{"url", "lang"}, {"valueCode", v.lang}},
                                               {{"url", "content"}, {"valueString", t}}})}});
  }
  if (!exts.empty()) dst["_" + field] = {{"extension", exts}};
}

// ---- the mapping ------------------------------------------------------------------------

struct Option {
  std::string code, display;
};

class Mapper {
 public:
  Mapper(const json& q, const SourceIndex& idx, ImportedForm& out, const std::vector<Variant>& variants)
      : q_(q), idx_(idx), out_(out), variants_(variants) {
    for (const auto& c : list(q, "contained"))
      if (str(c, "resourceType") == "ValueSet" && !str(c, "id").empty()) valuesets_[str(c, "id")] = &c;
  }

  // Maps the whole form, leaving out what cannot be carried and whatever then depends on it.
  json run() {
    for (size_t round = 0; round <= idx_.order.size(); ++round) {
      out_.unsupported.clear();
      out_.notes.clear();
      json items = json::array();
      for (const auto& it : list(q_, "item")) emit(it, items);
      if (!check_conditions_of(items)) continue;
      return items;
    }
    throw FormError(out_.source, "the enableWhen conditions could not be settled");  // not reached
  }

 private:
  void leave_out(const json& src, Channels ch, const std::string& why) {
    out_.unsupported.push_back({str(src, "linkId"), str(src, "type"), flag(src, "required"), ch, why});
  }
  void leave_out_subtree(const json& src, Channels ch, const std::string& why) {
    leave_out(src, ch, why);
    for (const auto& child : list(src, "item"))
      leave_out_subtree(child, Channels{false, false, false},
                        "inside \"" + str(src, "linkId") + "\", which is left out");
  }
  void note(const json& src, const std::string& what) { out_.notes.push_back({str(src, "linkId"), what}); }

  void put_text(json& dst, const std::string& field, const std::string& text,
                const std::map<std::string, std::string> Variant::*map, const std::string& key) {
    put_translated(dst, field, text, variants_, [&](const Variant& v) {
      auto it = (v.*map).find(key);
      return it == (v.*map).end() ? std::string() : it->second;
    });
  }

  // The answers of a choice item: its answerOption list or a contained ValueSet.
  std::optional<std::vector<Option>> options_of(const json& src, std::string& why) {
    std::vector<Option> options;
    for (const auto& o : list(src, "answerOption")) {
      if (auto c = o.find("valueCoding"); c != o.end() && c->is_object()) {
        options.push_back({str(*c, "code"), str(*c, "display")});
      } else if (auto s = o.find("valueString"); s != o.end() && s->is_string()) {
        options.push_back({s->get<std::string>(), s->get<std::string>()});
      } else if (auto n = o.find("valueInteger"); n != o.end() && n->is_number_integer()) {
        options.push_back({std::to_string(n->get<long long>()), std::to_string(n->get<long long>())});
      } else {
        why = "an answer option is neither a coding, a text nor a whole number";
        return std::nullopt;
      }
    }
    const std::string vs = str(src, "answerValueSet");
    if (!vs.empty()) {
      auto it = vs[0] == '#' ? valuesets_.find(vs.substr(1)) : valuesets_.end();
      if (it == valuesets_.end()) {
        why = "its answers are in the value set \"" + vs + "\", which the file does not contain";
        return std::nullopt;
      }
      const json& set = *it->second;
      if (auto compose = set.find("compose"); compose != set.end())
        for (const auto& inc : list(*compose, "include"))
          for (const auto& c : list(inc, "concept")) options.push_back({str(c, "code"), str(c, "display")});
      if (auto exp = set.find("expansion"); exp != set.end() && options.empty())
        for (const auto& c : list(*exp, "contains")) options.push_back({str(c, "code"), str(c, "display")});
    }
    if (options.empty()) {
      why = extension(src, "sdf-optionReference")
                ? "its answers are references the platform looks up (sdf-optionReference)"
                : "it has no answers to choose from";
      return std::nullopt;
    }
    std::set<std::string> codes;
    for (auto& o : options) {
      if (o.code.empty()) {
        why = "an answer has no code";
        return std::nullopt;
      }
      if (!codes.insert(o.code).second) {
        why = "two answers share the code \"" + o.code + "\"";
        return std::nullopt;
      }
      o.display = strip_markdown(o.display);
      if (o.display.empty()) {
        why = "the answer \"" + o.code + "\" has no text to show";
        return std::nullopt;
      }
    }
    return options;
  }

  // Copies enableWhen; returns why not when a condition compares a kind of answer the kiosk cannot hold.
  std::optional<std::string> copy_conditions(const json& src, json& dst) {
    const json& when = list(src, "enableWhen");
    if (when.empty()) return std::nullopt;
    const std::string behavior = str(src, "enableBehavior");
    if (when.size() > 1 && behavior != "all" && behavior != "any")
      return "it has several enableWhen conditions but no enableBehavior: the form does not say whether all or any "
             "must hold";
    json out = json::array();
    for (const auto& c : when) {
      json cond = {{"question", str(c, "question")}, {"operator", str(c, "operator")}};
      bool found = false;
      for (auto it = c.begin(); it != c.end(); ++it) {
        const std::string& k = it.key();
        if (k.rfind("answer", 0) != 0) continue;
        found = true;
        const json& v = it.value();
        if ((k == "answerBoolean" && v.is_boolean()) || (k == "answerString" && v.is_string()) ||
            (k == "answerInteger" && v.is_number_integer()))
          cond[k] = v;
        else if (k == "answerDate" && v.is_string() && parse_iso_date(v.get<std::string>()))
          cond[k] = v;
        else if (k == "answerCoding" && v.is_object() && !str(v, "code").empty())
          cond[k] = {{"code", str(v, "code")}};
        else
          return "it is shown depending on a " + k.substr(6) + " answer, which the kiosk cannot compare";
      }
      if (!found) return "an enableWhen condition has no answer to compare with";
      out.push_back(cond);
    }
    dst["enableWhen"] = out;
    if (when.size() > 1) dst["enableBehavior"] = behavior;
    return std::nullopt;
  }

  void copy_initial(const json& src, json& dst, const std::vector<Option>* options) {
    json out = json::array();
    for (const auto& i : list(src, "initial")) {
      if (auto c = i.find("valueCoding"); c != i.end() && c->is_object() && options) {
        const std::string code = str(*c, "code");
        if (std::any_of(options->begin(), options->end(), [&](const Option& o) { return o.code == code; }))
          out.push_back({{"valueCoding", {{"code", code}}}});
      } else if (auto b = i.find("valueBoolean"); b != i.end() && b->is_boolean()) {
        out.push_back({{"valueBoolean", *b}});
      } else if (auto s = i.find("valueString"); s != i.end() && s->is_string()) {
        out.push_back({{"valueString", *s}});
      } else if (auto n = i.find("valueInteger"); n != i.end() && n->is_number_integer()) {
        out.push_back({{"valueInteger", *n}});
      } else if (auto d = i.find("valueDate");
                 d != i.end() && d->is_string() && parse_iso_date(d->get<std::string>())) {
        out.push_back({{"valueDate", *d}});
      }
    }
    if (!out.empty()) dst["initial"] = out;
  }

  void emit_display(const json& src, const std::string& text, json& arr) {
    json d = {{"linkId", str(src, "linkId")}, {"type", "display"}};
    put_text(d, "text", text, &Variant::texts, str(src, "linkId"));
    if (auto why = copy_conditions(src, d)) {
      leave_out(src, Channels{false, false, false}, *why);
      return;
    }
    arr.push_back(std::move(d));
  }

  void emit_children(const json& src, json& arr, bool help) {
    for (const auto& child : list(src, "item")) {
      const bool is_help = str(child, "type") == "display" && has(item_controls(child), "help");
      if (is_help == help) emit(child, arr);
    }
  }

  void emit(const json& src, json& arr) {
    const std::string link = str(src, "linkId");
    const std::string type = str(src, "type");
    const auto controls = item_controls(src);
    const std::string text = item_text(src);
    if (auto forced = forced_.find(link); forced != forced_.end()) {
      leave_out_subtree(src, Channels{false, false, false}, forced->second);
      return;
    }
    if (auto hidden = extension(src, "questionnaire-hidden"); hidden && flag(*hidden, "valueBoolean")) {
      leave_out_subtree(src, Channels{false, false, false},
                        "hidden on the platform (questionnaire-hidden): the platform fills it in itself");
      return;
    }
    const bool calculated = extension(src, "sdf-calculatedExpression") || extension(src, "cqf-expression");
    for (const auto& c : list(src, "code"))
      if (str(c, "system") == "http://helsenorge.no/fhir/CodeSystem/RenderOptions" && str(c, "code") == "2") {
        leave_out_subtree(src, Channels{false, false, false},
                          "shown only in the platform's PDF copy of the answers (RenderOptions \"PDF only\")");
        return;
      }

    if (type == "group") {
      if (has(controls, "table") || has(controls, "gtable") || has(controls, "htable") || has(controls, "summary") ||
          has(controls, "summary-container")) {
        leave_out_subtree(src, Channels{false, false, false}, "a summary table the platform builds from other answers");
        return;
      }
      json g = {{"linkId", link}, {"type", "group"}};
      if (!text.empty()) put_text(g, "text", text, &Variant::texts, link);
      if (auto why = copy_conditions(src, g)) {
        leave_out_subtree(src, Channels{false, false, false}, *why);
        return;
      }
      if (flag(src, "repeats")) note(src, "a repeating group: the kiosk asks it once");
      json children = json::array();
      emit_children(src, children, true);
      emit_children(src, children, false);
      if (children.empty()) {
        leave_out(src, Channels{false, false, false}, "none of its items can be carried over");
        return;
      }
      g["item"] = std::move(children);
      arr.push_back(std::move(g));
      return;
    }

    if (type == "display") {
      if (text.empty()) {
        note(src, "an information text with no text: nothing to show");
        return;
      }
      emit_display(src, text, arr);
      return;
    }

    // Information the platform shows as a question-shaped box: intro highlights, inline
    // "read more" texts, sidebars, read-only texts without an answer to give.
    const bool information = (type == "text" || type == "string") && !flag(src, "required") &&
                             (has(controls, "highlight") || has(controls, "inline") || has(controls, "sidebar") ||
                              (flag(src, "readOnly") && !calculated && !extension(src, "sdf-fhirpath")));
    if (information) {
      if (!text.empty())
        emit_display(src, text, arr);
      else
        note(src, "an information text with no text: nothing to show");
      emit_children(src, arr, true);
      emit_children(src, arr, false);
      return;
    }

    json it = {{"linkId", link}, {"type", type}};
    if (text.empty()) {
      leave_out_subtree(src, Channels{false, false, false}, "a question without a text");
      return;
    }
    put_text(it, "text", text, &Variant::texts, link);
    if (auto sub = extension(src, "sdf-sublabel"); sub && !strip_markdown(str(*sub, "valueMarkdown")).empty())
      it["text"] = it["text"].get<std::string>() + "\n" + strip_markdown(str(*sub, "valueMarkdown"));
    if (flag(src, "required")) it["required"] = true;

    if (flag(src, "readOnly") || calculated) {
      const auto* fp = extension(src, "sdf-fhirpath");
      const std::string expr = fp ? str(*fp, "valueString") : "";
      if (calculated) {
        leave_out_subtree(src, Channels{false, false, false}, "calculated by the platform from other answers");
        return;
      }
      if (expr.find("Patient.identifier") != std::string::npos && type == "string") {
        it["extension"] =
            json::array({{{"url", std::string(kKioskExtensionBase) + "input-kind"}, {"valueCode", "identity-number"}}});
        note(src, "pre-filled on the platform from the signed-in person; the kiosk asks for the number");
      } else if (expr.find("Patient.name") != std::string::npos && type == "string") {
        it["extension"] =
            json::array({{{"url", std::string(kKioskExtensionBase) + "input-kind"}, {"valueCode", "name"}}});
        note(src, "pre-filled on the platform from the signed-in person; the kiosk asks for the name");
      } else {
        leave_out_subtree(src, Channels{false, false, false},
                          "read-only: filled in by the platform from its own records, which the kiosk cannot look up");
        return;
      }
    } else if (extension(src, "sdf-fhirpath")) {
      note(src, "pre-filled on the platform from its records; at the kiosk the person fills it in");
    }
    if (has(controls, "receiver-component")) {
      leave_out_subtree(src, Channels{false, false, false},
                        "the platform picks the receiver from its address register");
      return;
    }

    std::vector<Option> options;
    if (type == "string" || type == "text") {
      if (auto n = src.find("maxLength"); n != src.end() && n->is_number_integer() && n->get<long long>() >= 1 &&
                                          n->get<long long>() <= 200 && !it.contains("extension"))
        it["extension"] = json::array(
            {{{"url", std::string(kKioskExtensionBase) + "max-length"}, {"valueInteger", n->get<long long>()}}});
      if (auto re = extension(src, "regex"))
        note(src, "the pattern " + str(*re, "valueString") + " is not checked by the kiosk");
      if (extension(src, "minLength")) note(src, "the shortest answer allowed is not checked by the kiosk");
      const bool letter_boxes =
          it.contains("extension") && (it["extension"][0]["url"] != std::string(kKioskExtensionBase) + "max-length" ||
                                       it["extension"][0]["valueInteger"].get<long long>() <= 40);
      if (type == "text" || !letter_boxes)
        note(src, "printed as lines for free text: recognition leaves handwriting there to a person to read");
    } else if (type == "boolean" || type == "date" || type == "integer") {
      if (extension(src, "minValue") || extension(src, "maxValue") || extension(src, "sdf-minvalue") ||
          extension(src, "sdf-maxvalue"))
        note(src, "the smallest and largest answers allowed are not checked by the kiosk");
    } else if (type == "choice") {
      std::string why;
      auto found = options_of(src, why);
      if (!found) {
        leave_out_subtree(src, Channels{false, false, false}, why);
        return;
      }
      options = *found;
      if (flag(src, "repeats") || has(controls, "check-box")) {
        leave_out_subtree(src, Channels{false, true, true},
                          "several answers may be ticked; the touch screen takes one answer per question");
        return;
      }
      json opts = json::array();
      for (const auto& o : options) {
        json coding = {{"code", o.code}};
        put_text(coding, "display", o.display, &Variant::options, option_key(link, o.code));
        opts.push_back({{"valueCoding", coding}});
      }
      it["answerOption"] = opts;
    } else if (type == "open-choice") {
      leave_out_subtree(src, Channels{false, false, false},
                        "the person may write an answer of their own besides the listed ones; the kiosk offers the "
                        "listed answers only");
      return;
    } else if (type == "decimal") {
      leave_out_subtree(src, Channels{false, false, false},
                        "a decimal number: the kiosk's boxes take whole numbers only");
      return;
    } else if (type == "quantity") {
      leave_out_subtree(src, Channels{false, false, false},
                        "a number with a unit: the kiosk's boxes take whole numbers only, without a unit");
      return;
    } else if (type == "dateTime") {
      leave_out_subtree(src, Channels{false, false, false},
                        "a date with a time of day: the kiosk has boxes for a date only");
      return;
    } else if (type == "time") {
      leave_out_subtree(src, Channels{false, false, false}, "a time of day: the kiosk has no boxes for a time");
      return;
    } else if (type == "attachment") {
      leave_out_subtree(src, Channels{false, true, false},
                        "a file to attach: the touch screen cannot take a file and the scan does not read an "
                        "enclosed document; only the printed sheet can ask for it");
      return;
    } else {
      leave_out_subtree(src, Channels{false, false, false},
                        "the item type \"" + type + "\" is not one the kiosk can ask");
      return;
    }
    if (flag(src, "repeats")) note(src, "can be answered several times on the platform; the kiosk takes one answer");
    copy_initial(src, it, type == "choice" ? &options : nullptr);
    if (auto why = copy_conditions(src, it)) {
      leave_out_subtree(src, Channels{false, false, false}, *why);
      return;
    }
    emit_children(src, arr, true);  // help texts come before their question
    arr.push_back(std::move(it));
    emit_children(src, arr, false);  // FHIR lets questions hold items; the kiosk lists them after
  }

  static void index_output(json& items, std::map<std::string, json*>& out) {
    for (auto& it : items) {
      out[it["linkId"].get<std::string>()] = &it;
      if (it.contains("item")) index_output(it["item"], out);
    }
  }

  // Every kept condition must point at a kept question and compare an answer it can give.
  // Returns false (after marking the items to leave out) when the mapping must run again.
  bool check_conditions_of(json& items) {
    std::map<std::string, json*> kept;
    index_output(items, kept);
    bool settled = true;
    for (auto& [link, it] : kept) {
      if (!it->contains("enableWhen")) continue;
      for (auto& c : (*it)["enableWhen"]) {
        const std::string q = c["question"].get<std::string>();
        auto target = kept.find(q);
        std::string why;
        if (target == kept.end()) {
          why = "it is shown depending on \"" + q + "\", which is left out";
        } else {
          const std::string ttype = (*target->second)["type"].get<std::string>();
          const std::string op = c["operator"].get<std::string>();
          if (ttype == "group" || ttype == "display") {
            why = "it is shown depending on \"" + q + "\", which asks nothing";
          } else if (op != "exists" && ttype == "choice") {
            // FHIR compares a choice with answerString/answerInteger when its options are texts or numbers,
            // which the mapping made codes.
            if (c.contains("answerString")) {
              c["answerCoding"] = {{"code", c["answerString"]}};
              c.erase("answerString");
            }
            if (c.contains("answerInteger")) {
              c["answerCoding"] = {{"code", std::to_string(c["answerInteger"].get<long long>())}};
              c.erase("answerInteger");
            }
            bool known = false;
            if (c.contains("answerCoding"))
              for (const auto& o : (*target->second)["answerOption"])
                known = known || o["valueCoding"]["code"] == c["answerCoding"]["code"];
            if (!known) why = "it is shown depending on an answer \"" + q + "\" does not offer";
          } else if (op != "exists" && ttype == "boolean" && !c.contains("answerBoolean")) {
            why = "it is shown depending on \"" + q + "\", a yes/no question, compared with something else";
          } else if (op == "exists" && !c.contains("answerBoolean")) {
            why = "an \"exists\" condition needs answerBoolean";
          }
        }
        if (!why.empty() && !forced_.count(link)) {
          forced_[link] = why;
          settled = false;
        }
      }
    }
    if (settled) return true;
    // Whatever depends on an item now left out goes too, in this round (a long chain of
    // conditions must not cost one mapping round per link).
    std::map<std::string, std::vector<std::string>> dependents;
    for (auto& [link, it] : kept)
      if (it->contains("enableWhen"))
        for (const auto& c : (*it)["enableWhen"]) dependents[c["question"].get<std::string>()].push_back(link);
    std::deque<std::string> queue;
    for (const auto& [link, why] : forced_) queue.push_back(link);
    while (!queue.empty()) {
      const std::string gone = queue.front();
      queue.pop_front();
      for (const auto& d : dependents[gone])
        if (!forced_.count(d)) {
          forced_[d] = "it is shown depending on \"" + gone + "\", which is left out";
          queue.push_back(d);
        }
    }
    return false;
  }

  const json& q_;
  const SourceIndex& idx_;
  ImportedForm& out_;
  const std::vector<Variant>& variants_;
  std::map<std::string, const json*> valuesets_;
  std::map<std::string, std::string> forced_;
};

int count_questions(const json& item) {
  const std::string type = item["type"].get<std::string>();
  if (type == "display") return 0;
  if (type != "group") return 1;
  int n = 0;
  for (const auto& c : item["item"]) n += count_questions(c);
  return n;
}

// A long form's top-level groups are cut into parts of at most kImportMaxQuestionsPerPart
// questions, each headed "<title> (k/n)", so the printed sheet and the screen keep a person
// on a short stretch at a time. Conditions are copied to every part of a conditional group.
json split_long_form(const json& items, const SourceIndex& idx, size_t& parts) {
  int total = 0;
  for (const auto& it : items) total += count_questions(it);
  parts = 1;
  if (total <= kImportMaxQuestionsPerPart) return items;
  json out = json::array();
  parts = 0;
  int in_part = 0;
  for (const auto& it : items) {
    const int n = count_questions(it);
    if (it["type"] != "group" || n <= kImportMaxQuestionsPerPart) {
      if (in_part > 0 && in_part + n > kImportMaxQuestionsPerPart) in_part = 0;
      if (in_part == 0 && n > 0) ++parts;
      in_part += n;
      out.push_back(it);
      continue;
    }
    // Even parts (45 questions: 23 + 22, not 40 + 5).
    const int pieces = (n + kImportMaxQuestionsPerPart - 1) / kImportMaxQuestionsPerPart;
    const int target = (n + pieces - 1) / pieces;
    std::vector<json> chunks(1, json::array());
    int in_chunk = 0;
    for (const auto& child : it["item"]) {
      const int m = count_questions(child);
      if (in_chunk > 0 && in_chunk + m > target) {
        chunks.push_back(json::array());
        in_chunk = 0;
      }
      chunks.back().push_back(child);
      in_chunk += m;
    }
    const std::string base = it["linkId"].get<std::string>();
    for (size_t k = 0; k < chunks.size(); ++k) {
      json part = it;
      part["item"] = chunks[k];
      if (k > 0) {
        std::string id = base + "-part-" + std::to_string(k + 1);
        while (idx.by_link.count(id)) id += "x";
        part["linkId"] = id;
      }
      const std::string label = " (" + std::to_string(k + 1) + "/" + std::to_string(chunks.size()) + ")";
      part["text"] = part.value("text", std::string()) + label;
      if (part.contains("_text"))
        for (auto& e : part["_text"]["extension"])
          e["extension"][1]["valueString"] = e["extension"][1]["valueString"].get<std::string>() + label;
      out.push_back(std::move(part));
      ++parts;
    }
    in_part = 0;
  }
  return out;
}

Variant read_variant(const json& q, const std::string& lang) {
  Variant v;
  v.lang = lang;
  v.title = strip_markdown(str(q, "title"));
  v.description = strip_markdown(str(q, "description"));
  std::map<std::string, const json*> sets;
  for (const auto& c : list(q, "contained"))
    if (str(c, "resourceType") == "ValueSet") sets[str(c, "id")] = &c;
  std::vector<const json*> stack;
  for (const auto& it : list(q, "item")) stack.push_back(&it);
  while (!stack.empty()) {
    const json& it = *stack.back();
    stack.pop_back();
    const std::string link = str(it, "linkId");
    v.texts[link] = item_text(it);
    if (auto sub = extension(it, "sdf-sublabel"); sub && !strip_markdown(str(*sub, "valueMarkdown")).empty())
      v.texts[link] += "\n" + strip_markdown(str(*sub, "valueMarkdown"));
    for (const auto& o : list(it, "answerOption"))
      if (auto c = o.find("valueCoding"); c != o.end() && c->is_object())
        v.options[option_key(link, str(*c, "code"))] = strip_markdown(str(*c, "display"));
    const std::string vs = str(it, "answerValueSet");
    if (!vs.empty() && vs[0] == '#' && sets.count(vs.substr(1))) {
      const json& set = *sets[vs.substr(1)];
      if (auto compose = set.find("compose"); compose != set.end())
        for (const auto& inc : list(*compose, "include"))
          for (const auto& c : list(inc, "concept"))
            v.options[option_key(link, str(c, "code"))] = strip_markdown(str(c, "display"));
    }
    for (const auto& child : list(it, "item")) stack.push_back(&child);
  }
  return v;
}

ImportedForm import_one(const json& q, const std::string& source, const std::vector<Variant>& variants,
                        const ImportOptions& options) {
  ImportedForm f;
  f.source = source;
  SourceIndex idx;
  index_items(list(q, "item"), 1, source, idx);
  if (q.contains("item") && !q["item"].is_array()) throw FormError(source, "\"item\" must be a list of items");
  check_conditions(idx, source);
  f.items = idx.order.size();
  f.url = str(q, "url");
  if (f.url.empty()) f.url = "Questionnaire/" + (str(q, "id").empty() ? str(q, "name") : str(q, "id"));
  f.title = strip_markdown(str(q, "title"));
  if (f.title.empty()) f.title = str(q, "name");
  std::string id = slug(str(q, "name"));
  if (id.empty()) id = slug(str(q, "id"));
  if (id.empty()) id = slug(f.title);
  if (id.empty()) id = "imported-form";
  f.id = id;
  f.languages.push_back("nb");
  for (const auto& v : variants) f.languages.push_back(v.lang);

  const std::string lang = language_code(str(q, "language"));
  if (lang != "nb") {
    f.supported = Channels{false, false, false};
    f.not_offered = "the form is written in \"" + str(q, "language") +
                    "\" and the file has no bokmål version; the kiosk's forms have bokmål first";
    f.languages = {lang};
    return f;
  }

  Mapper mapper(q, idx, f, variants);
  json items = mapper.run();
  items = split_long_form(items, idx, f.parts);

  for (const auto& u : f.unsupported) {
    if (!u.required) continue;
    f.supported.screen = f.supported.screen && u.supported.screen;
    f.supported.paper = f.supported.paper && u.supported.paper;
    f.supported.recognition = f.supported.recognition && u.supported.recognition;
    if (f.not_offered.empty()) {
      f.not_offered = "the required item \"" + u.link_id + "\" (" + u.type + ") cannot be carried over: " + u.why;
      // Say the root cause of "inside X, which is left out".
      std::string why = u.why;
      for (int hops = 0; hops < kImportMaxItemDepth && why.rfind("inside \"", 0) == 0; ++hops) {
        const std::string parent = why.substr(8, why.find('"', 8) - 8);
        auto p = std::find_if(f.unsupported.begin(), f.unsupported.end(),
                              [&](const UnsupportedItem& x) { return x.link_id == parent; });
        if (p == f.unsupported.end()) break;
        why = p->why;
        if (why.rfind("inside \"", 0) != 0) f.not_offered += " (\"" + parent + "\": " + why + ")";
      }
    }
  }
  int questions = 0;
  for (const auto& it : items) questions += count_questions(it);
  if (questions == 0 && f.not_offered.empty()) {
    f.supported = Channels{false, false, false};
    f.not_offered = "no question of the form can be asked at the kiosk";
  }
  if (!f.supported.all()) return f;

  json form = {{"resourceType", "Questionnaire"}, {"id", f.id}, {"url", f.url}};
  // The version goes into the printed QR code: [A-Za-z0-9._-], at most 32 characters.
  std::string version;
  for (unsigned char c : str(q, "version"))
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') version += static_cast<char>(c);
  version = version.substr(0, 32);
  form["version"] = version.empty() ? "1" : version;
  form["status"] = str(q, "status").empty() ? "draft" : str(q, "status");
  form["language"] = "nb";
  put_translated(form, "title", f.title.empty() ? f.id : f.title, variants, [](const Variant& v) { return v.title; });
  std::string description = strip_markdown(str(q, "description"));
  if (description.empty()) description = strip_markdown(str(q, "purpose"));
  if (description.empty()) description = form["title"].get<std::string>();
  put_translated(form, "description", description, variants, [](const Variant& v) { return v.description; });
  json ext = json::array();
  const std::string kiosk = kKioskExtensionBase;
  ext.push_back({{"url", kiosk + "task-category"}, {"valueCode", options.category}});
  ext.push_back({{"url", kiosk + "representation"}, {"valueCode", "self"}});
  ext.push_back({{"url", kiosk + "signature-required"}, {"valueBoolean", true}});
  ext.push_back({{"url", kImportedFromExtension}, {"valueUri", f.url}});
  for (const auto& e : list(q, "extension")) {
    const std::string url = str(e, "url");
    // The platform's own rules travel with the form when they are in its value sets.
    if (url == std::string(kSdfExtensionBase) + "sdf-canbeperformedby") {
      const auto& c = e.value("valueCoding", json::object());
      if (str(c, "system") == kSdfCanBePerformedBySystem && (str(c, "code") == "1" || str(c, "code") == "2"))
        ext.push_back(e);
      if (str(c, "code") == "1") ext.push_back({{"url", kiosk + "representation"}, {"valueCode", "power-of-attorney"}});
    } else if (url == std::string(kSdfExtensionBase) + "sdf-authenticationrequirement") {
      const auto& c = e.value("valueCoding", json::object());
      if (str(c, "system") == kSdfAuthenticationRequirementSystem &&
          (str(c, "code") == "1" || str(c, "code") == "2" || str(c, "code") == "3"))
        ext.push_back(e);
    }
  }
  for (const auto& u : f.unsupported)
    ext.push_back({{"url", kImportLeftOutExtension}, {"valueString", u.link_id + " (" + u.type + "): " + u.why}});
  form["extension"] = ext;
  form["item"] = items;
  try {
    f.form = parse_questionnaire(form, source);
  } catch (const FormError& e) {
    f.supported = Channels{false, false, false};
    f.not_offered = std::string("the converted form is not valid for the kiosk: ") + e.what();
    return f;
  }
  f.catalogue_form = std::move(form);
  f.offered = true;
  return f;
}

// The structure of a language variant must match the bokmål form's for its texts to be used.
bool same_link_ids(const json& a, const json& b) {
  SourceIndex ia, ib;
  try {
    index_items(list(a, "item"), 1, "", ia);
    index_items(list(b, "item"), 1, "", ib);
  } catch (const FormError&) {
    return false;
  }
  return ia.order == ib.order;
}

}  // namespace

std::vector<ImportedForm> import_questionnaires(const std::string& text, const std::string& source,
                                                const ImportOptions& options) {
  if (text.size() > kImportMaxFileBytes)
    throw FormError(source, "the file is larger than " + std::to_string(kImportMaxFileBytes / (1024 * 1024)) +
                                " MiB; no real form is that big");
  if (json_depth(text) > kImportMaxJsonDepth)
    throw FormError(source, "the JSON is nested more than " + std::to_string(kImportMaxJsonDepth) +
                                " levels deep; no real form is");
  json root = json::parse(text, nullptr, false);
  if (root.is_discarded()) throw FormError(source, "is not valid JSON (cut short or damaged?)");
  if (!root.is_object()) throw FormError(source, "is not a FHIR resource (a JSON object with resourceType)");
  const std::string type = str(root, "resourceType");
  std::vector<std::pair<const json*, std::string>> resources;  // Questionnaire, where
  if (type == "Bundle") {
    const json& entries = list(root, "entry");
    for (size_t i = 0; i < entries.size(); ++i) {
      const std::string where = source + " entry " + std::to_string(i + 1);
      auto r = entries[i].is_object() ? entries[i].find("resource") : entries[i].end();
      if (!entries[i].is_object() || r == entries[i].end() || !r->is_object())
        throw FormError(where, "has no resource");
      if (str(*r, "resourceType") != "Questionnaire")
        throw FormError(where, str(*r, "resourceType").empty()
                                   ? std::string("is not a FHIR resource (no resourceType)")
                                   : "is of resourceType \"" + str(*r, "resourceType") + "\", not a Questionnaire");
      resources.push_back({&*r, where});
    }
    if (resources.empty()) throw FormError(source, "the Bundle holds no Questionnaire");
  } else if (type == "Questionnaire") {
    resources.push_back({&root, source});
  } else {
    throw FormError(source, type.empty() ? "is not a FHIR resource (no resourceType)"
                                         : "is of resourceType \"" + type + "\", not a Questionnaire");
  }

  // Language variants (the platform publishes nb-NO, nn-NO and en-GB as separate
  // Questionnaires of the same name) become translations of the bokmål one.
  std::vector<bool> merged(resources.size(), false);
  std::vector<ImportedForm> out;
  for (size_t i = 0; i < resources.size(); ++i) {
    const json& q = *resources[i].first;
    if (language_code(str(q, "language")) != "nb") continue;
    std::vector<Variant> variants;
    std::set<std::string> langs;
    for (size_t k = 0; k < resources.size(); ++k) {
      const json& other = *resources[k].first;
      const std::string lang = language_code(str(other, "language"));
      if (k == i || lang == "nb" || !is_known_language(lang) || langs.count(lang)) continue;
      if (str(other, "name") != str(q, "name") || !same_link_ids(q, other)) continue;
      variants.push_back(read_variant(other, lang));
      langs.insert(lang);
      merged[k] = true;
    }
    out.push_back(import_one(q, resources[i].second, variants, options));
  }
  for (size_t i = 0; i < resources.size(); ++i)
    if (!merged[i] && language_code(str(*resources[i].first, "language")) != "nb")
      out.push_back(import_one(*resources[i].first, resources[i].second, {}, options));
  // Ids unique within one import (two forms of the same name in a Bundle).
  std::set<std::string> ids;
  for (auto& f : out) {
    std::string id = f.id;
    for (int n = 2; ids.count(id); ++n) id = f.id + "-" + std::to_string(n);
    if (id != f.id) {
      f.id = id;
      if (f.offered) {
        f.catalogue_form["id"] = id;
        f.form.id = id;
      }
    }
    ids.insert(id);
  }
  return out;
}

std::vector<ImportedForm> import_questionnaire_file(const std::filesystem::path& path, const ImportOptions& options) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) throw FormError(path.string(), "is a folder, not a file");
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) throw FormError(path.string(), "cannot be read: " + ec.message());
  if (size > kImportMaxFileBytes)
    throw FormError(path.string(), "the file is larger than " + std::to_string(kImportMaxFileBytes / (1024 * 1024)) +
                                       " MiB; no real form is that big");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormError(path.string(), "cannot be opened");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return import_questionnaires(text, path.string(), options);
}

nlohmann::json import_report_json(const std::vector<ImportedForm>& forms) {
  json out = json::array();
  for (const auto& f : forms) {
    json unsupported = json::array();
    for (const auto& u : f.unsupported)
      unsupported.push_back(
          {{"linkId", u.link_id},
           {"type", u.type},
           {"required", u.required},
           {"why", u.why},
           {"supported",
            {{"screen", u.supported.screen}, {"paper", u.supported.paper}, {"recognition", u.supported.recognition}}}});
    json notes = json::array();
    for (const auto& n : f.notes) notes.push_back({{"linkId", n.link_id}, {"note", n.note}});
    json j = {
        {"source", f.source},
        {"id", f.id},
        {"url", f.url},
        {"title", f.title},
        {"languages", f.languages},
        {"items", f.items},
        {"parts", f.parts},
        {"supported",
         {{"screen", f.supported.screen}, {"paper", f.supported.paper}, {"recognition", f.supported.recognition}}},
        {"offered", f.offered},
        {"unsupported", unsupported},
        {"notes", notes}};
    if (!f.offered) j["not_offered"] = f.not_offered;
    out.push_back(std::move(j));
  }
  return json{{"forms", out}};
}

namespace {

void write_atomically(const std::filesystem::path& path, const std::string& content) {
  const auto tmp = path.string() + ".import-tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << content;
    out.flush();
    if (!out) throw FormError(path.string(), "cannot be written");
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw FormError(path.string(), "cannot be written: " + ec.message());
  }
}

}  // namespace

std::vector<std::filesystem::path> write_imported_forms(const std::filesystem::path& dir,
                                                        const std::vector<ImportedForm>& forms,
                                                        const std::string& owner_code) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (!std::filesystem::is_directory(dir, ec)) throw FormError(dir.string(), "is not a folder that can be written");
  // Never over a form someone wrote by hand: only an earlier import of a form may be replaced.
  for (const auto& f : forms) {
    const auto path = dir / (f.id + ".json");
    if (!f.offered || !std::filesystem::exists(path, ec)) continue;
    std::ifstream in(path, std::ios::binary);
    const json old = json::parse(in, nullptr, false);
    bool imported = false;
    for (const auto& e : list(old, "extension")) imported = imported || str(e, "url") == kImportedFromExtension;
    if (!imported)
      throw FormError(path.string(), "is a form that was not imported; the import would replace it (nothing written)");
  }
  const auto owners_file = dir / kOwnersFileName;
  // Ordered, so a catalogue's owners.json keeps its layout (comments first) when forms are added.
  nlohmann::ordered_json owners = {{"owners", nlohmann::ordered_json::object()},
                                   {"forms", nlohmann::ordered_json::object()}};
  if (std::filesystem::exists(owners_file, ec)) {
    std::ifstream in(owners_file, std::ios::binary);
    owners = nlohmann::ordered_json::parse(in, nullptr, false);
    if (owners.is_discarded() || !owners.is_object() || !owners.contains("owners") || !owners["owners"].is_object() ||
        !owners.contains("forms") || !owners["forms"].is_object())
      throw FormError(owners_file.string(), "is not an owners file with \"owners\" and \"forms\" (nothing written)");
  } else {
    // A new owners.json must list every form of the folder, so the folder must hold only imports.
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
      const bool ours = std::any_of(forms.begin(), forms.end(), [&](const ImportedForm& f) {
        return f.offered && entry.path().filename() == f.id + ".json";
      });
      if (!ours)
        throw FormError(dir.string(), "holds forms but no " + std::string(kOwnersFileName) +
                                          ": import into an empty folder or a catalogue folder (nothing written)");
    }
  }
  if (!owner_code.empty() && !owners["owners"].contains(owner_code))
    throw FormError(owners_file.string(), "has no owner \"" + owner_code + "\" (nothing written)");
  const std::string owner = owner_code.empty() ? kImportDefaultOwner : owner_code;
  if (!owners["owners"].contains(owner))
    owners["owners"][owner] = {{"name", "Helsenorge"},
                               {"postal_address", ""},
                               {"web", "helsenorge.no"},
                               {"source", "https://www.helsenorge.no/"}};
  std::vector<std::filesystem::path> written;
  for (const auto& f : forms) {
    if (!f.offered) continue;
    nlohmann::ordered_json entry = {{"owner", owner}};
    const bool web = f.url.rfind("https://", 0) == 0 || f.url.rfind("http://", 0) == 0;
    if (!owner_code.empty() && web) {
      entry["status"] = "official";
      entry["source"] = f.url;
    } else {
      entry["status"] = "proposed";
      entry["note"] = "Imported from the platform's Questionnaire " + f.url + " (" +
                      std::filesystem::path(f.source).filename().string() + ")" +
                      (owner_code.empty() ? "; no form owner was named at import."
                                          : "; the Questionnaire has no web address to cite as the source.");
    }
    entry["imported_from"] = f.url;
    owners["forms"][f.id] = entry;
    const auto path = dir / (f.id + ".json");
    write_atomically(path, f.catalogue_form.dump(1) + "\n");
    written.push_back(path);
  }
  write_atomically(owners_file, owners.dump(1) + "\n");
  // The proof: the folder loads as a catalogue, with the owners and statuses just written.
  Catalogue::load_directory(dir);
  return written;
}

}  // namespace forms
