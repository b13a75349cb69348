#include "typesetter.hpp"

#include <sstream>

namespace print::detail {

Typesetter::Typesetter(const Fonts& fonts) {
  regular_ = doc_.load_truetype(fonts.regular);
  bold_ = doc_.load_truetype(fonts.bold);
}

double Typesetter::width_mm(const std::string& text, double size_pt, bool bold) {
  if (text.empty()) return 0;
  HPDF_TextWidth tw = HPDF_Font_TextWidth(bold ? bold_ : regular_, reinterpret_cast<const HPDF_BYTE*>(text.data()),
                                          static_cast<HPDF_UINT>(text.size()));
  doc_.check("measure text");
  return pt_to_mm(static_cast<double>(tw.width) * size_pt / 1000.0);
}

std::vector<std::string> utf8_characters(const std::string& s) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
    out.push_back(s.substr(i, len));
    i += len;
  }
  return out;
}

std::vector<std::string> Typesetter::wrap(const std::string& text, double size_pt, bool bold, double max_width_mm) {
  std::vector<std::string> lines;
  std::istringstream paragraphs(text);
  std::string paragraph;
  while (std::getline(paragraphs, paragraph)) {
    std::istringstream words(paragraph);
    std::string word, line;
    while (words >> word) {
      std::string candidate = line.empty() ? word : line + " " + word;
      if (width_mm(candidate, size_pt, bold) <= max_width_mm) {
        line = std::move(candidate);
        continue;
      }
      if (!line.empty()) lines.push_back(std::move(line));
      line.clear();
      // A single word wider than the line: split it between characters.
      std::string piece;
      for (const auto& ch : utf8_characters(word)) {
        if (!piece.empty() && width_mm(piece + ch, size_pt, bold) > max_width_mm) {
          lines.push_back(std::move(piece));
          piece.clear();
        }
        piece += ch;
      }
      line = std::move(piece);
    }
    if (!line.empty()) lines.push_back(std::move(line));
  }
  if (lines.empty()) lines.emplace_back();
  return lines;
}

}  // namespace print::detail
