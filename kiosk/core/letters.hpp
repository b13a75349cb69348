#pragma once
// Letters typed on the kiosk's on-screen keyboards (the citizen's and the admin's), which send
// UTF-8: æ, ø, å and the Sámi letters are two bytes each.
#include <string>
#include <utility>
#include <vector>

namespace kiosk {

// The capital of a keyboard letter (a-z, æ ø å, the Sámi letters); any other key as it is.
inline std::string capital_letter(const std::string& key) {
  if (key.size() == 1 && key[0] >= 'a' && key[0] <= 'z') return std::string(1, static_cast<char>(key[0] - 'a' + 'A'));
  static const std::vector<std::pair<std::string, std::string>> kCapitals = {
      {"æ", "Æ"}, {"ø", "Ø"}, {"å", "Å"}, {"á", "Á"}, {"č", "Č"},
      {"đ", "Đ"}, {"ŋ", "Ŋ"}, {"š", "Š"}, {"ŧ", "Ŧ"}, {"ž", "Ž"}};
  for (const auto& [small, capital] : kCapitals)
    if (key == small) return capital;
  return key;
}

// Removes the last letter (all of its UTF-8 bytes), not just the last byte.
inline void erase_last_letter(std::string& s) {
  if (s.empty()) return;
  size_t i = s.size() - 1;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80) --i;
  s.erase(i);
}

}  // namespace kiosk
