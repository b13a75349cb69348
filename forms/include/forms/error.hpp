#pragma once
#include <stdexcept>
#include <string>

namespace forms {

// A problem with a form file or with data that should fit a form. `where` names the
// file and the element (for example "assets/forms/x.json: item[2].enableWhen[0]").
class FormError : public std::runtime_error {
 public:
  FormError(const std::string& where, const std::string& what)
      : std::runtime_error(where.empty() ? what : where + ": " + what), where_(where) {}
  const std::string& where() const { return where_; }

 private:
  std::string where_;
};

}  // namespace forms
