#include "corpus.hpp"

#include <leptonica/allheaders.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <functional>
#include <sstream>

#include <opencv2/imgproc.hpp>

#include "forms/answers.hpp"
#include "print/pdf.hpp"
#include "scanners/digits.hpp"
#include "scanners/image.hpp"
#include "scanners/letters.hpp"

namespace scancorpus {

namespace {

constexpr double kDpi = 300.0;
double px(double mm) {
  return mm * kDpi / 25.4;
}
cv::Rect rect_px(const print::RectMm& r) {
  return {static_cast<int>(px(r.x)), static_cast<int>(px(r.y)), static_cast<int>(px(r.w)), static_cast<int>(px(r.h))};
}

// Names as Sámi and other Nordic citizens write them: Sámi letters (Á Č Đ Ŋ Š Ŧ Ž) and other
// accents (Ä Ö Ü É) beside Æ Ø Å.
const std::vector<std::string> kMarkedNames = {
    "ÁSLAT GAUP",    "MÁHTTE SOMBY",    "ČÁHPPES LOGJE", "BIRET MÁRJÁ ÁLTTÁ", "ŠÁRÁ EIRA",     "JOVNNA HÆTTA",
    "ÁNDE SARA",     "SÁRA UTSI",       "IŊGÁ TURI",     "MÁRET BALTO",       "NIILLAS ÁLTTÁ", "ÁILE SOMBY",
    "ELLE MÁRJÁ",    "ÁNTE LOGJE",      "ÅSE ØVREBØ",    "BJØRN ÆRØ",         "AILA JÄRVINEN", "MÖLLER",
    "JÜRGEN MÜLLER", "RENÉ SÖDERSTRÖM", "JOSÉ NUÑEZ",    "FRANÇOIS HÖGLUND"};
// Places in Sámi, and Sámi words, so that every Sámi letter is written somewhere (VUOĐĐU is
// "foundation", RUOŦŦA "Sweden", GUOVŽA "bear").
const std::vector<std::string> kSamiPlaces = {"KÁRÁŠJOHKA", "GUOVDAGEAIDNU", "PORSÁŊGU", "UNJÁRGA", "ČÁHCESUOLU",
                                              "DEATNU",     "ÁLTÁ",          "RUOŦŦA",   "VUOĐĐU",  "GUOVŽA"};

// The letters of `text` as block capitals, one UTF-8 letter each; anything else is left out.
std::vector<std::string> block_letters(const std::string& text) {
  static const std::vector<std::pair<std::string, std::string>> lower_to_upper = {
      {"æ", "Æ"}, {"ø", "Ø"}, {"å", "Å"}, {"á", "Á"}, {"č", "Č"}, {"đ", "Đ"}, {"ŋ", "Ŋ"}, {"š", "Š"}, {"ŧ", "Ŧ"},
      {"ž", "Ž"}, {"ä", "Ä"}, {"ö", "Ö"}, {"ü", "Ü"}, {"é", "É"}, {"è", "È"}, {"ñ", "Ñ"}, {"ç", "Ç"}};
  std::vector<std::string> out;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t n = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    std::string ch = text.substr(i, n);
    i += n;
    if (n == 1) {
      if (std::isalpha(lead)) out.emplace_back(1, static_cast<char>(std::toupper(lead)));
      continue;
    }
    for (const auto& [lower, upper] : lower_to_upper)
      if (ch == lower || ch == upper) out.push_back(upper);
  }
  return out;
}

size_t utf8_count(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

}  // namespace

void write_image(const cv::Mat& grey, const std::filesystem::path& file) {
  if (file.extension() == ".pgm") {
    std::ofstream out(file, std::ios::binary);
    out << "P5\n" << grey.cols << " " << grey.rows << "\n255\n";
    for (int y = 0; y < grey.rows; ++y) out.write(reinterpret_cast<const char*>(grey.ptr(y)), grey.cols);
    return;
  }
  auto pix = scanners::pix_from_mat(grey);
  pixSetResolution(pix.get(), 300, 300);
  const int format = file.extension() == ".jpg" ? IFF_JFIF_JPEG : IFF_PNG;
  pixWrite(file.c_str(), pix.get(), format);
}

Generator::Generator(const forms::Catalogue& catalogue, const forms::Translations& translations, print::MacKey key,
                     const scanners::MnistDigits* mnist, unsigned seed)
    : catalogue_(catalogue), translations_(translations), key_(std::move(key)), mnist_(mnist), rng_(seed) {}

const print::FormLayout& Generator::layout(const std::string& form_id, const std::string& lang) {
  const std::string k = form_id + "|" + lang;
  if (auto it = layouts_.find(k); it != layouts_.end()) return it->second;
  print::LayoutContext context;
  context.translations = &translations_;
  return layouts_.emplace(k, print::layout_form(catalogue_.at(form_id), lang, {}, context)).first->second;
}

cv::Mat Generator::blank_page(const std::string& form_id, const std::string& lang, const std::string& submission,
                              int page) {
  const std::string k = form_id + "|" + lang + "|" + submission + "|" + std::to_string(page);
  if (auto it = pages_.find(k); it != pages_.end()) return it->second.clone();
  const auto& l = layout(form_id, lang);
  const std::string pdf = print::render_form_pdf(l, submission, key_);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("kiosk-corpus-" + std::to_string(::getpid()) + "-" + std::to_string(rng_()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream out(dir / "form.pdf", std::ios::binary);
    out << pdf;
  }
  const auto pages = scanners::import_image_file(dir / "form.pdf");
  std::filesystem::remove_all(dir);
  for (size_t i = 0; i < pages.size(); ++i)
    pages_[form_id + "|" + lang + "|" + submission + "|" + std::to_string(i + 1)] = pages[i].grey;
  return pages_.at(k).clone();
}

FilledPage Generator::fill(const std::string& form_id, const std::string& lang, const std::string& submission, int page,
                           unsigned answer_seed, bool crossed_out) {
  FilledPage out;
  out.grey = blank_page(form_id, lang, submission, page);
  const auto& form = catalogue_.at(form_id);
  const auto answers = forms::make_example_answers(form, answer_seed);
  const auto& l = layout(form_id, lang);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto uniform = [&](double a, double b) { return a + (b - a) * u(rng_); };
  const cv::Scalar ink(static_cast<int>(uniform(0, 60)));
  std::map<std::string, std::string> ticked_option;  // linkId -> option to tick
  for (const auto& [link_id, values] : answers.values) {
    if (values.empty()) continue;
    const auto& v = values.front();
    if (v.kind == forms::AnswerValue::Kind::Boolean) ticked_option[link_id] = v.boolean ? "true" : "false";
    if (v.kind == forms::AnswerValue::Kind::Coding) ticked_option[link_id] = v.text;
  }
  bool crossed_done = false;
  for (const auto& f : l.fields) {
    if (f.page != page) continue;
    const forms::Item* item = form.find_item(f.link_id);
    switch (f.kind) {
      case print::FieldKind::Tick: {
        out.kinds[f.link_id] = "tick";
        if (!out.truth.count(f.link_id)) out.truth[f.link_id] = nullptr;
        const auto it = ticked_option.find(f.link_id);
        const bool wanted = it != ticked_option.end() && it->second == f.option && forms::is_enabled(*item, answers);
        const cv::Rect b = rect_px(f.boxes.front());
        const int pen = static_cast<int>(uniform(2, 7));
        if (wanted && out.truth[f.link_id] != "review") {
          if (item->type == forms::ItemType::Boolean)
            out.truth[f.link_id] = f.option == "true";
          else
            out.truth[f.link_id] = f.option;
          const double j = b.width * 0.12;
          auto jit = [&](double x, double y) {
            return cv::Point(static_cast<int>(b.x + x * b.width + uniform(-j, j)),
                             static_cast<int>(b.y + y * b.height + uniform(-j, j)));
          };
          if (u(rng_) < 0.5) {  // a tick
            cv::line(out.grey, jit(0.15, 0.55), jit(0.4, 0.85), ink, pen, cv::LINE_AA);
            cv::line(out.grey, jit(0.4, 0.85), jit(uniform(0.85, 1.15), uniform(-0.1, 0.2)), ink, pen, cv::LINE_AA);
          } else {  // a cross
            cv::line(out.grey, jit(0.15, 0.15), jit(0.85, 0.85), ink, pen, cv::LINE_AA);
            cv::line(out.grey, jit(0.85, 0.15), jit(0.15, 0.85), ink, pen, cv::LINE_AA);
          }
        } else if (crossed_out && !crossed_done) {
          // Ticked, then scribbled over to take it back: a person must look.
          crossed_done = true;
          for (int k = 0; k < 14; ++k)
            cv::line(
                out.grey,
                cv::Point(b.x + static_cast<int>(uniform(0, b.width)), b.y + static_cast<int>(uniform(0, b.height))),
                cv::Point(b.x + static_cast<int>(uniform(0, b.width)), b.y + static_cast<int>(uniform(0, b.height))),
                ink, pen + 2);
          out.truth[f.link_id] = "review";
        }
        break;
      }
      case print::FieldKind::Digits: {
        out.kinds[f.link_id] = "digits";
        std::string digits;
        if (f.link_id == "signature.date") {
          digits = "24112026";
        } else if (const auto* v = answers.first(f.link_id)) {
          for (char c : v->to_display_string())
            if (std::isdigit(static_cast<unsigned char>(c))) digits.push_back(c);
          if (v->kind == forms::AnswerValue::Kind::Date && digits.size() == 8)
            digits = digits.substr(6, 2) + digits.substr(4, 2) + digits.substr(0, 4);
        }
        if (digits.empty() || !mnist_) {
          out.truth[f.link_id] = nullptr;
          break;
        }
        out.truth[f.link_id] =
            (item && item->type == forms::ItemType::Date) || f.link_id == "signature.date"
                ? nlohmann::json(digits.substr(4, 4) + "-" + digits.substr(2, 2) + "-" + digits.substr(0, 2))
                : nlohmann::json(digits);
        for (size_t i = 0; i < digits.size() && i < f.boxes.size(); ++i) {
          const int d = digits[i] - '0';
          const auto& samples = mnist_->samples[static_cast<size_t>(d)];
          // Training indices only (0..599): the unseen ones are kept for the accuracy test.
          const auto& sample = samples[static_cast<size_t>(rng_() % scanners::kMnistTrainPerDigit)];
          const cv::Rect b = rect_px(f.boxes[i]);
          const cv::Mat mark = scanners::render_digit_in_box(sample, b.size(), rng_, false);
          cv::Mat roi = out.grey(b & cv::Rect(0, 0, out.grey.cols, out.grey.rows));
          roi.setTo(ink, mark(cv::Rect(0, 0, roi.cols, roi.rows)));
        }
        break;
      }
      case print::FieldKind::Letters: {
        out.kinds[f.link_id] = "letters";
        // The style (which name, face, lean, turn, pen, place) comes from a generator of its own,
        // so the rest of the page (ticks, digits, degradation) does not depend on the letters.
        std::mt19937 style(answer_seed * 2654435761u ^
                           static_cast<unsigned>(std::hash<std::string>{}(submission + "|" + f.link_id)));
        std::uniform_real_distribution<double> su(0.0, 1.0);
        auto styled = [&](double a, double b) { return a + (b - a) * su(style); };
        std::string text;
        if (f.link_id == "signature.place")
          text = su(style) < 0.4 ? kSamiPlaces[style() % kSamiPlaces.size()] : "OSLO";
        else if (const auto* v = answers.first(f.link_id))
          text = v->to_display_string();
        // Many citizens the kiosk serves write Sámi letters or accents in their names.
        if (item && item->input_kind == forms::InputKind::Name && su(style) < marked_name_share_)
          text = kMarkedNames[style() % kMarkedNames.size()];
        std::vector<std::string> letters = block_letters(text);
        if (letters.size() > f.boxes.size()) letters.resize(f.boxes.size());
        std::string truth;
        for (const auto& letter : letters) truth += letter;
        out.truth[f.link_id] = letters.empty() ? nlohmann::json() : nlohmann::json(truth);
        // Block capitals in the Hershey faces the letter classifier never trained on (SIMPLEX and
        // DUPLEX, see scanners/tools/train_letters.cpp), marks drawn on by hand
        // (scanners::hershey_letter), each letter with its own lean, turn, pen width and place.
        for (size_t i = 0; i < letters.size(); ++i) {
          const cv::Rect b = rect_px(f.boxes[i]);
          const double scale = b.height * styled(0.55, 0.75) / 22.0;
          const double jitter_x = styled(-2, 2), jitter_y = styled(-2, 2);
          const int thickness = static_cast<int>(styled(2, 4)) + static_cast<int>(styled(0, 2.5));
          const int font = su(style) < 0.5 ? cv::FONT_HERSHEY_SIMPLEX : cv::FONT_HERSHEY_DUPLEX;
          cv::Mat glyph = scanners::hershey_letter(letters[i], font, scale, thickness);
          if (glyph.empty()) continue;
          // A letter with a mark above or below is written smaller so that it all fits the box.
          const double fit = std::min({1.0, 0.9 * b.height / glyph.rows, 0.9 * b.width / glyph.cols});
          if (fit < 1.0) cv::resize(glyph, glyph, cv::Size(), fit, fit, cv::INTER_AREA);
          cv::Mat mask = cv::Mat::zeros(b.size(), CV_8UC1);
          const cv::Rect at((b.width - glyph.cols) / 2 + static_cast<int>(jitter_x),
                            (b.height - glyph.rows) / 2 + static_cast<int>(jitter_y), glyph.cols, glyph.rows);
          const cv::Rect clipped = at & cv::Rect(0, 0, mask.cols, mask.rows);
          glyph(cv::Rect(clipped.x - at.x, clipped.y - at.y, clipped.width, clipped.height)).copyTo(mask(clipped));
          // Lean (-0.1 .. 0.3 shear) and turn (±6°) around the box centre.
          const double slant = styled(-0.1, 0.3), angle = styled(-6.0, 6.0) * CV_PI / 180.0;
          const double c = std::cos(angle), s = std::sin(angle), cx = b.width / 2.0, cy = b.height / 2.0;
          const double a00 = c, a01 = -s + c * slant, a10 = s, a11 = c + s * slant;
          const cv::Mat pose =
              (cv::Mat_<double>(2, 3) << a00, a01, cx - a00 * cx - a01 * cy, a10, a11, cy - a10 * cx - a11 * cy);
          cv::Mat posed;
          cv::warpAffine(mask, posed, pose, mask.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
          const cv::Rect on_page = b & cv::Rect(0, 0, out.grey.cols, out.grey.rows);
          for (int y = 0; y < on_page.height; ++y)
            for (int x = 0; x < on_page.width; ++x) {
              const double alpha = posed.at<std::uint8_t>(y, x) / 255.0;
              auto& pixel = out.grey.at<std::uint8_t>(on_page.y + y, on_page.x + x);
              pixel = static_cast<std::uint8_t>(std::lround(pixel * (1.0 - alpha) + ink[0] * alpha));
            }
        }
        break;
      }
      case print::FieldKind::Signature: {
        out.kinds[f.link_id] = "signature";
        out.truth[f.link_id] = true;
        const cv::Rect b = rect_px(f.boxes.front());
        cv::Point prev(b.x + b.width / 6, b.y + b.height / 2);
        for (int k = 0; k < 25; ++k) {
          const cv::Point next(std::min(b.x + b.width - 10, prev.x + static_cast<int>(uniform(5, 40))),
                               b.y + static_cast<int>(uniform(0.25, 0.75) * b.height));
          cv::line(out.grey, prev, next, ink, 3, cv::LINE_AA);
          prev = next;
        }
        break;
      }
      case print::FieldKind::Text: {
        // Handwriting-like script on the first line of the field: the words of the example
        // answer that fit. Truth is the text written; a reader may only accept it exactly.
        out.kinds[f.link_id] = "text";
        out.truth[f.link_id] = nullptr;
        const auto* v = answers.first(f.link_id);
        if (!v || f.boxes.empty()) break;
        const cv::Rect b = rect_px(f.boxes.front());
        const double scale = b.height * uniform(0.45, 0.6) / 22.0;
        const int thickness = static_cast<int>(uniform(2, 4));
        std::string written, word;
        std::istringstream words(v->to_display_string());
        while (words >> word) {
          std::string ascii;
          for (char c : word)
            if (static_cast<unsigned char>(c) < 0x80) ascii.push_back(c);
          if (ascii.empty()) continue;
          const std::string next = written.empty() ? ascii : written + " " + ascii;
          int baseline = 0;
          if (cv::getTextSize(next, cv::FONT_HERSHEY_SCRIPT_SIMPLEX, scale, thickness, &baseline).width > b.width * 0.9)
            break;
          written = next;
        }
        if (written.empty()) break;
        out.truth[f.link_id] = written;
        cv::putText(out.grey, written,
                    cv::Point(b.x + static_cast<int>(b.width * 0.03), b.y + static_cast<int>(b.height * 0.72)),
                    cv::FONT_HERSHEY_SCRIPT_SIMPLEX, scale, ink, thickness, cv::LINE_AA);
        break;
      }
    }
  }
  return out;
}

Generator::PrefilledPage Generator::prefilled(const std::string& form_id, const std::string& lang,
                                              const std::string& submission, int page, unsigned answer_seed,
                                              HandChange change, bool sign) {
  PrefilledPage out;
  const auto& form = catalogue_.at(form_id);
  out.answers = forms::make_example_answers(form, answer_seed);
  print::LayoutContext context;
  context.translations = &translations_;
  const auto l = print::layout_form(form, lang, {}, context, &out.answers);
  const std::string k = "prefilled|" + form_id + "|" + lang + "|" + submission + "|" + std::to_string(answer_seed);
  if (!pages_.count(k + "|" + std::to_string(page))) {
    const std::string pdf = print::render_form_pdf(l, submission, key_);
    const auto dir = std::filesystem::temp_directory_path() /
                     ("kiosk-corpus-" + std::to_string(::getpid()) + "-" + std::to_string(rng_()));
    std::filesystem::create_directories(dir);
    {
      std::ofstream file(dir / "form.pdf", std::ios::binary);
      file << pdf;
    }
    const auto pages = scanners::import_image_file(dir / "form.pdf");
    std::filesystem::remove_all(dir);
    for (size_t i = 0; i < pages.size(); ++i) pages_[k + "|" + std::to_string(i + 1)] = pages[i].grey;
  }
  out.grey = pages_.at(k + "|" + std::to_string(page)).clone();

  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto uniform = [&](double a, double b) { return a + (b - a) * u(rng_); };
  const cv::Scalar ink(static_cast<int>(uniform(0, 60)));
  auto digit_at = [&](int d, const cv::Rect& b) {
    if (!mnist_) return;
    const auto& samples = mnist_->samples[static_cast<size_t>(d)];
    const auto& sample = samples[static_cast<size_t>(rng_() % scanners::kMnistTrainPerDigit)];
    const cv::Rect on = b & cv::Rect(0, 0, out.grey.cols, out.grey.rows);
    const cv::Mat mark = scanners::render_digit_in_box(sample, b.size(), rng_, false);
    out.grey(on).setTo(ink, mark(cv::Rect(on.x - b.x, on.y - b.y, on.width, on.height)));
  };
  // The printed characters of a box field (dates as DDMMYYYY, as print/layout.cpp prints them).
  auto printed_chars = [&](const print::Field& f) {
    std::string s;
    if (const auto* v = out.answers.first(f.link_id)) {
      s = v->to_display_string();
      if (v->kind == forms::AnswerValue::Kind::Date && s.size() == 10)
        s = s.substr(8, 2) + s.substr(5, 2) + s.substr(0, 4);
    }
    return s;
  };

  if (sign) {
    for (const auto& f : l.fields) {
      if (f.page != page) continue;
      if (f.kind == print::FieldKind::Signature) {
        out.signed_by_hand = true;
        const cv::Rect b = rect_px(f.boxes.front());
        cv::Point prev(b.x + b.width / 6, b.y + b.height / 2);
        for (int i = 0; i < 25; ++i) {
          const cv::Point next(std::min(b.x + b.width - 10, prev.x + static_cast<int>(uniform(5, 40))),
                               b.y + static_cast<int>(uniform(0.25, 0.75) * b.height));
          cv::line(out.grey, prev, next, ink, 3, cv::LINE_AA);
          prev = next;
        }
      } else if (f.link_id == "signature.date") {
        const std::string date = "24112026";
        for (size_t i = 0; i < date.size() && i < f.boxes.size(); ++i) digit_at(date[i] - '0', rect_px(f.boxes[i]));
      }
    }
  }
  if (change == HandChange::None) return out;

  // The fields the change can be made to, on this page.
  std::vector<const print::Field*> candidates;
  std::map<std::string, std::vector<const print::Field*>> tick_boxes;
  for (const auto& f : l.fields) {
    if (f.page != page || !form.find_item(f.link_id) || !out.answers.first(f.link_id)) continue;
    if (f.kind == print::FieldKind::Tick) tick_boxes[f.link_id].push_back(&f);
    const bool digits = f.kind == print::FieldKind::Digits, letters = f.kind == print::FieldKind::Letters;
    if (change == HandChange::DigitOverwritten && digits && !printed_chars(f).empty()) candidates.push_back(&f);
    if ((change == HandChange::CrossedOutRewritten || change == HandChange::CrossedOutEmpty) && (digits || letters) &&
        utf8_count(printed_chars(f)) >= 2)
      candidates.push_back(&f);
  }
  if (change == HandChange::TickMoved)
    for (const auto& [link_id, boxes] : tick_boxes)
      if (boxes.size() >= 2) candidates.push_back(boxes.front());
  if (candidates.empty())
    throw std::runtime_error("no field on page " + std::to_string(page) + " of " + form_id +
                             " can take this hand change");
  const print::Field& f = *candidates[rng_() % candidates.size()];
  out.changed = f.link_id;
  const int pen = static_cast<int>(uniform(3, 7));
  switch (change) {
    case HandChange::DigitOverwritten: {
      // One printed digit written over with another.
      const std::string chars = printed_chars(f);
      std::vector<size_t> filled;
      for (size_t i = 0; i < chars.size() && i < f.boxes.size(); ++i)
        if (std::isdigit(static_cast<unsigned char>(chars[i]))) filled.push_back(i);
      const size_t i = filled[rng_() % filled.size()];
      const int printed = chars[i] - '0';
      const int written = (printed + 1 + static_cast<int>(rng_() % 9)) % 10;
      digit_at(written, rect_px(f.boxes[i]));
      break;
    }
    case HandChange::CrossedOutRewritten:
    case HandChange::CrossedOutEmpty: {
      // One or two strokes through the printed value; the new value, when there is one, written
      // beside the boxes.
      const size_t n = std::min(utf8_count(printed_chars(f)), f.boxes.size());
      const cv::Rect first = rect_px(f.boxes.front()), last = rect_px(f.boxes[n - 1]);
      const int strokes = u(rng_) < 0.5 ? 1 : 2;
      for (int i = 0; i < strokes; ++i) {
        const int y0 = first.y + static_cast<int>(first.height * uniform(0.3, 0.7));
        const int y1 = last.y + static_cast<int>(last.height * uniform(0.3, 0.7));
        cv::line(out.grey, cv::Point(first.x - static_cast<int>(uniform(0, 20)), y0),
                 cv::Point(last.x + last.width + static_cast<int>(uniform(0, 20)), y1), ink, pen, cv::LINE_AA);
      }
      if (change == HandChange::CrossedOutRewritten) {
        const cv::Rect end = rect_px(f.boxes.back());
        int x = end.x + end.width + static_cast<int>(px(4));
        for (int i = 0; i < 4 && x + first.width < out.grey.cols; ++i, x += first.width)
          digit_at(static_cast<int>(rng_() % 10), cv::Rect(x, first.y, first.width, first.height));
      }
      break;
    }
    case HandChange::TickMoved: {
      // The kiosk ticked one option; the person ticks another, and half the time scribbles the first out.
      const auto& boxes = tick_boxes.at(f.link_id);
      const auto* v = out.answers.first(f.link_id);
      const std::string printed =
          v->kind == forms::AnswerValue::Kind::Boolean ? (v->boolean ? "true" : "false") : v->text;
      std::vector<const print::Field*> others;
      const print::Field* kiosk_tick = nullptr;
      for (const auto* b : boxes) {
        if (b->option == printed)
          kiosk_tick = b;
        else
          others.push_back(b);
      }
      const print::Field* moved = others.empty() ? boxes.back() : others[rng_() % others.size()];
      const cv::Rect b = rect_px(moved->boxes.front());
      cv::line(out.grey, cv::Point(b.x + b.width * 15 / 100, b.y + b.height * 55 / 100),
               cv::Point(b.x + b.width * 40 / 100, b.y + b.height * 85 / 100), ink, pen, cv::LINE_AA);
      cv::line(out.grey, cv::Point(b.x + b.width * 40 / 100, b.y + b.height * 85 / 100),
               cv::Point(b.x + b.width * 95 / 100, b.y + b.height * 5 / 100), ink, pen, cv::LINE_AA);
      if (kiosk_tick && u(rng_) < 0.5) {
        const cv::Rect was = rect_px(kiosk_tick->boxes.front());
        for (int i = 0; i < 10; ++i)
          cv::line(out.grey,
                   cv::Point(was.x + static_cast<int>(uniform(0, was.width)),
                             was.y + static_cast<int>(uniform(0, was.height))),
                   cv::Point(was.x + static_cast<int>(uniform(0, was.width)),
                             was.y + static_cast<int>(uniform(0, was.height))),
                   ink, pen);
      }
      break;
    }
    case HandChange::None:
      break;
  }
  return out;
}

cv::Mat Generator::degrade(const cv::Mat& page300, const Degradation& d) {
  std::normal_distribution<double> gauss(0.0, 1.0);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  cv::Mat img;
  const double scale = d.dpi / kDpi;
  // Skew about the centre with a little shift (paper never lies exactly on the glass).
  const cv::Point2f c(page300.cols / 2.0f, page300.rows / 2.0f);
  cv::Mat m = cv::getRotationMatrix2D(c, d.skew_deg, scale);
  m.at<double>(0, 2) += (u(rng_) - 0.5) * 40 * scale;
  m.at<double>(1, 2) += (u(rng_) - 0.5) * 40 * scale;
  m.at<double>(0, 2) -= c.x * (1 - scale);
  m.at<double>(1, 2) -= c.y * (1 - scale);
  cv::warpAffine(page300, img, m,
                 cv::Size(static_cast<int>(page300.cols * scale), static_cast<int>(page300.rows * scale)),
                 cv::INTER_AREA, cv::BORDER_CONSTANT, 245);
  if (d.uneven_light) {
    cv::Mat light(img.size(), CV_32F);
    const double gx = u(rng_) * 0.35, gy = u(rng_) * 0.25;
    for (int y = 0; y < img.rows; ++y)
      for (int x = 0; x < img.cols; ++x)
        light.at<float>(y, x) = static_cast<float>(1.0 - gx * x / img.cols - gy * y / img.rows);
    cv::Mat f;
    img.convertTo(f, CV_32F);
    f = f.mul(light);
    f.convertTo(img, CV_8U);
  }
  if (d.fold) {
    const int y0 = img.rows / 2 + static_cast<int>((u(rng_) - 0.5) * img.rows * 0.1);
    const int width = std::max(2, static_cast<int>(6 * scale));
    cv::Mat band = img.rowRange(y0, std::min(img.rows, y0 + width));
    band -= 70;
  }
  if (d.blur_sigma > 0) cv::GaussianBlur(img, img, cv::Size(0, 0), d.blur_sigma);
  if (d.noise_sigma > 0) {
    cv::Mat noise(img.size(), CV_16S);
    cv::randn(noise, 0, d.noise_sigma);
    cv::Mat s;
    img.convertTo(s, CV_16S);
    s += noise;
    s.convertTo(img, CV_8U);
  }
  if (d.quarter_turns == 1) cv::rotate(img, img, cv::ROTATE_90_CLOCKWISE);
  if (d.quarter_turns == 2) cv::rotate(img, img, cv::ROTATE_180);
  if (d.quarter_turns == 3) cv::rotate(img, img, cv::ROTATE_90_COUNTERCLOCKWISE);
  if (d.jpeg_quality > 0) {
    auto pix = scanners::pix_from_mat(img);
    l_uint8* data = nullptr;
    size_t size = 0;
    if (pixWriteMemJpeg(&data, &size, pix.get(), d.jpeg_quality, 0) == 0 && data) {
      scanners::PixPtr back(pixReadMem(data, size));
      lept_free(data);
      if (back) img = scanners::mat_from_pix(back.get());
    }
  }
  return img;
}

}  // namespace scancorpus
