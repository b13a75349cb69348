#pragma once
#include <string_view>

namespace forms {

// LIX readability (Björnsson): words per sentence + 100 * long words / words, where a
// long word has more than six letters. Below 35 is easy to read.
struct LixScore {
  int words = 0;
  int sentences = 0;
  int long_words = 0;
  double value = 0.0;
};

// Counts UTF-8 letters (so æ, ø, å and Sámi letters are one letter each). A text with
// no sentence-ending mark counts as one sentence.
LixScore lix(std::string_view utf8_text);

}  // namespace forms
