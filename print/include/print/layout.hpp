#pragma once
#include <array>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forms/answers.hpp"
#include "forms/questionnaire.hpp"
#include "forms/translations.hpp"

namespace print {

// The deterministic page layout of a printed form, and its field map (the one source of truth
// shared with the scanner). Every coordinate is in millimetres from the page's top-left corner,
// y growing downwards. The geometry depends only on (form id, version, language, options) and
// the fonts' metrics, never on the answers or the submission: the scanner rebuilds it from the
// QR code (see qr_payload.hpp) and gets exactly what was printed.

inline constexpr double kPageWidthMm = 210.0;  // A4
inline constexpr double kPageHeightMm = 297.0;

struct RectMm {
  double x = 0, y = 0, w = 0, h = 0;
  bool operator==(const RectMm&) const = default;
};

// The TrueType fonts used for measuring and rendering (embedded in the PDF).
struct Fonts {
  std::filesystem::path regular = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
  std::filesystem::path bold = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf";
};

struct LayoutOptions {
  bool large_print = false;  // bigger text and boxes, so more pages
  bool operator==(const LayoutOptions&) const = default;
};

// What the field map calls each kind of answer area.
enum class FieldKind { Digits, Letters, Tick, Text, Signature };
std::string to_string(FieldKind kind);  // "digits", "letters", "tick", "text", "signature"

// One answer area on paper.
//  - digits/letters: one box per character (dates: DD MM YYYY, 8 boxes).
//  - tick: one entry per tick box. Choice items: `option` is the answer code; boolean items have
//    two entries, option "true" (Ja) and "false" (Nei).
//  - text: one box per written line of a lined free-text area.
//  - signature: link_id "signature" (the signing box); its place is the letters field
//    "signature.place" and its date the digits field "signature.date".
struct Field {
  std::string link_id;
  FieldKind kind = FieldKind::Text;
  int page = 1;        // 1-based
  std::string option;  // tick boxes only
  std::vector<RectMm> boxes;
};

// Drawing instructions for the renderer. Text positions are the left end of the baseline.
struct TextElement {
  double x = 0, y = 0;
  double size_pt = 11;
  bool bold = false;
  bool is_value = false;  // a pre-filled answer (printed in the boxes), not form text
  std::string text;       // UTF-8
};
struct LineElement {
  double x1 = 0, y1 = 0, x2 = 0, y2 = 0;
  double width_mm = 0.3;
};
struct BoxElement {
  RectMm rect;
  double line_width_mm = 0.35;
  bool filled = false;  // corner marks are filled black squares
};

struct PageLayout {
  int number = 1;                      // 1-based
  std::array<RectMm, 4> corner_marks;  // top-left, top-right, bottom-left, bottom-right; filled squares
  RectMm qr;                           // where the QR code is drawn (square)
  std::vector<TextElement> texts;
  std::vector<LineElement> lines;
  std::vector<BoxElement> boxes;  // answer boxes and frames (corner marks not included)
};

struct FormLayout {
  std::string form_id;
  std::string version;
  std::string lang;
  LayoutOptions options;
  std::string title;  // for the PDF metadata
  std::vector<PageLayout> pages;
  std::vector<Field> fields;  // in reading order
};

// Inputs besides the form that shape the printed page.
struct LayoutContext {
  const forms::Translations* translations = nullptr;  // required: instructions, notes, footer
  std::string postal_address;                         // config site.postal_address (footer text only)
  Fonts fonts;
};

// Lays out `form` in `lang`. Questions are never split across pages; a question with
// enableWhen gets an "only if ..." note; each group starts with its instruction; the last page
// ends with the signature box (place, date) when the form requires a signature. When `answers`
// is given, their values are added as TextElements with is_value=true inside their boxes; the
// geometry (pages, boxes, fields) is the same with or without answers.
// Throws PrintError: "unknown-language", "font-missing", "layout-failed".
FormLayout layout_form(const forms::Questionnaire& form, const std::string& lang, const LayoutOptions& options,
                       const LayoutContext& context, const forms::Answers* answers = nullptr);

// The field map as `kioskctl layout --json` prints it:
// {"form", "version", "lang", "large_print", "page_size_mm": [210, 297], "pages": N,
//  "corner_marks": [{"page", "boxes": [4 x {x,y,w,h}]}...], "qr": [{"page", "x","y","w","h"}...],
//  "fields": [{"linkId", "kind", "page", "option"?, "boxes": [{x,y,w,h}...]}]}
// Numbers are rounded to 0.01 mm so the same layout prints byte-identical JSON.
nlohmann::json field_map_json(const FormLayout& layout);

}  // namespace print
