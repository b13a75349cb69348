#include "scanners/letters.hpp"

#include <algorithm>
#include <cmath>
#include <string_view>

#include <opencv2/imgproc.hpp>

#include "forms/assets.hpp"
#include "letter_net.hpp"
#include "scanners/error.hpp"

namespace scanners {

int letter_class(const std::string& letter) {
  for (size_t i = 0; i < kLetterClassCount; ++i)
    if (letter == kLetterClasses[i]) return static_cast<int>(i);
  return -1;
}

bool LetterAcceptance::accepts(const LetterGuess& guess, const std::string& tesseract_letter) const {
  if (guess.index < 0 || static_cast<size_t>(guess.index) == kOtherLetterClass) return false;
  if (guess.agreement < 1.0f || guess.lowest < min_lowest) return false;
  // Tesseract saw a letter the classifier has no class for (a Sámi letter, say): a person reads it.
  if (!tesseract_letter.empty() && letter_class(tesseract_letter) < 0) return false;
  if (guess.confidence >= alone_min_confidence) return true;
  return guess.confidence >= agreed_min_confidence && tesseract_letter == guess.letter;
}

cv::Mat fit_glyph(const cv::Mat& ink) {
  cv::Mat mask;
  cv::threshold(ink, mask, 40, 255, cv::THRESH_BINARY);
  cv::Mat out = cv::Mat::zeros(28, 28, CV_8UC1);
  if (cv::countNonZero(mask) == 0) return out;
  const cv::Rect bbox = cv::boundingRect(mask);
  cv::Mat glyph;
  ink(bbox).convertTo(glyph, CV_32F, 1.0 / 255.0);
  fit_into_mnist_frame(glyph).convertTo(out, CV_8U, 255.0);
  return out;
}

namespace {

// The ink without remnants of a printed line hugging an edge (the letter's own bars lie further
// in: a letter box's inside is already cleared of its lines, so only a thin band is looked at).
cv::Mat without_edge_lines(const cv::Mat& ink_in) {
  cv::Mat ink = ink_in.clone();
  const int band_y = std::max(2, ink.rows / 10), band_x = std::max(2, ink.cols / 10);
  for (int y = 0; y < ink.rows; ++y)
    if ((y < band_y || y >= ink.rows - band_y) && cv::countNonZero(ink.row(y)) > ink.cols * 0.6) ink.row(y).setTo(0);
  for (int x = 0; x < ink.cols; ++x)
    if ((x < band_x || x >= ink.cols - band_x) && cv::countNonZero(ink.col(x)) > ink.rows * 0.6) ink.col(x).setTo(0);
  return ink;
}

// The stroke width of the ink in `mask`: across a stroke of w pixels the distances run 1, 2, ..
// w/2 .. 2, 1, so their mean is about w/4 + 1/2.
double stroke_width(const cv::Mat& mask) {
  cv::Mat distance;
  cv::distanceTransform(mask, distance, cv::DIST_L2, 3);
  return 4.0 * cv::mean(distance, mask)[0] - 2.0;
}

}  // namespace

std::optional<DigitImage> normalize_letter(const cv::Mat& ink_in) {
  if (ink_in.empty() || ink_in.rows < 8 || ink_in.cols < 8) return std::nullopt;
  const cv::Mat ink = without_edge_lines(ink_in);
  // Keep the letter's strokes (Å's ring too), drop specks.
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
  int largest = 0;
  for (int i = 1; i < n; ++i) largest = std::max(largest, stats.at<int>(i, cv::CC_STAT_AREA));
  const int min_area = std::max(6, largest / 15);
  cv::Mat kept = cv::Mat::zeros(ink.size(), CV_8UC1);
  for (int i = 1; i < n; ++i)
    if (stats.at<int>(i, cv::CC_STAT_AREA) >= min_area) kept.setTo(255, labels == i);
  if (cv::countNonZero(kept) < std::max(12, largest / 2) || largest < 12) return std::nullopt;
  // Pens differ far more than letters do: a thin pen's strokes are thickened to a common share of
  // the letter's size, so the network sees one stroke width (trained the same way).
  const cv::Rect bbox = cv::boundingRect(kept);
  const double stroke = stroke_width(kept);
  const double wanted = 0.2 * std::max(bbox.width, bbox.height);
  if (stroke < wanted) {
    const int k = 2 * static_cast<int>(std::lround((wanted - stroke) / 2.0)) + 1;
    if (k > 1) {
      cv::Mat padded;
      cv::copyMakeBorder(kept, padded, k, k, k, k, cv::BORDER_CONSTANT, 0);
      cv::dilate(padded, kept, cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k)));
    }
  }
  const cv::Mat fitted = fit_glyph(kept);
  DigitImage out{};
  std::copy(fitted.ptr<std::uint8_t>(0), fitted.ptr<std::uint8_t>(0) + out.size(), out.begin());
  return out;
}

bool is_single_bar(const cv::Mat& ink) {
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
  int largest = 0, total = 0, best = 0;
  for (int i = 1; i < n; ++i) {
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    total += area;
    if (area > largest) {
      largest = area;
      best = i;
    }
  }
  // One stroke carries (almost) all the ink, and it fills a long, thin rectangle standing upright.
  if (best == 0 || largest < 0.95 * total) return false;
  std::vector<cv::Point> points;
  cv::findNonZero(labels == best, points);
  const cv::RotatedRect r = cv::minAreaRect(points);
  const double length = std::max(r.size.width, r.size.height), width = std::min(r.size.width, r.size.height);
  if (width < 1.0 || length < 5.0 * width || largest < 0.75 * length * width) return false;
  // The long side's angle from the vertical.
  const double angle = r.size.width < r.size.height ? r.angle : r.angle + 90.0;
  const double from_vertical = std::abs(std::remainder(angle, 180.0));
  return from_vertical < 25.0;
}

cv::Mat hershey_glyph(char letter, int font, int thickness, double slant) {
  const std::string text(1, letter);
  int baseline = 0;
  const cv::Size unit = cv::getTextSize(text, font, 1.0, 1, &baseline);
  const double scale = 80.0 / std::max(1, unit.height);
  const int pad = 40 + thickness * 2;
  const cv::Size size = cv::getTextSize(text, font, scale, thickness, &baseline);
  cv::Mat canvas = cv::Mat::zeros(size.height + 2 * pad, size.width + 2 * pad, CV_8UC1);
  cv::putText(canvas, text, cv::Point(pad, pad + size.height), font, scale, 255, thickness, cv::LINE_AA);
  if (slant != 0.0) {
    // Shear around the middle row so the letter stays on the canvas.
    const double mid = canvas.rows / 2.0;
    const cv::Mat shear = (cv::Mat_<double>(2, 3) << 1, -slant, slant * mid, 0, 1, 0);
    cv::Mat leaned;
    cv::warpAffine(canvas, leaned, shear, canvas.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    canvas = leaned;
  }
  return fit_glyph(canvas);
}

namespace {

enum class Mark { None, Acute, Grave, Caron, Dots, Ring, Tilde, Cedilla, StemBar, CrossBar, Hook, Slash };
struct MarkedLetter {
  const char* letter;
  char base;
  Mark mark;
};
constexpr std::array<MarkedLetter, 16> kMarkedShapes{{{"Ø", 'O', Mark::Slash},
                                                      {"Å", 'A', Mark::Ring},
                                                      {"Á", 'A', Mark::Acute},
                                                      {"Č", 'C', Mark::Caron},
                                                      {"Đ", 'D', Mark::StemBar},
                                                      {"Ŋ", 'N', Mark::Hook},
                                                      {"Š", 'S', Mark::Caron},
                                                      {"Ŧ", 'T', Mark::CrossBar},
                                                      {"Ž", 'Z', Mark::Caron},
                                                      {"Ä", 'A', Mark::Dots},
                                                      {"Ö", 'O', Mark::Dots},
                                                      {"Ü", 'U', Mark::Dots},
                                                      {"É", 'E', Mark::Acute},
                                                      {"È", 'E', Mark::Grave},
                                                      {"Ñ", 'N', Mark::Tilde},
                                                      {"Ç", 'C', Mark::Cedilla}}};

}  // namespace

cv::Mat hershey_letter(const std::string& letter, int font, double scale, int thickness) {
  char base = 0;
  Mark mark = Mark::None;
  const bool ae = letter == "Æ";
  if (letter.size() == 1 && ((letter[0] >= 'A' && letter[0] <= 'Z') || letter[0] == '-')) base = letter[0];
  for (const auto& m : kMarkedShapes)
    if (letter == m.letter) {
      base = m.base;
      mark = m.mark;
    }
  if (base == 0 && !ae) return {};
  int baseline = 0;
  const cv::Size em = cv::getTextSize("W", font, scale, thickness, &baseline);
  const int pad = em.height + 2 * thickness + 4;
  cv::Mat canvas = cv::Mat::zeros(em.height + 2 * pad, 2 * em.width + 2 * pad, CV_8UC1);
  const cv::Point origin(pad, pad + em.height);
  if (ae) {
    // A and E sharing a stroke: the E's stem written over the A's right leg.
    const int a_width = cv::getTextSize("A", font, scale, thickness, &baseline).width;
    cv::putText(canvas, "A", origin, font, scale, 255, thickness, cv::LINE_AA);
    cv::putText(canvas, "E", origin + cv::Point(static_cast<int>(a_width * 0.45), 0), font, scale, 255, thickness,
                cv::LINE_AA);
  } else {
    cv::putText(canvas, std::string(1, base), origin, font, scale, 255, thickness, cv::LINE_AA);
  }
  cv::Mat mask;
  cv::threshold(canvas, mask, 40, 255, cv::THRESH_BINARY);
  const cv::Rect body = cv::boundingRect(mask);
  const double w = body.width, h = body.height, x0 = body.x, y0 = body.y, cx = x0 + w / 2.0;
  // Marks sit clear of the letter (a pen is lifted for them), about a fifth of its height tall.
  const double gap = std::max(1.5 * thickness, 0.15 * h), mh = 0.22 * h;
  const auto at = [](double x, double y) {
    return cv::Point(static_cast<int>(std::lround(x)), static_cast<int>(std::lround(y)));
  };
  const auto stroke = [&](cv::Point a, cv::Point b) { cv::line(canvas, a, b, 255, thickness, cv::LINE_AA); };
  switch (mark) {
    case Mark::None:
      break;
    case Mark::Acute:
      stroke(at(cx - 0.1 * w, y0 - gap), at(cx + 0.15 * w, y0 - gap - mh));
      break;
    case Mark::Grave:
      stroke(at(cx + 0.1 * w, y0 - gap), at(cx - 0.15 * w, y0 - gap - mh));
      break;
    case Mark::Caron:
      stroke(at(cx - 0.2 * w, y0 - gap - mh), at(cx, y0 - gap));
      stroke(at(cx, y0 - gap), at(cx + 0.2 * w, y0 - gap - mh));
      break;
    case Mark::Tilde:
      stroke(at(cx - 0.25 * w, y0 - gap), at(cx - 0.08 * w, y0 - gap - 0.7 * mh));
      stroke(at(cx - 0.08 * w, y0 - gap - 0.7 * mh), at(cx + 0.08 * w, y0 - gap));
      stroke(at(cx + 0.08 * w, y0 - gap), at(cx + 0.25 * w, y0 - gap - 0.7 * mh));
      break;
    case Mark::Dots: {
      const double r = std::max(0.7 * thickness, 0.05 * h);
      for (double side : {-1.0, 1.0})
        cv::circle(canvas, at(cx + side * 0.2 * w, y0 - gap - r), static_cast<int>(std::lround(r)), 255, cv::FILLED,
                   cv::LINE_AA);
      break;
    }
    case Mark::Ring: {
      const double r = std::max(0.13 * h, 1.2 * thickness);
      cv::circle(canvas, at(cx, y0 - gap - r), static_cast<int>(std::lround(r)), 255, thickness, cv::LINE_AA);
      break;
    }
    case Mark::Cedilla:
      stroke(at(cx, y0 + h + thickness + 2), at(cx + 0.12 * w, y0 + h + thickness + 2 + 0.1 * h));
      stroke(at(cx + 0.12 * w, y0 + h + thickness + 2 + 0.1 * h), at(cx - 0.1 * w, y0 + h + thickness + 2 + 0.2 * h));
      break;
    case Mark::StemBar:  // through the D's stem, sticking out to the left
      stroke(at(x0 - 0.2 * w, y0 + 0.5 * h), at(x0 + 0.35 * w, y0 + 0.5 * h));
      break;
    case Mark::CrossBar:  // across the T's stem, halfway down
      stroke(at(cx - 0.3 * w, y0 + 0.52 * h), at(cx + 0.3 * w, y0 + 0.52 * h));
      break;
    case Mark::Hook: {  // the N's right leg goes on below the line and hooks to the left
      const double xr = x0 + w - thickness / 2.0, down = 0.1 * h;
      stroke(at(xr, y0 + h - thickness), at(xr, y0 + h + down));
      cv::ellipse(canvas, at(xr - 0.15 * w, y0 + h + down), at(0.15 * w, 0.15 * h), 0.0, 0.0, 160.0, 255, thickness,
                  cv::LINE_AA);
      break;
    }
    case Mark::Slash:
      stroke(at(x0 - 0.08 * w, y0 + 1.08 * h), at(x0 + 1.08 * w, y0 - 0.08 * h));
      break;
  }
  cv::threshold(canvas, mask, 40, 255, cv::THRESH_BINARY);
  const cv::Rect ink = cv::boundingRect(mask);
  const cv::Rect crop =
      cv::Rect(ink.x - thickness, ink.y - thickness, ink.width + 2 * thickness, ink.height + 2 * thickness) &
      cv::Rect(0, 0, canvas.cols, canvas.rows);
  return canvas(crop).clone();
}

LetterMarks find_letter_marks(const cv::Mat& ink_in) {
  LetterMarks marks;
  if (ink_in.empty() || ink_in.rows < 8 || ink_in.cols < 8) return marks;
  // The ink as it is: a letter written up to the box's edge keeps its top bar (clearing edge
  // rows would cut the bar off the letter and leave a sliver that looks like a mark above).
  const cv::Mat& ink = ink_in;
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
  int largest = 0, best = 0;
  for (int i = 1; i < n; ++i)
    if (stats.at<int>(i, cv::CC_STAT_AREA) > largest) {
      largest = stats.at<int>(i, cv::CC_STAT_AREA);
      best = i;
    }
  if (best == 0) return marks;
  const auto box_of = [&](int i) {
    return cv::Rect(stats.at<int>(i, cv::CC_STAT_LEFT), stats.at<int>(i, cv::CC_STAT_TOP),
                    stats.at<int>(i, cv::CC_STAT_WIDTH), stats.at<int>(i, cv::CC_STAT_HEIGHT));
  };
  // A mark is far bigger than a speck of noise: a dot is about a pen's width across. A remnant
  // of the box's printed line lies along an edge, long and thin: neither mark nor letter.
  const int min_area = std::max(5, largest / 80);
  const auto line_remnant = [&](int i) {
    const cv::Rect r = box_of(i);
    const bool along_top_or_bottom = (r.y == 0 || r.y + r.height == ink.rows) && r.width >= 4 * r.height;
    const bool along_side = (r.x == 0 || r.x + r.width == ink.cols) && r.height >= 4 * r.width;
    return along_top_or_bottom || along_side;
  };
  // The body: the largest stroke and every piece beside it (a stroke broken by a faint pen);
  // pieces mostly above or below it are marks.
  std::vector<bool> in_body(static_cast<size_t>(n), false);
  in_body[static_cast<size_t>(best)] = true;
  cv::Rect body = box_of(best);
  for (bool grown = true; grown;) {
    grown = false;
    for (int i = 1; i < n; ++i) {
      if (in_body[static_cast<size_t>(i)] || stats.at<int>(i, cv::CC_STAT_AREA) < min_area || line_remnant(i)) continue;
      const cv::Rect r = box_of(i);
      const int overlap = std::min(r.y + r.height, body.y + body.height) - std::max(r.y, body.y);
      if (overlap * 2 >= r.height) {
        in_body[static_cast<size_t>(i)] = true;
        body |= r;
        grown = true;
      }
    }
  }
  cv::Mat body_mask = cv::Mat::zeros(ink.size(), CV_8UC1);
  for (int i = 1; i < n; ++i)
    if (in_body[static_cast<size_t>(i)]) body_mask.setTo(255, labels == i);
  int ring_candidate = 0;
  for (int i = 1; i < n; ++i) {
    if (in_body[static_cast<size_t>(i)] || stats.at<int>(i, cv::CC_STAT_AREA) < min_area || line_remnant(i)) continue;
    const cv::Rect r = box_of(i);
    if (r.y + r.height / 2.0 < body.y + body.height / 2.0) {
      ++marks.above;
      ring_candidate = i;
    } else {
      marks.below = true;
    }
  }
  if (marks.above == 1) {
    // A ring encloses background that cannot be reached from outside the mark.
    const cv::Rect r = box_of(ring_candidate);
    cv::Mat mark = cv::Mat::zeros(r.height + 2, r.width + 2, CV_8UC1);
    cv::Mat inner = mark(cv::Rect(1, 1, r.width, r.height));
    inner.setTo(255, labels(r) == ring_candidate);
    cv::floodFill(mark, cv::Point(0, 0), 255);
    marks.ring_above = cv::countNonZero(mark == 0) >= 2;
  }
  const double stroke = std::max(1.0, stroke_width(body_mask));
  const int top = body.y, height = body.height;
  if (height < 6) return marks;
  std::vector<int> left(static_cast<size_t>(height), -1), right(static_cast<size_t>(height), -1);
  for (int y = 0; y < height; ++y) {
    const std::uint8_t* row = body_mask.ptr<std::uint8_t>(top + y);
    for (int x = body.x; x < body.x + body.width; ++x)
      if (row[x]) {
        if (left[static_cast<size_t>(y)] < 0) left[static_cast<size_t>(y)] = x;
        right[static_cast<size_t>(y)] = x;
      }
  }
  const auto median_left = [&](double from, double to) {
    std::vector<int> v;
    for (int y = static_cast<int>(from * height); y < static_cast<int>(to * height); ++y)
      if (left[static_cast<size_t>(y)] >= 0) v.push_back(left[static_cast<size_t>(y)]);
    if (v.empty()) return -1.0;
    std::nth_element(v.begin(), v.begin() + static_cast<long>(v.size() / 2), v.end());
    return static_cast<double>(v[v.size() / 2]);
  };
  // Đ: a straight left stem runs from the top quarter to the bottom quarter; ink further left
  // than that line in the middle rows is a bar through it.
  const double upper = median_left(0.05, 0.3), lower = median_left(0.7, 0.95);
  const double protrusion = std::max({2.0, 0.6 * stroke, 0.08 * body.width});
  int bar_rows = 0, cross_rows = 0;
  for (int y = static_cast<int>(0.3 * height); y < static_cast<int>(0.75 * height); ++y) {
    const int l = left[static_cast<size_t>(y)];
    if (l < 0 || upper < 0 || lower < 0) continue;
    const double expected = upper + (lower - upper) * (y / static_cast<double>(height) - 0.175) / (0.825 - 0.175);
    if (expected - l > protrusion) ++bar_rows;
  }
  // Ŧ: below a T's top bar only its stem is met, a stroke wide; a second bar is much wider.
  for (int y = static_cast<int>(0.35 * height); y < static_cast<int>(0.9 * height); ++y) {
    const int l = left[static_cast<size_t>(y)], r = right[static_cast<size_t>(y)];
    if (l >= 0 && r - l + 1 > std::max(2.5 * stroke, 0.35 * body.width)) ++cross_rows;
  }
  const int enough_rows = std::max(2, static_cast<int>(0.5 * stroke));
  marks.bar_left_of_stem = bar_rows >= enough_rows;
  marks.bar_across_stem = cross_rows >= enough_rows;
  // Ŋ: the lowest ink of the left third against the lowest ink of the body.
  int left_bottom = -1;
  for (int y = body.y; y < body.y + body.height; ++y)
    if (cv::countNonZero(body_mask(cv::Rect(body.x, y, std::max(1, body.width / 3), 1))) > 0) left_bottom = y;
  marks.tail_below = left_bottom >= 0 && (body.y + body.height - 1 - left_bottom) > 0.15 * height;
  return marks;
}

bool marks_fit(const std::string& letter, const LetterMarks& marks) {
  if (letter == "Å") return marks.above == 1 && marks.ring_above && !marks.below;
  if (marks.above > 0 || marks.below) return false;
  if (letter.size() == 1 && std::string_view("BDEFHKLMNPR").find(letter[0]) != std::string_view::npos &&
      marks.bar_left_of_stem)
    return false;
  if (letter == "T" && marks.bar_across_stem) return false;
  if (letter == "N" && marks.tail_below) return false;
  return true;
}

struct LetterClassifier::Impl {
  mutable detail::LetterNet net;
  mutable dlib::softmax<detail::LetterNet::subnet_type> probabilities;
};

LetterClassifier::LetterClassifier(const std::filesystem::path& model_file) : impl_(std::make_unique<Impl>()) {
  try {
    dlib::deserialize(model_file.string()) >> impl_->net;
  } catch (const std::exception& e) {
    throw ScanError("model-missing",
                    "The letter recognition model " + model_file.string() + " could not be read: " + e.what());
  }
  impl_->probabilities.subnet() = impl_->net.subnet();
}

LetterClassifier::~LetterClassifier() = default;
LetterClassifier::LetterClassifier(LetterClassifier&&) noexcept = default;
LetterClassifier& LetterClassifier::operator=(LetterClassifier&&) noexcept = default;

std::filesystem::path LetterClassifier::default_model_file() {
  return forms::assets_dir() / "models" / "letters.dat";
}

LetterGuess LetterClassifier::combine(const std::vector<LetterProbabilities>& readings) {
  LetterGuess g;
  if (readings.empty()) return g;
  LetterProbabilities mean{};
  for (const auto& r : readings)
    for (size_t k = 0; k < kLetterClassCount; ++k) mean[k] += r[k] / static_cast<float>(readings.size());
  const auto best = static_cast<size_t>(std::max_element(mean.begin(), mean.end()) - mean.begin());
  g.index = static_cast<int>(best);
  g.letter = kLetterClasses[best];
  g.confidence = mean[best];
  g.lowest = 1.0f;
  int agreeing = 0;
  for (const auto& r : readings) {
    g.lowest = std::min(g.lowest, r[best]);
    agreeing += static_cast<size_t>(std::max_element(r.begin(), r.end()) - r.begin()) == best;
  }
  g.agreement = static_cast<float>(agreeing) / static_cast<float>(readings.size());
  return g;
}

std::vector<LetterGuess> LetterClassifier::classify(const std::vector<DigitImage>& letters) const {
  std::vector<LetterGuess> out;
  if (letters.empty()) return out;
  // Each letter is read as normalised and slightly rotated (the digits' test-time variants):
  // a letter the network names only in one pose is not one to accept unseen.
  std::vector<dlib::matrix<unsigned char>> inputs;
  std::vector<size_t> owner;
  for (size_t i = 0; i < letters.size(); ++i)
    for (const auto& v : test_time_variants(letters[i])) {
      dlib::matrix<unsigned char> m(28, 28);
      for (long y = 0; y < 28; ++y)
        for (long x = 0; x < 28; ++x) m(y, x) = v[static_cast<size_t>(y * 28 + x)];
      inputs.push_back(std::move(m));
      owner.push_back(i);
    }
  const dlib::matrix<float> probs = dlib::mat(impl_->probabilities(inputs.begin(), inputs.end()));
  std::vector<std::vector<LetterProbabilities>> readings(letters.size());
  for (long r = 0; r < probs.nr(); ++r) {
    LetterProbabilities p{};
    for (long k = 0; k < static_cast<long>(kLetterClassCount); ++k) p[static_cast<size_t>(k)] = probs(r, k);
    readings[owner[static_cast<size_t>(r)]].push_back(p);
  }
  for (const auto& r : readings) out.push_back(combine(r));
  return out;
}

LetterGuess LetterClassifier::classify(const DigitImage& letter) const {
  return classify(std::vector<DigitImage>{letter}).front();
}

}  // namespace scanners
