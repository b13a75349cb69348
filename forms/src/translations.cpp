#include "forms/translations.hpp"

#include <fstream>

#include <nlohmann/json.hpp>

#include "forms/error.hpp"
#include "forms/localized_text.hpp"

namespace forms {

Translations Translations::load_directory(const std::filesystem::path& dir) {
  Translations t;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) throw FormError(dir.string(), "the translation folder does not exist");
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() != ".json") continue;
    const std::string lang = entry.path().stem().string();
    if (!is_known_language(lang)) throw FormError(entry.path().string(), "unknown language code \"" + lang + "\"");
    std::ifstream in(entry.path(), std::ios::binary);
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(in);
    } catch (const nlohmann::json::parse_error& e) {
      throw FormError(entry.path().string(), std::string("is not valid JSON: ") + e.what());
    }
    if (!j.is_object()) throw FormError(entry.path().string(), "must be an object of key -> text");
    auto& table = t.by_lang_[lang];
    for (auto it = j.begin(); it != j.end(); ++it) {
      if (!it.value().is_string()) throw FormError(entry.path().string(), "\"" + it.key() + "\" must be a string");
      table[it.key()] = it.value().get<std::string>();
    }
  }
  if (!t.by_lang_.count("nb")) throw FormError(dir.string(), "nb.json (Norsk bokmål) is missing");
  return t;
}

const std::string& Translations::text(const std::string& lang, const std::string& key) const {
  for (const std::string& l : {lang, std::string("nb")}) {
    auto table = by_lang_.find(l);
    if (table == by_lang_.end()) continue;
    auto it = table->second.find(key);
    if (it != table->second.end()) return it->second;
  }
  return key;
}

bool Translations::has(const std::string& lang, const std::string& key) const {
  auto table = by_lang_.find(lang);
  return table != by_lang_.end() && table->second.count(key) != 0;
}

std::string Translations::format(const std::string& lang, const std::string& key,
                                 const std::map<std::string, std::string>& args) const {
  std::string s = text(lang, key);
  for (const auto& [name, value] : args) {
    const std::string token = "{" + name + "}";
    for (size_t pos = s.find(token); pos != std::string::npos; pos = s.find(token, pos + value.size()))
      s.replace(pos, token.size(), value);
  }
  return s;
}

std::vector<std::string> Translations::languages() const {
  std::vector<std::string> out;
  for (const auto& lang : kKnownLanguages)
    if (by_lang_.count(lang)) out.push_back(lang);
  return out;
}

std::vector<std::string> Translations::keys(const std::string& lang) const {
  std::vector<std::string> out;
  auto table = by_lang_.find(lang);
  if (table == by_lang_.end()) return out;
  for (const auto& [key, text] : table->second) out.push_back(key);
  return out;
}

bool is_task_level_key(const std::string& key) {
  for (const char* prefix : {"category.", "task.", "language.", "representation.type."})
    if (key.rfind(prefix, 0) == 0) return true;
  return false;
}

}  // namespace forms
