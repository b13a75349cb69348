#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include "forms/questionnaire.hpp"

namespace forms {

// The plain-language tasks a citizen picks from on the "What do you want to do?" screen.
// Their names live in the translation catalogue under "category.<code>".
inline const std::vector<std::string> kTaskCategories = {
    "see-my-data", "say-no", "someone-helps", "fix-my-data", "doctor-and-medicines", "costs-and-travel"};

// The name of the file in the catalogue folder that names each form's owner and status.
inline constexpr const char* kOwnersFileName = "owners.json";

// Every form in assets/forms, loaded and checked. Ids are unique.
class Catalogue {
 public:
  // Loads every *.json in `dir` (except owners.json). When `dir` has an owners.json, every
  // form must be listed there with its owner and status (and a source when official).
  // Collects all problems and throws one FormError listing them.
  static Catalogue load_directory(const std::filesystem::path& dir);
  static Catalogue from_forms(std::vector<Questionnaire> forms);

  const std::vector<Questionnaire>& forms() const { return forms_; }
  const Questionnaire* find(const std::string& id) const;
  const Questionnaire& at(const std::string& id) const;  // throws FormError when unknown
  std::vector<const Questionnaire*> in_category(const std::string& category) const;

 private:
  std::vector<Questionnaire> forms_;
};

// The catalogue as `kioskctl forms list --json` prints it.
nlohmann::json catalogue_summary_json(const Catalogue& catalogue);

}  // namespace forms
