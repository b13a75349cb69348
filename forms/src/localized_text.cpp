#include "forms/localized_text.hpp"

#include <algorithm>

namespace forms {

bool is_known_language(std::string_view lang) {
  return std::find(kKnownLanguages.begin(), kKnownLanguages.end(), lang) != kKnownLanguages.end();
}

const std::string& LocalizedText::get(const std::string& lang) const {
  static const std::string empty;
  if (auto it = values_.find(lang); it != values_.end()) return it->second;
  if (auto it = values_.find("nb"); it != values_.end()) return it->second;
  return empty;
}

}  // namespace forms
