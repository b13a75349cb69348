#include <doctest/doctest.h>

#include <random>

#include "forms/identity.hpp"

using namespace forms;

TEST_CASE("identity: known-valid fødselsnummer give kind and birth date") {
  struct Case {
    const char* number;
    const char* birth;
    bool male;
  };
  // Check digits computed independently of this code (a separate script).
  for (auto c : {Case{"01018012371", "1980-01-01", true}, Case{"31129945616", "1999-12-31", false},
                 Case{"29020056787", "2000-02-29", true}, Case{"01011350034", "2013-01-01", false},
                 Case{"01010150074", "2001-01-01", false}}) {
    CAPTURE(c.number);
    const auto r = validate_identity_number(c.number);
    CHECK(r.valid);
    CHECK(r.kind == IdentityKind::Fodselsnummer);
    CHECK(r.birth_date.iso() == c.birth);
    REQUIRE(r.male.has_value());
    CHECK(*r.male == c.male);
    CHECK_FALSE(r.new_check_digit_rule);
  }
}

TEST_CASE("identity: D-, H- and synthetic numbers are recognised") {
  auto d = validate_identity_number("41018012365");
  CHECK(d.valid);
  CHECK(d.kind == IdentityKind::DNummer);
  CHECK(d.birth_date.iso() == "1980-01-01");
  auto h = validate_identity_number("01458012314");
  CHECK(h.valid);
  CHECK(h.kind == IdentityKind::HNummer);
  CHECK(h.birth_date.iso() == "1980-05-01");
  auto s = validate_identity_number("01858012305");  // valid under the 2032 rule only
  CHECK(s.valid);
  CHECK(s.kind == IdentityKind::SyntheticTest);
  CHECK(s.new_check_digit_rule);
}

TEST_CASE("identity: numbers issued from 2032 have four valid first check digits and no sex") {
  auto r = validate_identity_number("01018012398");
  CHECK(r.valid);
  CHECK(r.new_check_digit_rule);
  CHECK_FALSE(r.male.has_value());
  // Remainder 4..10 stays invalid: exactly 1 classic + up to 3 new-rule K1 values are accepted.
  int accepted = 0;
  for (char k1 = '0'; k1 <= '9'; ++k1) {
    for (char k2 = '0'; k2 <= '9'; ++k2) {
      std::string n = std::string("010180123") + k1 + k2;
      if (validate_identity_number(n).valid) ++accepted;
    }
  }
  CHECK(accepted >= 1);
  CHECK(accepted <= 4);

  // Each first check digit on its own, with the rule written out here (weights 3 7 6 1 8 9 4 5 2,
  // then K1 with weight 1): valid exactly when the remainder is 0 (classic) or 1-3 (from 2032).
  const int w1[9] = {3, 7, 6, 1, 8, 9, 4, 5, 2}, w2[10] = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};
  int seen[11] = {};
  for (const char* prefix : {"010180123", "150275412", "311299456", "020304050", "121212121"}) {
    for (int k1 = 0; k1 <= 9; ++k1) {
      int d[10];
      for (int i = 0; i < 9; ++i) d[i] = prefix[i] - '0';
      d[9] = k1;
      int sum1 = 0, sum2 = 0;
      for (int i = 0; i < 9; ++i) sum1 += w1[i] * d[i];
      for (int i = 0; i < 10; ++i) sum2 += w2[i] * d[i];
      const int k2 = (11 - sum2 % 11) % 11;
      if (k2 == 10) continue;  // no second check digit exists
      const int remainder = (sum1 + k1) % 11;
      ++seen[remainder];
      const std::string n = std::string(prefix) + char('0' + k1) + char('0' + k2);
      const auto checked = validate_identity_number(n);
      INFO(n << " first-digit remainder " << remainder);
      CHECK(checked.valid == (remainder <= 3));
      if (checked.valid) CHECK(checked.new_check_digit_rule == (remainder != 0));
    }
  }
  for (int remainder = 0; remainder <= 5; ++remainder) CHECK_MESSAGE(seen[remainder] > 0, remainder);
}

TEST_CASE("identity: invalid numbers say why") {
  CHECK(validate_identity_number("0101801237").error == IdentityError::NotElevenDigits);
  CHECK(validate_identity_number("010180123711").error == IdentityError::NotElevenDigits);
  CHECK(validate_identity_number("0101801237a").error == IdentityError::NotElevenDigits);
  CHECK(validate_identity_number("").error == IdentityError::NotElevenDigits);
  CHECK(validate_identity_number("01018012372").error == IdentityError::WrongCheckDigit);
  CHECK(validate_identity_number("01018012381").error == IdentityError::WrongCheckDigit);
  CHECK(validate_identity_number("30028012345").error == IdentityError::ImpossibleDate);  // 30 February
  CHECK(validate_identity_number("32018012323").error == IdentityError::ImpossibleDate);  // day 32
  CHECK(validate_identity_number("01015060057").error == IdentityError::UnknownIndividualNumberRange);
  for (int individual = 500; individual < 520; ++individual) {  // born 2039: in the future
    if (auto future = make_identity_number({2039, 1, 1}, IdentityKind::Fodselsnummer, individual)) {
      CHECK(validate_identity_number(*future).error == IdentityError::ImpossibleDate);
    }
  }
}

TEST_CASE("identity: property: every generated number validates back to its date and kind") {
  std::mt19937 rng(20261125);
  int made = 0;
  for (int i = 0; i < 20000; ++i) {
    CivilDate birth{std::uniform_int_distribution<int>(1900, 2024)(rng), std::uniform_int_distribution<int>(1, 12)(rng),
                    std::uniform_int_distribution<int>(1, 31)(rng)};
    const auto kind = static_cast<IdentityKind>(std::uniform_int_distribution<int>(0, 3)(rng));
    const int individual = std::uniform_int_distribution<int>(0, 999)(rng);
    auto n = make_identity_number(birth, kind, individual);
    if (!is_valid_date(birth.year, birth.month, birth.day)) {
      CHECK_FALSE(n.has_value());
      continue;
    }
    if (!n) continue;  // check digit 10 or individual number outside the century: no such number
    ++made;
    const auto r = validate_identity_number(*n);
    REQUIRE_MESSAGE(r.valid, *n);
    CHECK(r.kind == kind);
    CHECK(r.birth_date == birth);
    CHECK_FALSE(r.new_check_digit_rule);
    // Any single changed digit is caught (mod 11 detects all single-digit errors).
    std::string mutated = *n;
    const size_t pos = static_cast<size_t>(std::uniform_int_distribution<int>(0, 10)(rng));
    mutated[pos] =
        static_cast<char>('0' + (mutated[pos] - '0' + 1 + std::uniform_int_distribution<int>(0, 8)(rng)) % 10);
    const auto m = validate_identity_number(mutated);
    if (pos >= 9 || pos < 6) {
      // date digits or check digits changed: never the same valid classic number
      CHECK_FALSE((m.valid && !m.new_check_digit_rule && m.birth_date == birth && m.kind == kind));
    }
  }
  CHECK(made > 8000);
}

TEST_CASE("identity: dates and ages") {
  CHECK(is_valid_date(2024, 2, 29));
  CHECK_FALSE(is_valid_date(2023, 2, 29));
  CHECK_FALSE(is_valid_date(1900, 2, 29));
  CHECK(is_valid_date(2000, 2, 29));
  CHECK(parse_iso_date("2024-02-29").has_value());
  CHECK_FALSE(parse_iso_date("2024-2-29").has_value());
  CHECK_FALSE(parse_iso_date("2023-02-29").has_value());
  CHECK(age_on({2010, 6, 15}, {2026, 6, 14}) == 15);
  CHECK(age_on({2010, 6, 15}, {2026, 6, 15}) == 16);
}
