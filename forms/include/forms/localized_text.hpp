#pragma once
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace forms {

// Languages the kiosk knows, in the order they are offered. Norwegian first.
// nb = Norsk bokmål, nn = Norsk nynorsk, se = Davvisámegiella (Northern Sámi), en = English.
inline const std::vector<std::string> kKnownLanguages = {"nb", "nn", "se", "en", "pl", "uk", "so"};
// Every citizen-facing text of a form must exist in these.
inline const std::vector<std::string> kRequiredLanguages = {"nb", "nn", "en"};
// Task-level texts (form title, purpose, task categories) must also exist in these.
inline const std::vector<std::string> kTaskLevelLanguages = {"nb", "nn", "se", "en"};

bool is_known_language(std::string_view lang);

// A text with one value per language code. The base language of every form is nb.
class LocalizedText {
 public:
  LocalizedText() = default;
  explicit LocalizedText(std::string nb_text) { values_["nb"] = std::move(nb_text); }

  void set(const std::string& lang, std::string text) { values_[lang] = std::move(text); }
  bool has(const std::string& lang) const { return values_.count(lang) != 0; }
  bool empty() const { return values_.empty(); }
  // The text in `lang`; falls back to bokmål (for languages with partial translations,
  // such as Sámi beyond task level) and then to an empty string.
  const std::string& get(const std::string& lang) const;
  const std::map<std::string, std::string>& all() const { return values_; }

 private:
  std::map<std::string, std::string> values_;
};

}  // namespace forms
