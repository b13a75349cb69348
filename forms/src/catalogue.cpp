#include "forms/catalogue.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include "forms/error.hpp"

namespace forms {

namespace {

bool is_web_url(const std::string& s) {
  return s.rfind("https://", 0) == 0 || s.rfind("http://", 0) == 0;
}

// Reads owners.json and sets each form's owner and status. Every problem is added to
// `problems`: a form not listed, a listed form that does not exist, an unknown owner, an
// official form without a source, an owner without a name, web page or source.
void apply_owners(const std::filesystem::path& file, std::vector<Questionnaire>& forms, std::string& problems) {
  const std::string where = file.string();
  nlohmann::json j;
  try {
    std::ifstream in(file, std::ios::binary);
    if (!in) throw FormError(where, "cannot be opened");
    j = nlohmann::json::parse(in);
  } catch (const nlohmann::json::parse_error& e) {
    problems += "\n  " + where + ": is not valid JSON: " + e.what();
    return;
  } catch (const FormError& e) {
    problems += std::string("\n  ") + e.what();
    return;
  }
  auto problem = [&](const std::string& what) { problems += "\n  " + where + ": " + what; };
  if (!j.is_object() || !j.contains("owners") || !j["owners"].is_object() || !j.contains("forms") ||
      !j["forms"].is_object()) {
    problem("must be an object with \"owners\" and \"forms\" objects");
    return;
  }
  std::map<std::string, FormOwner> owners;
  std::map<std::string, nlohmann::json> owner_refusals;  // the owner's rules for all its forms
  for (const auto& [code, o] : j["owners"].items()) {
    const std::string w = "owner \"" + code + "\"";
    if (!o.is_object()) {
      problem(w + " must be an object");
      continue;
    }
    FormOwner owner;
    owner.code = code;
    const auto& name = o.contains("name") ? o["name"] : nlohmann::json();
    if (name.is_string()) {
      for (const auto& lang : kTaskLevelLanguages) owner.name.set(lang, name.get<std::string>());
    } else if (name.is_object()) {
      for (const auto& [lang, text] : name.items())
        if (text.is_string()) owner.name.set(lang, text.get<std::string>());
      for (const auto& lang : kTaskLevelLanguages)
        if (!owner.name.has(lang)) problem(w + " has no name in " + lang);
    } else {
      problem(w + " needs a \"name\" (a text, or one text per language)");
    }
    owner.postal_address = o.value("postal_address", "");
    owner.web = o.value("web", "");
    owner.source = o.value("source", "");
    if (owner.web.empty()) problem(w + " needs a \"web\" address to print when there is no postal address");
    if (!is_web_url(owner.source)) problem(w + " needs a \"source\": the web page where its address or rules are");
    if (o.contains("refuse") && !o["refuse"].is_object()) problem(w + ": \"refuse\" must map type codes to reasons");
    owner_refusals[code] = o.value("refuse", nlohmann::json::object());
    owners.emplace(code, std::move(owner));
  }
  std::map<std::string, bool> listed;
  for (const auto& [id, entry] : j["forms"].items()) listed[id] = false;
  for (auto& q : forms) {
    if (!j["forms"].contains(q.id)) {
      problem("form \"" + q.id + "\" has no owner and status here");
      continue;
    }
    listed[q.id] = true;
    const auto& e = j["forms"][q.id];
    const std::string w = "form \"" + q.id + "\"";
    if (!e.is_object()) {
      problem(w + " must be an object");
      continue;
    }
    const auto owner = owners.find(e.value("owner", ""));
    if (owner == owners.end())
      problem(w + " names an unknown owner \"" + e.value("owner", "") + "\"");
    else
      q.owner = owner->second;
    // Who may submit: the owner's rules, then the form's own; a refused type is removed from
    // the form's allowed types and its reason kept for the person.
    nlohmann::json refuse = owner == owners.end() ? nlohmann::json::object() : owner_refusals[owner->first];
    if (e.contains("refuse")) {
      if (e["refuse"].is_object())
        refuse.update(e["refuse"]);
      else
        problem(w + ": \"refuse\" must map type codes to reasons");
    }
    for (const auto& [type, reason] : refuse.items()) {
      if (!reason.is_string() || reason.get<std::string>().empty()) {
        problem(w + ": the reason for refusing \"" + type + "\" must be a text code");
        continue;
      }
      q.refused_representation[type] = reason.get<std::string>();
      q.representation.erase(std::remove(q.representation.begin(), q.representation.end(), type),
                             q.representation.end());
    }
    const std::string status = e.value("status", "");
    if (status == "official") {
      q.catalogue_status = FormStatus::Official;
      q.status_source = e.value("source", "");
      if (!is_web_url(q.status_source)) problem(w + " is official but has no \"source\" web page");
    } else if (status == "proposed") {
      q.catalogue_status = FormStatus::Proposed;
      q.status_note = e.value("note", "");
      if (q.status_note.empty()) problem(w + " is proposed: say in \"note\" why no real form is known");
    } else {
      problem(w + " has status \"" + status + "\"; use \"official\" or \"proposed\"");
    }
  }
  for (const auto& [id, found] : listed)
    if (!found) problem("form \"" + id + "\" is listed but there is no such form in the folder");
}

}  // namespace

Catalogue Catalogue::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw FormError(dir.string(), "the form catalogue folder does not exist");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".json" && entry.path().filename() != kOwnersFileName)
      files.push_back(entry.path());
  if (ec) throw FormError(dir.string(), "cannot read the folder: " + ec.message());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw FormError(dir.string(), "the form catalogue folder has no forms");

  std::vector<Questionnaire> forms;
  std::string problems;
  for (const auto& file : files) {
    try {
      forms.push_back(load_questionnaire_file(file));
    } catch (const FormError& e) {
      problems += std::string("\n  ") + e.what();
    }
  }
  if (problems.empty() && std::filesystem::is_regular_file(dir / kOwnersFileName, ec))
    apply_owners(dir / kOwnersFileName, forms, problems);
  if (!problems.empty()) throw FormError(dir.string(), "some forms are not valid:" + problems);
  return from_forms(std::move(forms));
}

Catalogue Catalogue::from_forms(std::vector<Questionnaire> forms) {
  std::map<std::string, std::string> seen;
  for (const auto& q : forms) {
    auto [it, inserted] = seen.emplace(q.id, q.source.string());
    if (!inserted) throw FormError(q.source.string(), "form id \"" + q.id + "\" is also used by " + it->second);
    if (std::find(kTaskCategories.begin(), kTaskCategories.end(), q.category) == kTaskCategories.end())
      throw FormError(q.source.string(), "unknown task category \"" + q.category + "\"");
  }
  Catalogue c;
  c.forms_ = std::move(forms);
  std::sort(c.forms_.begin(), c.forms_.end(), [](const auto& a, const auto& b) { return a.id < b.id; });
  return c;
}

const Questionnaire* Catalogue::find(const std::string& id) const {
  for (const auto& q : forms_)
    if (q.id == id) return &q;
  return nullptr;
}

const Questionnaire& Catalogue::at(const std::string& id) const {
  if (const Questionnaire* q = find(id)) return *q;
  throw FormError("", "there is no form with id \"" + id + "\" (kioskctl forms list shows them)");
}

std::vector<const Questionnaire*> Catalogue::in_category(const std::string& category) const {
  std::vector<const Questionnaire*> out;
  for (const auto& q : forms_)
    if (q.category == category) out.push_back(&q);
  return out;
}

nlohmann::json catalogue_summary_json(const Catalogue& catalogue) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& q : catalogue.forms()) {
    nlohmann::json title = nlohmann::json::object();
    for (const auto& [lang, text] : q.title.all()) title[lang] = text;
    out.push_back({{"id", q.id},
                   {"version", q.version},
                   {"url", q.url},
                   {"title", title},
                   {"category", q.category},
                   {"representation", q.representation},
                   {"signature", q.signature_required},
                   {"attachments", q.attachments},
                   {"status", to_string(q.catalogue_status)}});
    if (!q.refused_representation.empty()) out.back()["refused_representation"] = q.refused_representation;
    if (q.owner) {
      nlohmann::json name = nlohmann::json::object();
      for (const auto& [lang, text] : q.owner->name.all()) name[lang] = text;
      out.back()["owner"] = {{"code", q.owner->code}, {"name", q.owner->name.get("nb")},
                             {"names", name},         {"postal_address", q.owner->postal_address},
                             {"web", q.owner->web},   {"source", q.owner->source}};
    }
    if (!q.status_source.empty()) out.back()["status_source"] = q.status_source;
    if (!q.status_note.empty()) out.back()["status_note"] = q.status_note;
  }
  return out;
}

}  // namespace forms
