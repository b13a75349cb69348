#include "forms/identity.hpp"

#include <array>
#include <cstdio>
#include <ctime>
#include <tuple>

namespace forms {

namespace {
constexpr std::array<int, 9> kWeights1 = {3, 7, 6, 1, 8, 9, 4, 5, 2};
constexpr std::array<int, 10> kWeights2 = {5, 4, 3, 2, 7, 6, 5, 4, 3, 2};

// Century from the individual number (digits 7-9) and the two-digit year.
std::optional<int> full_year(int individual, int yy) {
  if (individual <= 499) return 1900 + yy;
  if (individual <= 749 && yy >= 54) return 1800 + yy;
  if (individual >= 500 && yy <= 39) return 2000 + yy;
  if (individual >= 900 && yy >= 40) return 1900 + yy;
  return std::nullopt;
}

int weighted_sum1(const std::array<int, 11>& d) {
  int s = 0;
  for (size_t i = 0; i < kWeights1.size(); ++i) s += kWeights1[i] * d[i];
  return s;
}
int weighted_sum2(const std::array<int, 11>& d) {
  int s = 0;
  for (size_t i = 0; i < kWeights2.size(); ++i) s += kWeights2[i] * d[i];
  return s;
}

// The classic control digit for a weighted sum: 11 - (sum mod 11), 11 -> 0, 10 -> none.
std::optional<int> control_digit(int sum) {
  const int k = 11 - sum % 11;
  if (k == 11) return 0;
  if (k == 10) return std::nullopt;
  return k;
}
}  // namespace

std::string CivilDate::iso() const {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", year, month, day);
  return buf;
}

bool is_leap_year(int y) {
  return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool is_valid_date(int y, int m, int d) {
  static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (y < 1800 || y > 2200 || m < 1 || m > 12 || d < 1) return false;
  const int max = days[m - 1] + (m == 2 && is_leap_year(y) ? 1 : 0);
  return d <= max;
}

std::optional<CivilDate> parse_iso_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return std::nullopt;
  for (size_t i : {0u, 1u, 2u, 3u, 5u, 6u, 8u, 9u})
    if (s[i] < '0' || s[i] > '9') return std::nullopt;
  auto num = [&](size_t pos, size_t len) {
    int v = 0;
    for (size_t i = pos; i < pos + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  CivilDate d{num(0, 4), num(5, 2), num(8, 2)};
  if (!is_valid_date(d.year, d.month, d.day)) return std::nullopt;
  return d;
}

int age_on(const CivilDate& birth, const CivilDate& today) {
  int age = today.year - birth.year;
  if (today.month < birth.month || (today.month == birth.month && today.day < birth.day)) --age;
  return age;
}

CivilDate today_local() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  localtime_r(&t, &tm);
  return {tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday};
}

IdentityResult validate_identity_number(std::string_view number) {
  IdentityResult r;
  std::array<int, 11> d{};
  if (number.size() != 11) {
    r.error = IdentityError::NotElevenDigits;
    return r;
  }
  for (size_t i = 0; i < 11; ++i) {
    if (number[i] < '0' || number[i] > '9') {
      r.error = IdentityError::NotElevenDigits;
      return r;
    }
    d[i] = number[i] - '0';
  }
  int day = d[0] * 10 + d[1];
  int month = d[2] * 10 + d[3];
  const int yy = d[4] * 10 + d[5];
  const int individual = d[6] * 100 + d[7] * 10 + d[8];

  bool d_number = false;
  if (day >= 41 && day <= 71) {
    d_number = true;
    day -= 40;
  }
  if (month >= 81 && month <= 92) {
    r.kind = IdentityKind::SyntheticTest;
    month -= 80;
  } else if (month >= 41 && month <= 52) {
    if (d_number) {  // a number cannot be both a D-number and an H-number
      r.error = IdentityError::ImpossibleDate;
      return r;
    }
    r.kind = IdentityKind::HNummer;
    month -= 40;
  } else {
    r.kind = d_number ? IdentityKind::DNummer : IdentityKind::Fodselsnummer;
  }

  auto year = full_year(individual, yy);
  if (!year) {
    r.error = IdentityError::UnknownIndividualNumberRange;
    return r;
  }
  if (!is_valid_date(*year, month, day)) {
    r.error = IdentityError::ImpossibleDate;
    return r;
  }
  r.birth_date = {*year, month, day};
  const CivilDate today = today_local();
  if (std::tie(r.birth_date.year, r.birth_date.month, r.birth_date.day) >
      std::tie(today.year, today.month, today.day)) {
    r.error = IdentityError::ImpossibleDate;
    return r;
  }

  // Second check digit: the same rule before and after 2032.
  const auto k2 = control_digit(weighted_sum2(d));
  if (!k2 || *k2 != d[10]) {
    r.error = IdentityError::WrongCheckDigit;
    return r;
  }
  // First check digit: classic rule (remainder 0), or from 2032 remainders 0-3.
  const int remainder = (weighted_sum1(d) + d[9]) % 11;
  if (remainder == 0) {
    r.male = d[8] % 2 == 1;
  } else if (remainder <= 3) {
    r.new_check_digit_rule = true;  // numbers issued from 2032 no longer encode sex
  } else {
    r.error = IdentityError::WrongCheckDigit;
    return r;
  }
  r.valid = true;
  return r;
}

std::optional<std::string> make_identity_number(const CivilDate& birth, IdentityKind kind, int individual) {
  if (individual < 0 || individual > 999 || !is_valid_date(birth.year, birth.month, birth.day)) return std::nullopt;
  const int yy = birth.year % 100;
  auto year = full_year(individual, yy);
  if (!year || *year != birth.year) return std::nullopt;
  int day = birth.day, month = birth.month;
  if (kind == IdentityKind::DNummer) day += 40;
  if (kind == IdentityKind::HNummer) month += 40;
  if (kind == IdentityKind::SyntheticTest) month += 80;
  std::array<int, 11> d = {day / 10, day % 10,         month / 10,           month % 10,      yy / 10,
                           yy % 10,  individual / 100, individual / 10 % 10, individual % 10, 0,
                           0};
  auto k1 = control_digit(weighted_sum1(d));
  if (!k1) return std::nullopt;
  d[9] = *k1;
  auto k2 = control_digit(weighted_sum2(d));
  if (!k2) return std::nullopt;
  d[10] = *k2;
  std::string s;
  for (int v : d) s.push_back(static_cast<char>('0' + v));
  return s;
}

std::string to_string(IdentityKind kind) {
  switch (kind) {
    case IdentityKind::Fodselsnummer:
      return "fodselsnummer";
    case IdentityKind::DNummer:
      return "d-nummer";
    case IdentityKind::HNummer:
      return "h-nummer";
    case IdentityKind::SyntheticTest:
      return "synthetic-test";
  }
  return "unknown";
}

std::string message_key(IdentityKind kind) {
  return "identity.kind." + to_string(kind);
}

std::string message_key(IdentityError error) {
  switch (error) {
    case IdentityError::None:
      return "identity.error.none";
    case IdentityError::NotElevenDigits:
      return "identity.error.not-eleven-digits";
    case IdentityError::ImpossibleDate:
      return "identity.error.impossible-date";
    case IdentityError::WrongCheckDigit:
      return "identity.error.check-digit";
    case IdentityError::UnknownIndividualNumberRange:
      return "identity.error.individual-number";
  }
  return "identity.error.check-digit";
}

}  // namespace forms
