#include "scanners/recognize.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include <opencv2/imgproc.hpp>

#include "forms/answers.hpp"
#include "forms/identity.hpp"
#include "print/error.hpp"
#include "scanners/digits.hpp"
#include "scanners/error.hpp"
#include "scanners/ocr.hpp"
#include "scanners/qr.hpp"

namespace scanners {

namespace {

// The rectified page is drawn at this resolution (about 254 dpi): enough for digit and
// letter boxes, small enough to warp in a few tens of milliseconds.
constexpr double kPxPerMm = 10.0;

// Tick boxes: ink the person added inside the box, measured against the blank box (its printed
// border found in the scan and erased), as a share of the box's inside. Tuned on the generated
// corpus (bench/scan, seeded): blank boxes measure 0 %, ticks 8-31 %, scribbled-over boxes 50 % and more.
constexpr double kTickEmptyBelow = 0.012;
constexpr double kTickTickedAbove = 0.035;
constexpr double kTickScribbledAbove = 0.45;  // a filled or crossed-out box: ask a person
constexpr double kTickBorderMm = 0.35;        // line width of the printed tick box (print/layout.cpp)
// Letter boxes: ink inside the found lines above this share of the inside is a letter. Blank
// boxes measure 0 % once their lines are cleared; a block letter covers 8 % and more.
constexpr double kLetterInkAbove = 0.02;
constexpr const char* kLetterWhitelist = "ABCDEFGHIJKLMNOPQRSTUVWXYZÆØÅÁČĐŊŠŦŽ-";

cv::Rect to_px(const print::RectMm& r, double inset_fraction = 0.0) {
  const double ix = r.w * inset_fraction, iy = r.h * inset_fraction;
  return {static_cast<int>(std::lround((r.x + ix) * kPxPerMm)), static_cast<int>(std::lround((r.y + iy) * kPxPerMm)),
          std::max(1, static_cast<int>(std::lround((r.w - 2 * ix) * kPxPerMm))),
          std::max(1, static_cast<int>(std::lround((r.h - 2 * iy) * kPxPerMm)))};
}

cv::Rect clip(const cv::Rect& r, const cv::Mat& m) {
  return r & cv::Rect(0, 0, m.cols, m.rows);
}

double ink_share(const cv::Mat& ink, const cv::Rect& r) {
  const cv::Rect c = clip(r, ink);
  if (c.area() <= 0) return 0.0;
  return static_cast<double>(cv::countNonZero(ink(c))) / c.area();
}

cv::Rect union_px(const std::vector<print::RectMm>& boxes, double margin_mm) {
  cv::Rect u;
  for (const auto& b : boxes) {
    const cv::Rect r = to_px({b.x - margin_mm, b.y - margin_mm, b.w + 2 * margin_mm, b.h + 2 * margin_mm});
    u = u.area() == 0 ? r : (u | r);
  }
  return u;
}

cv::Point2f centre(const print::RectMm& r) {
  return {static_cast<float>((r.x + r.w / 2) * kPxPerMm), static_cast<float>((r.y + r.h / 2) * kPxPerMm)};
}

std::string normalise_title(const std::string& s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c >= 0x80)
      out.push_back(static_cast<char>(std::tolower(c)));
    else if (!out.empty() && out.back() != ' ')
      out.push_back(' ');
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Similarity of two strings in 0..1 (1 - edit distance / longer length).
double similarity(const std::string& a, const std::string& b) {
  if (a.empty() || b.empty()) return 0.0;
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return 1.0 - static_cast<double>(prev[b.size()]) / static_cast<double>(std::max(a.size(), b.size()));
}

// Best match of OCR'd text against a title: slides the title over the text (the OCR of the
// page head also holds instructions).
double title_score(const std::string& text, const std::string& title) {
  if (title.empty() || text.empty()) return 0.0;
  if (text.find(title) != std::string::npos) return 1.0;
  double best = 0.0;
  const size_t n = title.size();
  for (size_t start = 0; start + n / 2 < text.size(); start += 1)
    best = std::max(best, similarity(text.substr(start, n), title));
  return best;
}

// The affine map (as a 3 x 3 matrix) that best takes `src` onto `dst` in the least-squares
// sense; empty when the points do not determine one.
cv::Mat least_squares_affine(const std::vector<cv::Point2f>& src, const std::vector<cv::Point2f>& dst) {
  if (src.size() < 3 || src.size() != dst.size()) return {};
  const int n = static_cast<int>(src.size());
  cv::Mat a = cv::Mat::zeros(2 * n, 6, CV_64F), b(2 * n, 1, CV_64F);
  for (int i = 0; i < n; ++i) {
    const auto& p = src[static_cast<size_t>(i)];
    const auto& q = dst[static_cast<size_t>(i)];
    a.at<double>(2 * i, 0) = p.x;
    a.at<double>(2 * i, 1) = p.y;
    a.at<double>(2 * i, 2) = 1;
    a.at<double>(2 * i + 1, 3) = p.x;
    a.at<double>(2 * i + 1, 4) = p.y;
    a.at<double>(2 * i + 1, 5) = 1;
    b.at<double>(2 * i) = q.x;
    b.at<double>(2 * i + 1) = q.y;
  }
  cv::Mat x;
  if (!cv::solve(a, b, x, cv::DECOMP_SVD)) return {};
  cv::Mat m = cv::Mat::eye(3, 3, CV_64F);
  for (int k = 0; k < 6; ++k) m.at<double>(k / 3, k % 3) = x.at<double>(k);
  return m;
}

struct TickState {
  enum Kind { Empty, Ticked, Unclear } kind = Empty;
  double share = 0.0;
};

// Finds the printed border line of a box near its expected position: the row (or column) in
// `band` (search range along the other axis) with the most ink. Returns the offset found.
int strongest_line(const cv::Mat& crop, bool horizontal, int expected, int search, int along_from, int along_to) {
  int best = expected;
  int best_ink = -1;
  for (int p = std::max(0, expected - search);
       p <= std::min((horizontal ? crop.rows : crop.cols) - 1, expected + search); ++p) {
    const cv::Mat line =
        horizontal ? crop.row(p).colRange(along_from, along_to) : crop.col(p).rowRange(along_from, along_to);
    const int n = cv::countNonZero(line);
    if (n > best_ink || (n == best_ink && std::abs(p - expected) < std::abs(best - expected))) {
      best_ink = n;
      best = p;
    }
  }
  return best;
}

// The border of a letter box next to its neighbour's: the strongest line near `expected`, or a
// line just inside it (within the width of the double line) when there is one: the neighbour's
// border lies a fraction of a millimetre outside this box's own. `inward` +1: larger offsets are
// inside the box.
int innermost_line(const cv::Mat& crop, bool horizontal, int expected, int search, int inward, int along_from,
                   int along_to) {
  const int strongest = strongest_line(crop, horizontal, expected, search, along_from, along_to);
  auto ink_at = [&](int p) {
    const cv::Mat line =
        horizontal ? crop.row(p).colRange(along_from, along_to) : crop.col(p).rowRange(along_from, along_to);
    return cv::countNonZero(line);
  };
  const int extent = horizontal ? crop.rows : crop.cols;
  const int strongest_ink = ink_at(strongest);
  int best = strongest;
  for (int step = 1; step <= static_cast<int>(std::lround(kPxPerMm * 0.6)); ++step) {
    const int p = strongest + inward * step;
    if (p < 0 || p >= extent) break;
    if (ink_at(p) * 10 >= strongest_ink * 6) best = p;
  }
  return best;
}

TickState measure_tick(const cv::Mat& ink, const print::RectMm& box) {
  TickState t;
  // The box with a margin for registration error, in rectified (layout) pixels.
  const int margin = static_cast<int>(kPxPerMm * 1.0);
  const cv::Rect expected = to_px(box);
  const cv::Rect area = clip(
      cv::Rect(expected.x - margin, expected.y - margin, expected.width + 2 * margin, expected.height + 2 * margin),
      ink);
  if (area.width < expected.width || area.height < expected.height) {
    t.kind = TickState::Unclear;
    return t;
  }
  const cv::Mat crop = ink(area);
  const int x0 = expected.x - area.x, y0 = expected.y - area.y;
  const int x1 = x0 + expected.width, y1 = y0 + expected.height;
  // The blank box is four lines: find each where it was printed, then look only inside them,
  // clear of the line and its blur.
  const int search = margin - 1;
  const int top = strongest_line(crop, true, y0, search, x0 + 4, x1 - 4);
  const int bottom = strongest_line(crop, true, y1, search, x0 + 4, x1 - 4);
  const int left = strongest_line(crop, false, x0, search, y0 + 4, y1 - 4);
  const int right = strongest_line(crop, false, x1, search, y0 + 4, y1 - 4);
  const int clearance = static_cast<int>(std::lround(kTickBorderMm * kPxPerMm / 2.0)) + 3;
  const cv::Rect inside(left + clearance, top + clearance, right - left - 2 * clearance, bottom - top - 2 * clearance);
  if (inside.width < expected.width / 2 || inside.height < expected.height / 2 ||
      (inside & cv::Rect(0, 0, crop.cols, crop.rows)) != inside) {
    t.kind = TickState::Unclear;  // the border was not where it should be
    return t;
  }
  t.share = static_cast<double>(cv::countNonZero(crop(inside))) / inside.area();
  if (t.share < kTickEmptyBelow)
    t.kind = TickState::Empty;
  else if (t.share > kTickScribbledAbove)
    t.kind = TickState::Unclear;
  else if (t.share > kTickTickedAbove)
    t.kind = TickState::Ticked;
  else
    t.kind = TickState::Unclear;
  return t;
}

// Confidence of a tick decision: how far the ink share is from the nearest threshold.
double tick_confidence(const TickState& t) {
  switch (t.kind) {
    case TickState::Empty:
      return std::clamp(1.0 - t.share / kTickEmptyBelow * 0.5, 0.5, 1.0);
    case TickState::Ticked:
      return std::clamp(0.5 + std::min(t.share - kTickTickedAbove, kTickScribbledAbove - t.share) * 10.0, 0.5, 1.0);
    default:
      return 0.3;
  }
}

}  // namespace

struct Recognizer::Impl {
  const forms::Catalogue& catalogue;
  const forms::Translations& translations;
  print::QrKeyRing keys;
  RecognizerOptions options;
  DigitClassifier digits;
  LetterClassifier letters;
  std::unique_ptr<OcrEngine> ocr;  // created on first use: pages with ticks and digits only never pay for it
  std::map<std::string, print::FormLayout> layouts;  // by form|version|lang|flags

  Impl(const forms::Catalogue& c, const forms::Translations& t, print::QrKeyRing k, RecognizerOptions o)
      : catalogue(c),
        translations(t),
        keys(std::move(k)),
        options(std::move(o)),
        digits(options.digit_models.empty() ? DigitClassifier::default_model_files() : options.digit_models),
        letters(options.letter_model.empty() ? LetterClassifier::default_model_file() : options.letter_model) {}

  ~Impl() {
    // The printed pages rendered again hold the person's values.
    for (auto& [key, page] : references) page.setTo(0);
    reference_answers.wipe();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  OcrEngine& engine() {
    if (!ocr) ocr = std::make_unique<OcrEngine>("nor");
    return *ocr;
  }

  const print::FormLayout* layout_for(const print::QrPayload& qr, std::string& problem) {
    const std::string cache_key = qr.form_id + "|" + qr.version + "|" + qr.lang + "|" + (qr.large_print ? "L" : "");
    if (auto it = layouts.find(cache_key); it != layouts.end()) return &it->second;
    const forms::Questionnaire* form = catalogue.find(qr.form_id);
    if (!form) {
      problem = "unknown-form";
      return nullptr;
    }
    if (form->version != qr.version) {
      problem = "unknown-version";
      return nullptr;
    }
    print::LayoutContext context;
    context.translations = &translations;
    context.postal_address = options.postal_address;
    context.fonts = options.fonts;
    try {
      auto layout = print::layout_form(*form, qr.lang, print::layout_options(qr), context);
      return &layouts.emplace(cache_key, std::move(layout)).first->second;
    } catch (const print::PrintError&) {
      problem = "unknown-form";
      return nullptr;
    }
  }

  // Finds a filled square of about `side_px` near `expected` in the (background-normalised)
  // grey page. Only the searched area is thresholded: no ink copy of the whole page.
  std::optional<cv::Point2f> find_mark(const cv::Mat& flat, cv::Point2f expected, double side_px, double search_px) {
    const cv::Rect area =
        clip(cv::Rect(static_cast<int>(expected.x - search_px), static_cast<int>(expected.y - search_px),
                      static_cast<int>(2 * search_px), static_cast<int>(2 * search_px)),
             flat);
    if (area.area() <= 0) return std::nullopt;
    cv::Mat ink;
    cv::threshold(flat(area), ink, 140, 255, cv::THRESH_BINARY_INV);
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
    std::optional<cv::Point2f> best;
    double best_distance = 1e18;
    for (int i = 1; i < n; ++i) {
      const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
      const int a = stats.at<int>(i, cv::CC_STAT_AREA);
      if (w < side_px * 0.6 || w > side_px * 1.6 || h < side_px * 0.6 || h > side_px * 1.6) continue;
      if (a < 0.7 * w * h) continue;  // filled, not a box outline or a letter
      const cv::Point2f c(static_cast<float>(centroids.at<double>(i, 0) + area.x),
                          static_cast<float>(centroids.at<double>(i, 1) + area.y));
      const double d = cv::norm(c - expected);
      if (d < best_distance) {
        best_distance = d;
        best = c;
      }
    }
    return best;
  }

  // `grey` shares its pixels with the caller's page unless the caller gave the page up
  // (recognize_page(PageImage&&)): then the scan is freed as soon as its working copy exists.
  PageResult recognize(cv::Mat grey, const std::string& source, const PrintedSheet* printed) {
    PageResult result;
    result.source = source;
    if (is_blank(grey)) {
      // Nothing printed or written at all: the back of the sheet, or an empty page. Said as such,
      // not as a form the kiosk does not know.
      result.problem = "blank-page";
      return result;
    }
    const auto codes = find_qr_codes(grey);
    std::optional<FoundQr> kiosk_code;
    std::string qr_problem = codes.empty() ? "no-qr-code" : "qr-invalid";
    std::optional<FoundQr> unverified_code;
    print::QrParseResult unverified;
    for (const auto& code : codes) {
      auto parsed = print::parse_qr_payload(code.text, keys);
      if (parsed.ok()) {
        result.qr = parsed.payload;
        result.key_id = parsed.key_id;
        kiosk_code = code;
        break;
      }
      if (parsed.unverified && !unverified_code) {
        unverified = std::move(parsed);
        unverified_code = code;
      }
    }
    // A well-formed code no key of ours vouches for (another kiosk, an operator key not imported
    // here, an altered code): the page is read all the same, and marked so that it goes to staff
    // review. Refusing it would lose a citizen's signed sheet; accepting it would trust it.
    if (!kiosk_code && unverified_code) {
      result.qr = unverified.unverified;
      result.key_id = unverified.key_id;
      result.key_problem = unverified.error_code == "forged" ? "qr-forged" : "qr-unknown-key";
      kiosk_code = unverified_code;
    }
    if (!kiosk_code) {
      result.problem = qr_problem;
      if (qr_problem == "no-qr-code") result.identified_form = identify_by_title(grey);
      return result;
    }
    std::string problem;
    const print::FormLayout* layout = layout_for(*result.qr, problem);
    if (!layout || result.qr->page < 1 || result.qr->page > static_cast<int>(layout->pages.size())) {
      result.problem = problem.empty() ? "unknown-form" : problem;
      return result;
    }
    const print::PageLayout& page_layout = layout->pages[static_cast<size_t>(result.qr->page - 1)];

    // 1. Upright: the QR code's own top edge tells how the page lies (fed sideways or upside down).
    const auto& q = kiosk_code->corners;
    const double angle = std::atan2(q[1].y - q[0].y, q[1].x - q[0].x) * 180.0 / CV_PI;
    const int quarter = static_cast<int>(std::lround(angle / 90.0)) & 3;  // 0, 1 (90 cw), 2, 3
    result.rotation_degrees = quarter * 90;
    cv::Mat upright = std::move(grey);
    std::array<cv::Point2f, 4> qr_pts = q;
    const float W = static_cast<float>(upright.cols), H = static_cast<float>(upright.rows);
    if (quarter != 0) {
      const int code = quarter == 1   ? cv::ROTATE_90_COUNTERCLOCKWISE
                       : quarter == 2 ? cv::ROTATE_180
                                      : cv::ROTATE_90_CLOCKWISE;
      cv::Mat turned;
      cv::rotate(upright, turned, code);
      upright = std::move(turned);
      for (auto& p : qr_pts) {
        if (quarter == 1)
          p = {p.y, W - 1 - p.x};
        else if (quarter == 2)
          p = {W - 1 - p.x, H - 1 - p.y};
        else
          p = {H - 1 - p.y, p.x};
      }
    }
    // The page's working copies are released as soon as they are no longer needed (each is
    // 8.7 MB at 300 dpi): the kiosk recognises while it draws, prints and commits.
    cv::Mat flat = normalize_background(std::move(upright));

    // 2. First estimate from the QR code alone (similarity: scale, rotation, shift).
    std::vector<cv::Point2f> from, to;
    const auto& r = page_layout.qr;
    const std::array<cv::Point2f, 4> qr_mm = {
        cv::Point2f(float(r.x), float(r.y)), cv::Point2f(float(r.x + r.w), float(r.y)),
        cv::Point2f(float(r.x + r.w), float(r.y + r.h)), cv::Point2f(float(r.x), float(r.y + r.h))};
    for (int i = 0; i < 4; ++i) {
      from.push_back(qr_mm[static_cast<size_t>(i)] * static_cast<float>(kPxPerMm));
      to.push_back(qr_pts[static_cast<size_t>(i)]);
    }
    const cv::Point2f from3[3] = {from[0], from[1], from[3]}, to3[3] = {to[0], to[1], to[3]};
    cv::Mat coarse = cv::getAffineTransform(from3, to3);
    // 3. Refine with the four corner marks, searched around where the QR estimate puts them.
    std::vector<cv::Point2f> mark_layout, mark_image;
    if (!coarse.empty()) {
      const double scale =
          std::sqrt(std::abs(cv::determinant(coarse(cv::Rect(0, 0, 2, 2)))));  // image px per layout px
      for (const auto& mark : page_layout.corner_marks) {
        const cv::Point2f c = centre(mark);
        const cv::Point2f guess(
            static_cast<float>(coarse.at<double>(0, 0) * c.x + coarse.at<double>(0, 1) * c.y + coarse.at<double>(0, 2)),
            static_cast<float>(coarse.at<double>(1, 0) * c.x + coarse.at<double>(1, 1) * c.y +
                               coarse.at<double>(1, 2)));
        const double side = mark.w * kPxPerMm * scale;
        if (auto found = find_mark(flat, guess, side, side * 2.5 + 25.0 * kPxPerMm * scale)) {
          mark_layout.push_back(c);
          mark_image.push_back(*found);
        }
      }
    }
    cv::Mat to_image;  // layout px -> upright image px
    if (mark_layout.size() == 4) {
      to_image = cv::getPerspectiveTransform(mark_layout.data(), mark_image.data());
    } else if (mark_layout.size() == 3) {
      cv::Mat affine = cv::getAffineTransform(mark_layout.data(), mark_image.data());
      to_image = cv::Mat::eye(3, 3, CV_64F);
      affine.copyTo(to_image(cv::Rect(0, 0, 3, 2)));
    } else if (mark_layout.size() == 2) {
      // A skewed sheet can push a corner or two off the scanner's glass: the two marks left and
      // the QR code's four corners, fitted together, still pin the page down.
      std::vector<cv::Point2f> src = from, dst = to;
      src.insert(src.end(), mark_layout.begin(), mark_layout.end());
      dst.insert(dst.end(), mark_image.begin(), mark_image.end());
      to_image = least_squares_affine(src, dst);
    }
    if (to_image.empty()) {
      result.problem = "registration-failed";
      return result;
    }
    // 4. The rectified page, grey and ink, in layout pixels.
    const cv::Size canvas(static_cast<int>(print::kPageWidthMm * kPxPerMm),
                          static_cast<int>(print::kPageHeightMm * kPxPerMm));
    cv::Mat rectified, despeckled;
    cv::warpPerspective(flat, rectified, to_image, canvas, cv::INTER_LINEAR | cv::WARP_INVERSE_MAP, cv::BORDER_CONSTANT,
                        255);
    flat.release();
    {
      cv::Mat rect_ink;
      cv::threshold(rectified, rect_ink, 140, 255, cv::THRESH_BINARY_INV);
      despeckled = remove_specks(rect_ink, 6);  // pieces under 6 pixels are scanner dust
    }
    // The sheet the kiosk printed for this submission: its boxes are compared with the printed
    // values, not read. Only a code a key of ours vouches for, naming that very submission.
    const forms::Answers* printed_answers = nullptr;
    const cv::Mat* reference = nullptr;
    if (printed && result.key_problem.empty() && !result.qr->submission_id.empty() &&
        result.qr->submission_id == printed->submission_id) {
      if (const cv::Mat* rendered = printed_reference(*result.qr, *printed)) {
        reference = rendered;
        printed_answers = &printed->answers;
      }
    }
    read_fields(*layout, result.qr->page, rectified, despeckled, result, reference, printed_answers);
    return result;
  }

  // Mostly white everywhere: a sheet with no ink at all (checked on a small copy).
  static bool is_blank(const cv::Mat& grey) {
    if (grey.empty()) return true;
    cv::Mat small, dark;
    cv::resize(grey, small, cv::Size(std::max(1, grey.cols / 4), std::max(1, grey.rows / 4)), 0, 0, cv::INTER_AREA);
    cv::threshold(small, dark, 128, 255, cv::THRESH_BINARY_INV);
    return static_cast<double>(cv::countNonZero(dark)) / static_cast<double>(small.total()) < 0.0005;
  }

  // The printed page rendered again (kept for the pages of the last submission only: it holds
  // the person's values). Nothing when it cannot be rendered: the page is then read as usual.
  const cv::Mat* printed_reference(const print::QrPayload& qr, const PrintedSheet& printed) {
    const std::string key = qr.submission_id + "|" + qr.form_id + "|" + qr.lang + "|" + (qr.large_print ? "L" : "") +
                            "|" + std::to_string(qr.page);
    // A reprint after an answer was changed keeps its submission id: the values decide too.
    if (reference_submission != qr.submission_id || reference_answers.values != printed.answers.values) {
      for (auto& [k, m] : references) m.setTo(0);
      references.clear();
      reference_submission = qr.submission_id;
      reference_answers.wipe();
      reference_answers = printed.answers;
    }
    if (auto it = references.find(key); it != references.end()) return &it->second;
    const forms::Questionnaire* form = catalogue.find(qr.form_id);
    if (!form) return nullptr;
    print::LayoutContext context;
    context.translations = &translations;
    context.postal_address = options.postal_address;
    context.fonts = options.fonts;
    try {
      const auto layout = print::layout_form(*form, qr.lang, print::layout_options(qr), context, &printed.answers);
      return &references.emplace(key, render_printed_page(layout, qr.page, options.fonts, kPxPerMm)).first->second;
    } catch (const std::exception&) {
      return nullptr;
    }
  }
  std::string reference_submission;
  forms::Answers reference_answers;
  std::map<std::string, cv::Mat> references;

  std::string identify_by_title(const cv::Mat& grey) {
    // The title sits in the top part of the page; try the page as fed and upside down.
    std::string best_id;
    double best = 0.0;
    for (int turn = 0; turn < 2; ++turn) {
      cv::Mat page = grey;
      if (turn == 1) cv::rotate(grey, page, cv::ROTATE_180);
      const cv::Mat head = page(cv::Rect(0, 0, page.cols, std::max(1, page.rows / 5)));
      // A blank sheet or a photo of something else: no title to read, and Tesseract would
      // spend seconds on the noise.
      cv::Mat dark;
      cv::threshold(head, dark, 110, 255, cv::THRESH_BINARY_INV);
      const double ink = static_cast<double>(cv::countNonZero(dark)) / static_cast<double>(head.total());
      if (ink < 0.002 || ink > 0.25) continue;
      const std::string text = normalise_title(engine().read_block(head).text);
      for (const auto& form : catalogue.forms()) {
        for (const auto* title : {&form.title, &form.official_title})
          for (const auto& [lang, value] : title->all()) {
            const double s = title_score(text, normalise_title(value));
            if (s > best) {
              best = s;
              best_id = form.id;
            }
          }
      }
      if (best >= 0.8) break;
    }
    return best >= 0.7 ? best_id : std::string();
  }

  FieldResult make(const print::Field& f, const cv::Mat& grey, nlohmann::json value, double confidence,
                   const std::string& reason) {
    FieldResult r;
    r.link_id = f.link_id;
    r.page = f.page;
    r.value = std::move(value);
    r.confidence = confidence;
    r.status = reason.empty() ? FieldStatus::Accepted : FieldStatus::NeedsReview;
    r.reason = reason;
    const cv::Rect area = clip(union_px(f.boxes, 1.5), grey);
    if (area.area() > 0) r.crop = grey(area).clone();
    return r;
  }

  // The value the kiosk printed for `item`, as the readers report it: bool, answer code (an array
  // when several), ISO date, digits or text; null when it printed nothing there.
  static nlohmann::json printed_value(const forms::Item& item, const forms::Answers& answers) {
    const auto it = answers.values.find(item.link_id);
    if (it == answers.values.end() || it->second.empty()) return nullptr;
    auto one = [](const forms::AnswerValue& v) -> nlohmann::json {
      switch (v.kind) {
        case forms::AnswerValue::Kind::Boolean:
          return v.boolean;
        case forms::AnswerValue::Kind::Integer:
          return std::to_string(v.integer);
        default:
          return v.text;
      }
    };
    if (item.type == forms::ItemType::Choice && item.repeats) {
      nlohmann::json all = nlohmann::json::array();
      for (const auto& v : it->second) all.push_back(one(v));
      return all;
    }
    return one(it->second.front());
  }

  // A box of a pre-filled sheet: unchanged -> the printed value, accepted; changed by hand -> what
  // the reader makes of it, always for a person to confirm. `read` reads the field the usual way.
  template <typename Read>
  FieldResult verify_or_read(const print::Field& f, const std::vector<print::RectMm>& boxes, const forms::Item& item,
                             const cv::Mat& grey, const cv::Mat& ink, const cv::Mat& reference,
                             const forms::Answers& printed, Read read) {
    const auto check = compare_printed(grey, ink, reference, boxes, kPxPerMm);
    if (check.unchanged) {
      auto r = make(f, grey, printed_value(item, printed), 1.0, "");
      r.printed = true;
      return r;
    }
    // A value struck through: nothing to read, the person says what should stand there. (Ticks
    // scribbled over are read as ticks are: the tick reader tells a scribble from a tick.)
    if (check.crossed_out && f.kind != print::FieldKind::Tick) return make(f, grey, nullptr, 0.0, "crossed-out");
    FieldResult r = read();
    r.status = FieldStatus::NeedsReview;
    // What the reader made of it is only a proposal: the person changed this by hand.
    r.reason = "changed-by-hand";
    r.confidence = std::min(r.confidence, 0.5);
    return r;
  }

  void read_fields(const print::FormLayout& layout, int page, const cv::Mat& grey, const cv::Mat& ink, PageResult& out,
                   const cv::Mat* reference = nullptr, const forms::Answers* printed = nullptr) {
    const forms::Questionnaire* form = catalogue.find(layout.form_id);
    // Tick boxes are read per item (all of its options together).
    std::map<std::string, std::vector<const print::Field*>> ticks;
    std::vector<std::string> tick_order;
    for (const auto& f : layout.fields) {
      if (f.page != page) continue;
      const forms::Item* item = form ? form->find_item(f.link_id) : nullptr;
      // The signature block (no form item) is always the person's own writing.
      const bool verify = reference && printed && item;
      auto verified = [&](auto read) {
        return verify ? verify_or_read(f, f.boxes, *item, grey, ink, *reference, *printed, read) : read();
      };
      switch (f.kind) {
        case print::FieldKind::Tick:
          if (!ticks.count(f.link_id)) tick_order.push_back(f.link_id);
          ticks[f.link_id].push_back(&f);
          break;
        case print::FieldKind::Digits:
          out.fields.push_back(verified([&] { return read_digits(f, item, grey, ink); }));
          break;
        case print::FieldKind::Letters:
          out.fields.push_back(verified([&] { return read_letters(f, grey, ink); }));
          break;
        case print::FieldKind::Text:
          out.fields.push_back(verified([&] { return read_text(f, grey, ink); }));
          break;
        case print::FieldKind::Signature:
          out.fields.push_back(read_signature(f, grey, ink));
          break;
      }
    }
    for (const auto& link_id : tick_order) {
      const auto& boxes = ticks[link_id];
      const forms::Item* item = form ? form->find_item(link_id) : nullptr;
      auto read = [&] { return read_ticks(link_id, boxes, item, grey, ink); };
      if (reference && printed && item) {
        // All of the item's boxes together: a tick moved to another box is a change.
        print::Field all;
        all.link_id = link_id;
        all.kind = print::FieldKind::Tick;
        all.page = boxes.front()->page;
        std::vector<print::RectMm> rects;
        for (const auto* b : boxes) rects.insert(rects.end(), b->boxes.begin(), b->boxes.end());
        all.boxes = rects;
        out.fields.push_back(verify_or_read(all, rects, *item, grey, ink, *reference, *printed, read));
      } else {
        out.fields.push_back(read());
      }
    }
  }

  FieldResult read_ticks(const std::string& link_id, const std::vector<const print::Field*>& boxes,
                         const forms::Item* item, const cv::Mat& grey, const cv::Mat& ink) {
    print::Field all;
    all.link_id = link_id;
    all.kind = print::FieldKind::Tick;
    all.page = boxes.front()->page;
    std::vector<std::string> ticked;
    bool unclear = false;
    double confidence = 1.0;
    for (const auto* f : boxes) {
      for (const auto& b : f->boxes) all.boxes.push_back(b);
      for (const auto& b : f->boxes) {
        const TickState t = measure_tick(ink, b);
        confidence = std::min(confidence, tick_confidence(t));
        if (t.kind == TickState::Unclear) unclear = true;
        if (t.kind == TickState::Ticked) ticked.push_back(f->option);
      }
    }
    const bool is_boolean = item && item->type == forms::ItemType::Boolean;
    const bool repeats = item && item->repeats;
    auto as_value = [&](const std::string& option) -> nlohmann::json {
      if (is_boolean) return option == "true";
      return option;
    };
    if (unclear) return make(all, grey, nullptr, confidence, "unclear-tick");
    if (ticked.empty()) return make(all, grey, nullptr, confidence, "");
    if (ticked.size() > 1 && (!repeats || is_boolean)) return make(all, grey, nullptr, confidence, "several-ticked");
    if (ticked.size() == 1) return make(all, grey, as_value(ticked.front()), confidence, "");
    nlohmann::json values = nlohmann::json::array();
    for (const auto& t : ticked) values.push_back(as_value(t));
    return make(all, grey, values, confidence, "");
  }

  FieldResult read_digits(const print::Field& f, const forms::Item* item, const cv::Mat& grey, const cv::Mat& ink) {
    std::vector<DigitImage> images;
    std::vector<int> filled;  // box index of each image
    for (size_t i = 0; i < f.boxes.size(); ++i) {
      const cv::Rect r = clip(to_px(f.boxes[i], 0.06), ink);
      if (r.area() <= 0) continue;
      if (auto d = normalize_digit(ink(r))) {
        images.push_back(*d);
        filled.push_back(static_cast<int>(i));
      }
    }
    if (images.empty()) return make(f, grey, nullptr, 1.0, "");
    const auto guesses = digits.classify(images);
    std::string text(f.boxes.size(), ' ');
    double confidence = 1.0;
    bool unsure = false;
    for (size_t k = 0; k < guesses.size(); ++k) {
      text[static_cast<size_t>(filled[k])] = static_cast<char>('0' + guesses[k].digit);
      confidence = std::min(confidence, static_cast<double>(guesses[k].confidence));
      if (!options.digit_acceptance.accepts(guesses[k])) unsure = true;
    }
    // Digits are written from the left; a gap inside the number is not a number.
    const auto last = text.find_last_not_of(' ');
    const std::string used = text.substr(0, last + 1);
    const bool gap = used.find(' ') != std::string::npos;
    std::string digits_only;
    for (char c : used)
      if (c != ' ') digits_only.push_back(c);
    // The signature block's date is not a form item, but is a date all the same.
    const bool is_date = (item && item->type == forms::ItemType::Date) || f.link_id == "signature.date";
    if (gap) return make(f, grey, digits_only, confidence, "gap-in-digits");
    if (unsure) return make(f, grey, digits_only, confidence, "low-confidence");
    if (is_date) {
      if (digits_only.size() != 8) return make(f, grey, digits_only, confidence, "impossible-date");
      const int day = std::stoi(digits_only.substr(0, 2)), month = std::stoi(digits_only.substr(2, 2)),
                year = std::stoi(digits_only.substr(4, 4));
      if (!forms::is_valid_date(year, month, day)) return make(f, grey, digits_only, confidence, "impossible-date");
      return make(f, grey, digits_only.substr(4, 4) + "-" + digits_only.substr(2, 2) + "-" + digits_only.substr(0, 2),
                  confidence, "");
    }
    if (item && item->input_kind == forms::InputKind::IdentityNumber) {
      const auto check = forms::validate_identity_number(digits_only);
      if (!check.valid) return make(f, grey, digits_only, confidence, "invalid-identity-number");
    }
    return make(f, grey, digits_only, confidence, "");
  }

  // Letter boxes: each box's four printed lines are found in the scan (like tick boxes) and
  // only what lies inside them is kept; a box with no ink inside is blank. Each filled box is read
  // by the letter classifier (LetterClassifier: its own network, trained on fonts, never on the
  // test corpus's letters) and the kept insides, side by side on white, by Tesseract as one line.
  // A letter is accepted when the classifier is very sure of it, or sure and Tesseract reads the
  // same (LetterAcceptance); every letter of the field must be, otherwise a person looks.
  // Tesseract alone is not enough: it read an M as V at 0.987 (BENCHMARKS.md).
  FieldResult read_letters(const print::Field& f, const cv::Mat& grey, const cv::Mat& ink) {
    std::vector<cv::Rect> insides;  // of the filled boxes, in rectified page pixels
    for (const auto& b : f.boxes) {
      const auto inside = box_inside(ink, b);
      if (!inside) return make(f, grey, nullptr, 0.3, "low-confidence");
      // Blank or not is judged a little further in: a sliver of the line's blur along an edge is not a letter.
      const cv::Rect core(inside->x + 2, inside->y + 2, inside->width - 4, inside->height - 4);
      if (ink_share(ink, core) > kLetterInkAbove) insides.push_back(*inside);
    }
    if (insides.empty()) return make(f, grey, nullptr, 1.0, "");
    std::vector<DigitImage> images;
    std::vector<size_t> normalised;  // index into insides of each image
    for (size_t k = 0; k < insides.size(); ++k)
      if (const auto image = normalize_letter(ink(insides[k]))) {
        images.push_back(*image);
        normalised.push_back(k);
      }
    std::vector<LetterGuess> guesses(insides.size());
    const auto classified = letters.classify(images);
    for (size_t i = 0; i < classified.size(); ++i) guesses[normalised[i]] = classified[i];
    // A single straight upright stroke is an I; as sure as the network's agreed bar, so Tesseract
    // must read the same.
    for (size_t k = 0; k < insides.size(); ++k)
      if (is_single_bar(ink(insides[k]))) {
        auto& g = guesses[k];
        g.index = letter_class("I");
        g.letter = "I";
        g.confidence = g.lowest = options.letter_acceptance.agreed_min_confidence;
        g.agreement = 1.0f;
      }
    const auto text = engine().read(letters_line(grey, insides), 7, kLetterWhitelist);
    second_reading.reset();
    // Tesseract's letter for each box, when its line reading gives one letter per box.
    const bool one_per_box = text.characters.size() == insides.size();
    std::string value, proposed;
    double confidence = 1.0;
    bool unsure = false, marked = false;
    for (size_t k = 0; k < insides.size(); ++k) {
      const std::string tesseract_letter = one_per_box ? text.characters[k].first : std::string();
      const auto& guess = guesses[k];
      confidence = std::min<double>(confidence, guess.confidence);
      // A Sámi or accented letter: read as "?" by the classifier, or as a letter without a class
      // of its own by Tesseract, or a letter whose ink shows a mark the letter read lacks (an
      // accent above an A, a bar through a D): both readers may still name the base letter.
      const bool other_letter = static_cast<size_t>(guess.index) == kOtherLetterClass ||
                                (!tesseract_letter.empty() && letter_class(tesseract_letter) < 0);
      const LetterMarks marks = find_letter_marks(ink(insides[k]));
      const auto fits = [&](const std::string& letter) {
        return !options.check_letter_marks || marks_fit(letter, marks);
      };
      if (!other_letter && guess.index >= 0 && fits(guess.letter)) {
        if (options.letter_acceptance.accepts(guess, tesseract_letter)) {
          value += guess.letter;
          proposed += guess.letter;
          continue;
        }
        // Tesseract alone, under the strict rule that gave no wrong letter on the bench corpus before
        // the classifier: the line reads the same drawn larger with wider gaps, and a letter below
        // near-certainty reads the same alone in its box; and the classifier's best guess is that letter
        // too (without it, "STORGATA" passed as "STORGATN" on the restyled corpus).
        if (one_per_box && guess.letter == tesseract_letter && tesseract_sure(grey, insides, text, k)) {
          value += tesseract_letter;
          proposed += tesseract_letter;
          continue;
        }
      }
      unsure = true;
      // The value proposed to the person: Tesseract's letter where it has one, else the
      // classifier's; "?" where the letter proposed would not have the marks on the ink.
      const std::string candidate = !tesseract_letter.empty()           ? tesseract_letter
                                    : guess.index >= 0 && !other_letter ? guess.letter
                                                                        : std::string();
      if (other_letter) {
        marked = true;
        proposed += letter_class(tesseract_letter) < 0 && !tesseract_letter.empty() ? tesseract_letter : "?";
      } else if (candidate.empty()) {
        proposed += "?";
      } else if (!fits(candidate)) {
        marked = true;
        proposed += "?";
      } else {
        proposed += candidate;
      }
    }
    if (unsure) return make(f, grey, proposed, std::min(confidence, 0.5), marked ? "marked-letter" : "low-confidence");
    return make(f, grey, value, confidence, "");
  }

  // Whether Tesseract's letter `k` of the line reading `text` passes the strict Tesseract-only
  // rule (a letter it has no class for, e.g. Sámi, never does: a person reads those).
  bool tesseract_sure(const cv::Mat& grey, const std::vector<cv::Rect>& insides, const OcrText& text, size_t k) {
    constexpr double kLetterSureAbove = 0.995, kLetterMinConfidence = 0.75;
    const auto& [ch, conf] = text.characters[k];
    if (letter_class(ch) < 0 || conf < kLetterMinConfidence) return false;
    if (!second_reading || second_reading->first != &text) {
      second_reading = std::make_pair(&text, engine().read(letters_line(grey, insides, 1.5), 7, kLetterWhitelist));
    }
    const OcrText& second = second_reading->second;
    if (second.characters.size() != text.characters.size()) return false;
    for (size_t i = 0; i < text.characters.size(); ++i)
      if (second.characters[i].first != text.characters[i].first) return false;
    if (second.characters[k].second < kLetterMinConfidence) return false;
    if (std::min<double>(conf, second.characters[k].second) >= kLetterSureAbove) return true;
    return engine().read(letters_line(grey, {insides[k]}), 10, kLetterWhitelist).text == ch;
  }
  // The larger second reading of the line being judged (read once per field).
  std::optional<std::pair<const OcrText*, OcrText>> second_reading;

  // The inside of a printed box (its four lines found in the scan near where the layout puts
  // them), clear of the lines and their blur. Nothing when the lines are not where they should be.
  static std::optional<cv::Rect> box_inside(const cv::Mat& ink, const print::RectMm& box) {
    const int margin = static_cast<int>(kPxPerMm * 1.0);
    const cv::Rect expected = to_px(box);
    const cv::Rect area = clip(
        cv::Rect(expected.x - margin, expected.y - margin, expected.width + 2 * margin, expected.height + 2 * margin),
        ink);
    if (area.width < expected.width || area.height < expected.height) return std::nullopt;
    const cv::Mat crop = ink(area);
    const int x0 = expected.x - area.x, y0 = expected.y - area.y;
    const int x1 = x0 + expected.width, y1 = y0 + expected.height;
    // Lines are searched over the middle of the box's sides only. The neighbouring letter box's
    // border is a fraction of a millimetre away: of the lines found, take the innermost.
    const int search = margin - 1;
    const int inset_x = expected.width / 5, inset_y = expected.height / 5;
    const int top = strongest_line(crop, true, y0, search, x0 + inset_x, x1 - inset_x);
    const int bottom = strongest_line(crop, true, y1, search, x0 + inset_x, x1 - inset_x);
    const int left = innermost_line(crop, false, x0, search, +1, y0 + inset_y, y1 - inset_y);
    const int right = innermost_line(crop, false, x1, search, -1, y0 + inset_y, y1 - inset_y);
    const int clearance = static_cast<int>(std::lround(kTickBorderMm * kPxPerMm / 2.0)) + 3;
    const cv::Rect inside(area.x + left + clearance, area.y + top + clearance, right - left - 2 * clearance,
                          bottom - top - 2 * clearance);
    if (inside.width < expected.width / 2 || inside.height < expected.height / 2 ||
        (inside & cv::Rect(0, 0, ink.cols, ink.rows)) != inside)
      return std::nullopt;
    return inside;
  }

  // The insides of the filled boxes side by side on white, a letter's width apart, with a white
  // margin all round: a clean line of block letters.
  static cv::Mat letters_line(const cv::Mat& grey, const std::vector<cv::Rect>& insides, double scale = 1.0) {
    int height = 0, width = 0;
    for (const auto& r : insides) {
      height = std::max(height, r.height);
      width += r.width;
    }
    const int gap = std::max(4, scale == 1.0 ? height / 5 : height / 2), pad = height / 2;
    cv::Mat line(height + 2 * pad, width + gap * static_cast<int>(insides.size() - 1) + 2 * pad, CV_8UC1,
                 cv::Scalar(255));
    int x = pad;
    for (const auto& r : insides) {
      grey(r).copyTo(line(cv::Rect(x, pad + (height - r.height) / 2, r.width, r.height)));
      x += r.width + gap;
    }
    if (scale == 1.0) return line;
    cv::Mat larger;
    cv::resize(line, larger, cv::Size(), scale, scale, cv::INTER_CUBIC);
    return larger;
  }

  FieldResult read_text(const print::Field& f, const cv::Mat& grey, const cv::Mat& ink) {
    std::string value;
    double confidence = 1.0;
    for (const auto& b : f.boxes) {
      if (ink_share(ink, to_px(b, 0.05)) < 0.004) continue;
      if (!options.ocr_free_text) return make(f, grey, nullptr, 0.0, "handwriting");
      const cv::Rect r = clip(to_px(b), grey);
      const auto line = engine().read_line(grey(r));
      // Ink on the line that Tesseract reads as nothing is writing it cannot read, not a blank
      // answer (a short word in a thin script was once accepted as blank).
      if (line.text.find_first_not_of(" \t\r\n") == std::string::npos)
        return make(f, grey, nullptr, 0.0, "handwriting");
      if (!value.empty()) value += "\n";
      value += line.text;
      confidence = std::min(confidence, static_cast<double>(line.confidence));
    }
    if (value.empty()) return make(f, grey, nullptr, 1.0, "");
    return make(f, grey, value, confidence, confidence < options.text_min_confidence ? "low-confidence" : "");
  }

  FieldResult read_signature(const print::Field& f, const cv::Mat& grey, const cv::Mat& ink) {
    double share = 0.0;
    for (const auto& b : f.boxes) share = std::max(share, ink_share(ink, to_px(b, 0.04)));
    if (share > 0.01) return make(f, grey, true, std::min(1.0, 0.6 + share * 10), "");
    if (share < 0.002) return make(f, grey, false, 0.9, "");
    return make(f, grey, nullptr, 0.4, "unclear-signature");
  }
};

Recognizer::Recognizer(const forms::Catalogue& catalogue, const forms::Translations& translations, print::QrKeyRing key,
                       RecognizerOptions options)
    : impl_(std::make_unique<Impl>(catalogue, translations, std::move(key), std::move(options))) {}

Recognizer::~Recognizer() = default;

PageResult Recognizer::recognize_page(const PageImage& page, const PrintedSheet* printed) {
  return impl_->recognize(page.grey, page.source, printed);
}

PageResult Recognizer::recognize_page(PageImage&& page, const PrintedSheet* printed) {
  PageImage taken = std::move(page);
  return impl_->recognize(std::move(taken.grey), taken.source, printed);
}

}  // namespace scanners
