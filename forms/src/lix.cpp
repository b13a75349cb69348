#include "forms/lix.hpp"

#include <cstdint>

namespace forms {

namespace {
// Decodes one UTF-8 code point starting at i and advances i. Invalid bytes count as
// one non-letter code point, so malformed text never loops or reads past the end.
char32_t next_code_point(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  int len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len == 0 || i + static_cast<size_t>(len) > s.size()) {
    ++i;
    return 0xFFFD;
  }
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (int k = 1; k < len; ++k) cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<size_t>(k)]) & 0x3F);
  i += static_cast<size_t>(len);
  return cp;
}

bool is_letter_or_digit(char32_t cp) {
  if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9')) return true;
  // Latin-1 supplement and Latin Extended-A/B letters (æ ø å, Sámi á č đ ŋ š ŧ ž),
  // Cyrillic (Ukrainian), skipping the multiplication and division signs.
  if (cp >= 0xC0 && cp <= 0x24F && cp != 0xD7 && cp != 0xF7) return true;
  if (cp >= 0x400 && cp <= 0x4FF) return true;
  return false;
}
}  // namespace

LixScore lix(std::string_view text) {
  LixScore score;
  int letters_in_word = 0;
  bool in_word = false;
  auto end_word = [&] {
    if (in_word) {
      ++score.words;
      if (letters_in_word > 6) ++score.long_words;
    }
    in_word = false;
    letters_in_word = 0;
  };
  for (size_t i = 0; i < text.size();) {
    const char32_t cp = next_code_point(text, i);
    if (is_letter_or_digit(cp)) {
      in_word = true;
      ++letters_in_word;
    } else if (cp == '-' || cp == '\'' || cp == 0x2019) {
      // Hyphenated and elided words stay one word.
      if (!in_word) end_word();
    } else {
      end_word();
      if (cp == '.' || cp == '!' || cp == '?' || cp == ':' || cp == ';') ++score.sentences;
    }
  }
  end_word();
  if (score.words == 0) return score;
  if (score.sentences == 0) score.sentences = 1;
  score.value = static_cast<double>(score.words) / score.sentences + 100.0 * score.long_words / score.words;
  return score;
}

}  // namespace forms
