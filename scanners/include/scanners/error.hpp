#pragma once
#include <stdexcept>
#include <string>

namespace scanners {

// A failure in acquisition or recognition. `code` is stable (tests, exit codes, translation
// key "scan.error.<code>"); what() is a plain English sentence for logs and staff.
class ScanError : public std::runtime_error {
 public:
  ScanError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace scanners
