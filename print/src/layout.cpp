#include "print/layout.hpp"

#include <algorithm>
#include <cmath>
#include <memory>

#include "forms/localized_text.hpp"
#include "print/error.hpp"
#include "typesetter.hpp"

namespace print {

std::string to_string(FieldKind kind) {
  switch (kind) {
    case FieldKind::Digits:
      return "digits";
    case FieldKind::Letters:
      return "letters";
    case FieldKind::Tick:
      return "tick";
    case FieldKind::Text:
      return "text";
    case FieldKind::Signature:
      return "signature";
  }
  return "text";
}

namespace {

using detail::pt_to_mm;

// Page anatomy (mm). Corner marks sit outside the content; the QR code sits at the top right.
constexpr double kMarkSize = 6.0;
constexpr double kMarkInset = 8.0;
constexpr double kQrSize = 24.0;
constexpr double kQrX = 168.0;
constexpr double kQrY = 16.0;
constexpr double kLeft = 20.0;
constexpr double kRight = 190.0;
constexpr double kContentWidth = kRight - kLeft;
constexpr double kFooterRule = 277.0;
constexpr double kContentBottom = 273.0;

// Sizes that grow with large print.
struct Metrics {
  double scale = 1.0;
  double title_pt, heading_pt, body_pt, small_pt, value_pt;
  double digit_w, digit_h, letter_w, letter_h, box_gap, letter_gap, tick, line_spacing, block_gap;
  explicit Metrics(bool large) : scale(large ? 1.3 : 1.0) {
    title_pt = 17 * scale;
    heading_pt = 13 * scale;
    body_pt = 11 * scale;
    small_pt = 9 * scale;
    value_pt = 12 * scale;
    digit_w = 7 * scale;
    digit_h = 8 * scale;
    letter_w = 5.4 * scale;
    letter_h = 7.5 * scale;
    box_gap = 0.8 * scale;
    letter_gap = 0.25 * scale;
    tick = 6.5 * scale;  // never below 6 mm
    line_spacing = 9 * scale;
    block_gap = 4 * scale;
  }
  double line_height(double pt) const { return pt_to_mm(pt) * 1.3; }
  double ascent(double pt) const { return pt_to_mm(pt) * 0.95; }
};

// A piece of content that is never split across pages. Coordinates are relative to the
// block's top (y = 0); x is absolute.
struct Block {
  double height = 0;
  bool keep_with_next = false;
  std::vector<TextElement> texts;
  std::vector<LineElement> lines;
  std::vector<BoxElement> boxes;
  std::vector<Field> fields;
};

// Loading the TrueType fonts costs more than laying out a page, so each thread keeps the
// typesetter of the fonts it used last (libharu documents are not shared between threads).
detail::Typesetter& typesetter_for(const Fonts& fonts) {
  struct Cached {
    std::filesystem::path regular, bold;
    std::unique_ptr<detail::Typesetter> typesetter;
  };
  thread_local Cached cache;
  if (!cache.typesetter || cache.regular != fonts.regular || cache.bold != fonts.bold) {
    cache.typesetter.reset();
    cache.typesetter = std::make_unique<detail::Typesetter>(fonts);
    cache.regular = fonts.regular;
    cache.bold = fonts.bold;
  }
  return *cache.typesetter;
}

class LayoutBuilder {
 public:
  LayoutBuilder(const forms::Questionnaire& form, const std::string& lang, const LayoutOptions& options,
                const LayoutContext& context, const forms::Answers* answers)
      : form_(form),
        lang_(lang),
        options_(options),
        ctx_(context),
        answers_(answers),
        m_(options.large_print),
        type_(typesetter_for(context.fonts)) {}

  FormLayout build() {
    FormLayout out;
    out.form_id = form_.id;
    out.version = form_.version;
    out.lang = lang_;
    out.options = options_;
    out.title = form_.title.get(lang_);

    std::vector<Block> blocks;
    for (const auto& item : form_.items) add_item(item, blocks, 0);
    if (form_.signature_required) blocks.push_back(signature_block());

    // Paginate: a block goes to the next page when it does not fit; a heading stays with
    // the block after it.
    new_page(out);
    double y = first_content_y_;
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      double needed = blocks[i].height;
      if (blocks[i].keep_with_next && i + 1 < blocks.size()) needed += blocks[i + 1].height;
      if (y + needed > kContentBottom && y > content_top_ + 0.01) {
        new_page(out);
        y = content_top_;
      }
      if (y + blocks[i].height > kContentBottom)
        throw PrintError("layout-failed", "a question in form " + form_.id + " is taller than a page");
      place(blocks[i], out, y);
      y += blocks[i].height + m_.block_gap;
    }
    add_footers(out);
    return out;
  }

 private:
  const std::string& tr(const std::string& key) const { return ctx_.translations->text(lang_, key); }
  std::string fmt(const std::string& key, const std::map<std::string, std::string>& args) const {
    return ctx_.translations->format(lang_, key, args);
  }

  // Adds wrapped text at the block's current bottom; returns the height used.
  void add_text(Block& b, const std::string& text, double pt, bool bold, double x = kLeft,
                double width = kContentWidth) {
    for (const auto& line : type_.wrap(text, pt, bold, width)) {
      b.texts.push_back(TextElement{x, b.height + m_.ascent(pt), pt, bold, false, line});
      b.height += m_.line_height(pt);
    }
  }

  void add_value(Block& b, double x, double baseline_y, double pt, std::string text, bool bold = false) {
    if (!answers_) return;
    b.texts.push_back(TextElement{x, baseline_y, pt, bold, true, std::move(text)});
  }

  void new_page(FormLayout& out) {
    PageLayout page;
    page.number = static_cast<int>(out.pages.size()) + 1;
    const double far_x = kPageWidthMm - kMarkInset - kMarkSize;
    const double far_y = kPageHeightMm - kMarkInset - kMarkSize;
    page.corner_marks = {RectMm{kMarkInset, kMarkInset, kMarkSize, kMarkSize},
                         RectMm{far_x, kMarkInset, kMarkSize, kMarkSize},
                         RectMm{kMarkInset, far_y, kMarkSize, kMarkSize}, RectMm{far_x, far_y, kMarkSize, kMarkSize}};
    page.qr = RectMm{kQrX, kQrY, kQrSize, kQrSize};
    // Title on every page (left of the QR code), so a loose page still says what it is.
    Block head;
    const double title_width = kQrX - 4 - kLeft;
    add_text(head, out.title, page.number == 1 ? m_.title_pt : m_.heading_pt, true, kLeft, title_width);
    // A proposed form has no official name: printing one would pose as the platform's form.
    if (page.number == 1 && !form_.proposed()) {
      const std::string& official = form_.official_title.get(lang_);
      if (!official.empty() && official != out.title) add_text(head, official, m_.small_pt, false, kLeft, title_width);
    }
    out.pages.push_back(std::move(page));
    double top = kQrY;
    for (auto t : head.texts) {
      t.y += top;
      out.pages.back().texts.push_back(std::move(t));
    }
    double below = std::max(top + head.height, kQrY + kQrSize) + 4;
    content_top_ = kQrY + head.height + 3;
    content_top_ = std::max(content_top_, kQrY + kQrSize + 3);
    if (page.number == 1) {
      // The form's purpose, once, under the title.
      Block intro;
      const std::string& description = form_.description.get(lang_);
      if (!description.empty()) add_text(intro, description, m_.body_pt, false);
      // A route the platform has not confirmed says so where the person and the owner read it.
      if (form_.proposed())
        add_text(intro, fmt("print.proposed", {{"owner", form_.owner ? form_.owner->name.get(lang_) : ""}}),
                 m_.body_pt, true);
      place(intro, out, below);
      first_content_y_ = below + intro.height + m_.block_gap;
    }
  }

  void place(const Block& b, FormLayout& out, double y) {
    PageLayout& page = out.pages.back();
    for (auto t : b.texts) {
      t.y += y;
      page.texts.push_back(std::move(t));
    }
    for (auto l : b.lines) {
      l.y1 += y;
      l.y2 += y;
      page.lines.push_back(l);
    }
    for (auto bx : b.boxes) {
      bx.rect.y += y;
      page.boxes.push_back(bx);
    }
    for (auto f : b.fields) {
      f.page = page.number;
      for (auto& r : f.boxes) r.y += y;
      out.fields.push_back(std::move(f));
    }
  }

  void add_footers(FormLayout& out) {
    const int n = static_cast<int>(out.pages.size());
    for (auto& page : out.pages) {
      page.lines.push_back(LineElement{kLeft, kFooterRule, kRight, kFooterRule, 0.2});
      const double pt = 8 * m_.scale > 9.5 ? 9.5 : 8 * m_.scale;
      const double y1 = kFooterRule + 4;
      const double y2 = y1 + m_.line_height(pt);
      std::string form_text = fmt("print.footer.form", {{"form", form_.id}, {"version", form_.version}});
      std::string page_text =
          fmt("print.footer.page", {{"page", std::to_string(page.number)}, {"pages", std::to_string(n)}});
      page.texts.push_back(TextElement{kLeft, y1, pt, false, false, form_text});
      page.texts.push_back(
          TextElement{kRight - type_.width_mm(page_text, pt + 1, true), y1, pt + 1, true, false, page_text});
      // At most two lines: the owner's address can be long ("... Merk konvolutten «Arkivet»").
      auto lines = type_.wrap(postal_line(), pt, false, kContentWidth);
      for (size_t i = 0; i < lines.size() && i < 2; ++i)
        page.texts.push_back(TextElement{kLeft, y2 + static_cast<double>(i) * m_.line_height(pt), pt, false, false,
                                         lines[i]});
    }
  }

  // Where a printed form goes by post: the form's owner when the catalogue names one (its
  // address, or its web page when no public source gives an address), else site.postal_address.
  std::string postal_line() const {
    if (!form_.owner) return fmt("print.footer.postal", {{"address", ctx_.postal_address}});
    if (form_.owner->postal_address.empty())
      return fmt("print.footer.postal-web", {{"owner", form_.owner->name.get(lang_)}, {"web", form_.owner->web}});
    return fmt("print.footer.postal", {{"address", form_.owner->postal_address}});
  }

  std::string option_text(const forms::Item& item, const std::string& code) const {
    for (const auto& o : item.options)
      if (o.code == code) return o.display.get(lang_);
    return code;
  }

  std::string only_if_note(const forms::Item& item) const {
    std::vector<std::string> notes;
    for (const auto& ew : item.enable_when) {
      const forms::Item* q = form_.find_item(ew.question);
      std::string question = q ? q->text.get(lang_) : ew.question;
      if (ew.op == "exists") {
        notes.push_back(
            fmt(ew.answer.boolean ? "print.only_if_answered" : "print.only_if_not_answered", {{"question", question}}));
      } else if (ew.op == "=") {
        std::string answer;
        if (ew.answer.kind == forms::AnswerValue::Kind::Boolean)
          answer = tr(ew.answer.boolean ? "print.yes" : "print.no");
        else if (ew.answer.kind == forms::AnswerValue::Kind::Coding && q)
          answer = option_text(*q, ew.answer.text);
        else
          answer = ew.answer.to_display_string();
        notes.push_back(fmt("print.only_if", {{"question", question}, {"answer", answer}}));
      } else {
        notes.push_back(fmt("print.only_if_other", {{"question", question}}));
      }
    }
    std::string out;
    for (const auto& n : notes) out += (out.empty() ? "" : " ") + n;
    return out;
  }

  // Collects the kinds of answer areas under a group, for its one instruction.
  static void collect_kinds(const forms::Item& item, std::vector<forms::PrintBoxes>& kinds) {
    auto k = item.print_boxes();
    if (k != forms::PrintBoxes::None && std::find(kinds.begin(), kinds.end(), k) == kinds.end()) kinds.push_back(k);
    for (const auto& c : item.items) collect_kinds(c, kinds);
  }

  std::string instruction_for(const forms::Item& group) const {
    std::vector<forms::PrintBoxes> kinds;
    collect_kinds(group, kinds);
    std::string out;
    auto add = [&](const char* key) { out += (out.empty() ? "" : " ") + tr(key); };
    for (auto k :
         {forms::PrintBoxes::Ticks, forms::PrintBoxes::Digits, forms::PrintBoxes::Letters, forms::PrintBoxes::Lines})
      if (std::find(kinds.begin(), kinds.end(), k) != kinds.end()) {
        switch (k) {
          case forms::PrintBoxes::Ticks:
            add("print.instruction.ticks");
            break;
          case forms::PrintBoxes::Digits:
            add("print.instruction.digits");
            break;
          case forms::PrintBoxes::Letters:
            add("print.instruction.letters");
            break;
          default:
            add("print.instruction.lines");
            break;
        }
      }
    return out;
  }

  void add_item(const forms::Item& item, std::vector<Block>& blocks, int depth) {
    using forms::ItemType;
    if (item.type == ItemType::Group) {
      Block head;
      head.keep_with_next = true;
      const std::string& text = item.text.get(lang_);
      if (!text.empty()) add_text(head, text, m_.heading_pt, true);
      std::string instruction = instruction_for(item);
      if (!instruction.empty()) {
        head.height += 1;
        add_text(head, instruction, m_.small_pt, false);
      }
      if (head.height > 0) {
        head.lines.push_back(LineElement{kLeft, -1.5, kRight, -1.5, 0.4});
        blocks.push_back(std::move(head));
      }
      for (const auto& child : item.items) add_item(child, blocks, depth + 1);
      return;
    }
    Block b;
    const std::string& text = item.text.get(lang_);
    if (item.type == ItemType::Display) {
      add_text(b, text, m_.body_pt, false);
      blocks.push_back(std::move(b));
      return;
    }
    add_text(b, text + (item.required ? " *" : ""), m_.body_pt, true);
    if (!item.enable_when.empty()) add_text(b, only_if_note(item), m_.small_pt, false);
    b.height += 1.5;
    switch (item.print_boxes()) {
      case forms::PrintBoxes::Digits:
      case forms::PrintBoxes::Letters:
        add_char_boxes(b, item);
        break;
      case forms::PrintBoxes::Ticks:
        add_ticks(b, item);
        break;
      case forms::PrintBoxes::Lines:
        add_lines(b, item);
        break;
      default:
        if (item.type == ItemType::Attachment) add_text(b, tr("print.attachment.note"), m_.small_pt, false);
        break;
    }
    blocks.push_back(std::move(b));
    for (const auto& child : item.items) add_item(child, blocks, depth + 1);
  }

  // The characters to pre-print in an item's boxes (dates as DDMMYYYY).
  std::vector<std::string> value_chars(const forms::Item& item) const {
    if (!answers_) return {};
    const forms::AnswerValue* v = answers_->first(item.link_id);
    if (!v) return {};
    std::string s = v->to_display_string();
    if (item.type == forms::ItemType::Date && s.size() == 10) s = s.substr(8, 2) + s.substr(5, 2) + s.substr(0, 4);
    if (item.type == forms::ItemType::String && item.print_boxes() == forms::PrintBoxes::Letters) {
      // Names are printed in capitals, like a person fills letter boxes (ASCII only; the rest as given).
      for (auto& c : s)
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    }
    return detail::utf8_characters(s);
  }

  // One box per character, wrapped to more rows when wider than the page. Dates get a gap
  // between DD, MM and YYYY with a label under each group; identity numbers after the birth date.
  void add_char_boxes(Block& b, const forms::Item& item, double left = kLeft) {
    const bool digits = item.print_boxes() == forms::PrintBoxes::Digits;
    const bool date = item.type == forms::ItemType::Date;
    Field f;
    f.link_id = item.link_id;
    f.kind = digits ? FieldKind::Digits : FieldKind::Letters;
    const int count = std::max(1, item.box_count());
    const double w = digits ? m_.digit_w : m_.letter_w;
    const double h = digits ? m_.digit_h : m_.letter_h;
    const double group_gap = 3 * m_.scale;
    auto values = value_chars(item);
    double x = left;
    double row_top = b.height;
    for (int i = 0; i < count; ++i) {
      bool group_start =
          (date && (i == 2 || i == 4)) || (item.input_kind == forms::InputKind::IdentityNumber && i == 6);
      if (group_start) x += group_gap;
      if (x + w > kRight + 0.01) {
        x = left;
        row_top += h + 2;
      }
      RectMm r{x, row_top, w, h};
      f.boxes.push_back(r);
      b.boxes.push_back(BoxElement{r, 0.3, false});
      if (i < static_cast<int>(values.size())) {
        double cw = type_.width_mm(values[static_cast<std::size_t>(i)], m_.value_pt, false);
        add_value(b, x + (w - cw) / 2, row_top + h / 2 + pt_to_mm(m_.value_pt) * 0.36, m_.value_pt,
                  values[static_cast<std::size_t>(i)]);
      }
      x += w + (digits ? m_.box_gap : m_.letter_gap);
    }
    b.height = row_top + h;
    if (date) {
      const double label_pt = m_.small_pt * 0.9;
      const double base = b.height + m_.ascent(label_pt);
      const char* keys[] = {"print.date.day", "print.date.month", "print.date.year"};
      const int starts[] = {0, 2, 4};
      for (int g = 0; g < 3; ++g)
        b.texts.push_back(
            TextElement{f.boxes[static_cast<std::size_t>(starts[g])].x, base, label_pt, false, false, tr(keys[g])});
      b.height += m_.line_height(label_pt);
    }
    b.fields.push_back(std::move(f));
  }

  void add_tick(Block& b, const forms::Item& item, double x, double top, const std::string& code,
                const std::string& label, bool ticked) {
    RectMm r{x, top, m_.tick, m_.tick};
    b.boxes.push_back(BoxElement{r, 0.35, false});
    Field f;
    f.link_id = item.link_id;
    f.kind = FieldKind::Tick;
    f.option = code;
    f.boxes.push_back(r);
    b.fields.push_back(std::move(f));
    if (ticked) {
      double cw = type_.width_mm("X", m_.value_pt, true);
      add_value(b, x + (m_.tick - cw) / 2, top + m_.tick / 2 + pt_to_mm(m_.value_pt) * 0.36, m_.value_pt, "X", true);
    }
    (void)label;
  }

  bool is_ticked(const forms::Item& item, const std::string& code) const {
    if (!answers_) return false;
    auto it = answers_->values.find(item.link_id);
    if (it == answers_->values.end()) return false;
    for (const auto& v : it->second) {
      if (v.kind == forms::AnswerValue::Kind::Boolean && (v.boolean ? "true" : "false") == code) return true;
      if (v.kind == forms::AnswerValue::Kind::Coding && v.text == code) return true;
    }
    return false;
  }

  void add_ticks(Block& b, const forms::Item& item) {
    const double label_gap = 2.5 * m_.scale;
    if (item.type == forms::ItemType::Boolean) {
      double x = kLeft;
      for (const auto& [code, key] :
           {std::pair<std::string, std::string>{"true", "print.yes"}, {"false", "print.no"}}) {
        add_tick(b, item, x, b.height, code, tr(key), is_ticked(item, code));
        b.texts.push_back(TextElement{x + m_.tick + label_gap, b.height + m_.tick / 2 + pt_to_mm(m_.body_pt) * 0.36,
                                      m_.body_pt, false, false, tr(key)});
        x += m_.tick + label_gap + type_.width_mm(tr(key), m_.body_pt, false) + 12 * m_.scale;
      }
      b.height += m_.tick;
      return;
    }
    bool first = true;
    for (const auto& option : item.options) {
      if (!first) b.height += 2 * m_.scale;
      first = false;
      const double top = b.height;
      add_tick(b, item, kLeft, top, option.code, option.display.get(lang_), is_ticked(item, option.code));
      const double text_x = kLeft + m_.tick + label_gap;
      auto lines = type_.wrap(option.display.get(lang_), m_.body_pt, false, kRight - text_x);
      double y = top + m_.tick / 2 + pt_to_mm(m_.body_pt) * 0.36;
      for (const auto& line : lines) {
        b.texts.push_back(TextElement{text_x, y, m_.body_pt, false, false, line});
        y += m_.line_height(m_.body_pt);
      }
      b.height = std::max(top + m_.tick,
                          top + m_.tick / 2 + m_.line_height(m_.body_pt) * (static_cast<double>(lines.size()) - 0.5));
    }
  }

  void add_lines(Block& b, const forms::Item& item) {
    const int line_count = item.type == forms::ItemType::Text ? 4 : 2;
    Field f;
    f.link_id = item.link_id;
    f.kind = FieldKind::Text;
    std::vector<std::string> value_lines;
    if (answers_)
      if (const auto* v = answers_->first(item.link_id))
        value_lines = type_.wrap(v->to_display_string(), m_.value_pt, false, kContentWidth - 2);
    for (int i = 0; i < line_count; ++i) {
      RectMm r{kLeft, b.height, kContentWidth, m_.line_spacing};
      f.boxes.push_back(r);
      const double rule_y = b.height + m_.line_spacing;
      b.lines.push_back(LineElement{kLeft, rule_y, kRight, rule_y, 0.25});
      if (i < static_cast<int>(value_lines.size()))
        add_value(b, kLeft + 1, rule_y - 1.8 * m_.scale, m_.value_pt, value_lines[static_cast<std::size_t>(i)]);
      b.height += m_.line_spacing;
    }
    b.fields.push_back(std::move(f));
  }

  Block signature_block() {
    Block b;
    add_text(b, tr("print.signature.heading"), m_.heading_pt, true);
    b.lines.push_back(LineElement{kLeft, -1.5, kRight, -1.5, 0.4});
    add_text(b, tr("print.signature.instruction"), m_.small_pt, false);
    b.height += 2;
    forms::Item place;
    place.link_id = "signature.place";
    place.type = forms::ItemType::String;
    place.input_kind = forms::InputKind::Name;
    place.max_length = 14;
    forms::Item date;
    date.link_id = "signature.date";
    date.type = forms::ItemType::Date;
    if (!options_.large_print) {
      // Place and date side by side: place's 14 letter boxes, then DD MM YYYY.
      const double date_x = kLeft + 14 * (m_.letter_w + m_.letter_gap) + 8;
      const double top = b.height;
      b.texts.push_back(
          TextElement{kLeft, top + m_.ascent(m_.body_pt), m_.body_pt, true, false, tr("print.signature.place")});
      b.texts.push_back(
          TextElement{date_x, top + m_.ascent(m_.body_pt), m_.body_pt, true, false, tr("print.signature.date")});
      b.height += m_.line_height(m_.body_pt) + 1;
      const double boxes_top = b.height;
      add_char_boxes(b, place);
      const double after_place = b.height;
      b.height = boxes_top;
      add_char_boxes(b, date, date_x);
      b.height = std::max(b.height, after_place) + 3;
    } else {
      add_text(b, tr("print.signature.place"), m_.body_pt, true);
      b.height += 1;
      add_char_boxes(b, place);
      b.height += 3;
      add_text(b, tr("print.signature.date"), m_.body_pt, true);
      b.height += 1;
      add_char_boxes(b, date);
      b.height += 3;
    }
    add_text(b, tr("print.signature.sign"), m_.body_pt, true);
    b.height += 1;
    RectMm r{kLeft, b.height, 110 * std::min(m_.scale, 1.2), 22 * m_.scale};
    b.boxes.push_back(BoxElement{r, 0.5, false});
    Field f;
    f.link_id = "signature";
    f.kind = FieldKind::Signature;
    f.boxes.push_back(r);
    b.fields.push_back(std::move(f));
    b.height += r.h;
    return b;
  }

  const forms::Questionnaire& form_;
  std::string lang_;
  LayoutOptions options_;
  const LayoutContext& ctx_;
  const forms::Answers* answers_;
  Metrics m_;
  detail::Typesetter& type_;
  double content_top_ = 0;
  double first_content_y_ = 0;
};

nlohmann::json rect_json(const RectMm& r) {
  auto r2 = [](double v) { return static_cast<double>(std::lround(v * 100)) / 100.0; };
  return {{"x", r2(r.x)}, {"y", r2(r.y)}, {"w", r2(r.w)}, {"h", r2(r.h)}};
}

}  // namespace

FormLayout layout_form(const forms::Questionnaire& form, const std::string& lang, const LayoutOptions& options,
                       const LayoutContext& context, const forms::Answers* answers) {
  if (!context.translations) throw PrintError("layout-failed", "no translation catalogue given to the layout");
  const auto langs = context.translations->languages();
  if (!forms::is_known_language(lang) || std::find(langs.begin(), langs.end(), lang) == langs.end())
    throw PrintError("unknown-language", "unknown language '" + lang + "' (use one of nb, nn, en, se)");
  return LayoutBuilder(form, lang, options, context, answers).build();
}

nlohmann::json field_map_json(const FormLayout& layout) {
  nlohmann::json j;
  j["form"] = layout.form_id;
  j["version"] = layout.version;
  j["lang"] = layout.lang;
  j["large_print"] = layout.options.large_print;
  j["page_size_mm"] = {kPageWidthMm, kPageHeightMm};
  j["pages"] = layout.pages.size();
  auto marks = nlohmann::json::array();
  auto qrs = nlohmann::json::array();
  for (const auto& page : layout.pages) {
    auto boxes = nlohmann::json::array();
    for (const auto& r : page.corner_marks) boxes.push_back(rect_json(r));
    marks.push_back({{"page", page.number}, {"boxes", boxes}});
    auto q = rect_json(page.qr);
    q["page"] = page.number;
    qrs.push_back(q);
  }
  j["corner_marks"] = marks;
  j["qr"] = qrs;
  auto fields = nlohmann::json::array();
  for (const auto& f : layout.fields) {
    nlohmann::json jf{{"linkId", f.link_id}, {"kind", to_string(f.kind)}, {"page", f.page}};
    if (f.kind == FieldKind::Tick) jf["option"] = f.option;
    auto boxes = nlohmann::json::array();
    for (const auto& r : f.boxes) boxes.push_back(rect_json(r));
    jf["boxes"] = boxes;
    fields.push_back(std::move(jf));
  }
  j["fields"] = fields;
  return j;
}

}  // namespace print
