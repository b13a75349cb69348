#pragma once
#include <array>
#include <stdexcept>
#include <string>
#include <string_view>

namespace scanners {

// A failure in acquisition or recognition. `code` is stable (tests, exit codes, translation
// key "scan.error.<code>"); what() is a plain English detail for logs and staff. What a citizen
// or staff member reads is the translated text of message_key(), never what().
class ScanError : public std::runtime_error {
 public:
  ScanError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

// Translation keys (assets/i18n/{nb,nn,en}.json) for what the library reports.
inline std::string message_key(const ScanError& e) {
  return "scan.error." + e.code();
}
inline std::string problem_key(const std::string& page_problem) {
  return "scan.problem." + page_problem;
}
inline std::string reason_key(const std::string& review_reason) {
  return "scan.reason." + review_reason;
}

// Every code the library can report; the scan tests check each has a text in nb, nn and en
// and that the sources use no other code.
inline constexpr std::array<std::string_view, 20> kErrorCodes = {
    "no-scanner",         "no-paper",        "jammed",          "cover-open",    "device-busy",
    "sane-busy",          "cancelled",       "io-error",        "open-failed",   "corrupt-image",
    "unsupported-format", "image-too-small", "image-too-large", "pdf-failed",    "file-missing",
    "out-of-memory",      "ocr-missing",     "model-missing",   "mnist-missing", "render-failed"};
inline constexpr std::array<std::string_view, 7> kPageProblems = {
    "no-qr-code",      "qr-invalid",          "qr-forged",      "unknown-form",
    "unknown-version", "registration-failed", "unreadable-page"};
inline constexpr std::array<std::string_view, 11> kReviewReasons = {
    "unclear-tick",      "several-ticked",          "gap-in-digits",         "low-confidence",
    "impossible-date",   "invalid-identity-number", "letter-count-mismatch", "handwriting",
    "unclear-signature", "signature-missing",       "marked-letter"};

}  // namespace scanners
