#pragma once
#include <stdexcept>
#include <string>

namespace print {

// A failure in layout, rendering or printing. `code` is stable (tests, exit-code mapping,
// translation key "print.error.<code>"); what() is a plain English sentence for logs/staff.
class PrintError : public std::runtime_error {
 public:
  PrintError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

}  // namespace print
