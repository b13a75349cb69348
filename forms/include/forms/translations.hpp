#pragma once
#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace forms {

// The UI string catalogue: assets/i18n/<lang>.json, each a flat object key -> text.
// Screens, receipts and error messages look their words up here; nothing a citizen
// reads is written in code.
class Translations {
 public:
  static Translations load_directory(const std::filesystem::path& dir);

  // The text for `key` in `lang`, falling back to bokmål; the key itself (so a
  // missing text is visible in tests and screenshots) when no language has it.
  const std::string& text(const std::string& lang, const std::string& key) const;
  bool has(const std::string& lang, const std::string& key) const;
  // Replaces {name} placeholders.
  std::string format(const std::string& lang, const std::string& key,
                     const std::map<std::string, std::string>& args) const;

  std::vector<std::string> languages() const;
  std::vector<std::string> keys(const std::string& lang) const;

 private:
  std::map<std::string, std::map<std::string, std::string>> by_lang_;
};

// Keys whose texts are task-level and must also exist in Northern Sámi.
bool is_task_level_key(const std::string& key);

}  // namespace forms
