#pragma once
// Internal: text measurement with the same TrueType fonts the PDF embeds, so wrapped lines
// measured at layout time fit when rendered.
#include <string>
#include <vector>

#include "hpdf_document.hpp"
#include "print/layout.hpp"

namespace print::detail {

class Typesetter {
 public:
  explicit Typesetter(const Fonts& fonts);  // throws PrintError("font-missing")
  double width_mm(const std::string& text, double size_pt, bool bold);
  // Greedy word wrap at spaces; words longer than the width are split between characters.
  std::vector<std::string> wrap(const std::string& text, double size_pt, bool bold, double max_width_mm);

 private:
  HpdfDocument doc_;
  HPDF_Font regular_ = nullptr;
  HPDF_Font bold_ = nullptr;
};

// UTF-8 code points of `s` as separate strings (one per printed box).
std::vector<std::string> utf8_characters(const std::string& s);

}  // namespace print::detail
