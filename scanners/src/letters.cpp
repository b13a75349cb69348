#include "scanners/letters.hpp"

#include <algorithm>
#include <cmath>

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

std::optional<DigitImage> normalize_letter(const cv::Mat& ink_in) {
  if (ink_in.empty() || ink_in.rows < 8 || ink_in.cols < 8) return std::nullopt;
  cv::Mat ink = ink_in.clone();
  // Remnants of a printed line hugging an edge (the letter's own bars lie further in: a letter
  // box's inside is already cleared of its lines, so only a thin band is looked at).
  const int band_y = std::max(2, ink.rows / 10), band_x = std::max(2, ink.cols / 10);
  for (int y = 0; y < ink.rows; ++y)
    if ((y < band_y || y >= ink.rows - band_y) && cv::countNonZero(ink.row(y)) > ink.cols * 0.6) ink.row(y).setTo(0);
  for (int x = 0; x < ink.cols; ++x)
    if ((x < band_x || x >= ink.cols - band_x) && cv::countNonZero(ink.col(x)) > ink.rows * 0.6) ink.col(x).setTo(0);
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
  cv::Mat distance;
  cv::distanceTransform(kept, distance, cv::DIST_L2, 3);
  // Across a stroke of w pixels the distances run 1, 2, .. w/2 .. 2, 1: their mean is about w/4 + 1/2.
  const double stroke = 4.0 * cv::mean(distance, kept)[0] - 2.0;
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
