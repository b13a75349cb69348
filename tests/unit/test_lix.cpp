#include <doctest/doctest.h>

#include "forms/lix.hpp"

using forms::lix;

TEST_CASE("lix: counts words, sentences and long words") {
  auto s = lix("Du kan si nei. Det er lett.");
  CHECK(s.words == 7);
  CHECK(s.sentences == 2);
  CHECK(s.long_words == 0);
  CHECK(s.value == doctest::Approx(3.5));
}

TEST_CASE("lix: long words have more than six letters, counted as letters not bytes") {
  auto s = lix("Kjernejournal");  // 13 letters
  CHECK(s.long_words == 1);
  CHECK(s.value == doctest::Approx(101.0));
  CHECK(lix("Søknad").long_words == 0);   // 6 letters with ø (2 bytes)
  CHECK(lix("Søknads").long_words == 1);  // 7 letters
  CHECK(lix("Sámegiella").long_words == 1);
}

TEST_CASE("lix: empty and punctuation-only text score zero, broken UTF-8 does not crash") {
  CHECK(lix("").value == 0.0);
  CHECK(lix("...").words == 0);
  CHECK(lix("\xff\xfe abc").words == 1);
  CHECK(lix("\xc3").words == 0);
}
