#include "forms/catalogue.hpp"

#include <algorithm>
#include <map>

#include "forms/error.hpp"

namespace forms {

Catalogue Catalogue::load_directory(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw FormError(dir.string(), "the form catalogue folder does not exist");
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.is_regular_file() && entry.path().extension() == ".json") files.push_back(entry.path());
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
                   {"attachments", q.attachments}});
  }
  return out;
}

}  // namespace forms
