#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace forms {

// Norwegian personal identity numbers (11 digits: DDMMYY + individual number III + K1 K2).
enum class IdentityKind {
  Fodselsnummer,  // ordinary birth number
  DNummer,        // temporary number: first digit + 4
  HNummer,        // help number used in health services: month + 40
  SyntheticTest,  // synthetic test number (Skatteetaten/NHN): month + 80
};

struct CivilDate {
  int year = 0, month = 0, day = 0;
  std::string iso() const;  // YYYY-MM-DD
  bool operator==(const CivilDate&) const = default;
};

enum class IdentityError {
  None,
  NotElevenDigits,
  ImpossibleDate,
  WrongCheckDigit,
  UnknownIndividualNumberRange,
};

struct IdentityResult {
  bool valid = false;
  IdentityKind kind = IdentityKind::Fodselsnummer;
  CivilDate birth_date;
  // Known only for numbers with classic check digits; numbers issued from 2032 no
  // longer encode sex.
  std::optional<bool> male;
  bool new_check_digit_rule = false;  // valid only under the 2032 rule
  IdentityError error = IdentityError::None;
};

// Validates with both check-digit rules (the classic one and the one for numbers issued
// from 1 January 2032) and derives the birth date from digits 1-6 and 7-9.
IdentityResult validate_identity_number(std::string_view number);

bool is_leap_year(int year);
bool is_valid_date(int year, int month, int day);
std::optional<CivilDate> parse_iso_date(std::string_view iso);  // strict YYYY-MM-DD

// Age in whole years on `today`.
int age_on(const CivilDate& birth, const CivilDate& today);
CivilDate today_local();

std::string to_string(IdentityKind kind);
// Translation-catalogue key for a kind ("identity.kind.d-number") or error ("identity.error.check-digit").
std::string message_key(IdentityKind kind);
std::string message_key(IdentityError error);

// Builds a valid number with classic check digits for the given date, kind and
// individual number (0-999), or nullopt when the individual number cannot produce
// a valid check digit. Used for synthetic examples and property tests.
std::optional<std::string> make_identity_number(const CivilDate& birth, IdentityKind kind, int individual);

}  // namespace forms
