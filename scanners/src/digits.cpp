#include "scanners/digits.hpp"

#include <algorithm>
#include <cmath>

#include <opencv2/imgproc.hpp>

#include "digit_net.hpp"
#include "forms/assets.hpp"
#include "scanners/error.hpp"

namespace scanners {

namespace {

// Clears rows/columns near the crop's edges that are mostly ink: what is left of the printed
// box border when the box is not perfectly registered.
void remove_border_remnants(cv::Mat& ink) {
  const int band_y = std::max(2, ink.rows / 5), band_x = std::max(2, ink.cols / 5);
  for (int y = 0; y < ink.rows; ++y) {
    if (y >= band_y && y < ink.rows - band_y) continue;
    if (cv::countNonZero(ink.row(y)) > ink.cols * 0.55) ink.row(y).setTo(0);
  }
  for (int x = 0; x < ink.cols; ++x) {
    if (x >= band_x && x < ink.cols - band_x) continue;
    if (cv::countNonZero(ink.col(x)) > ink.rows * 0.55) ink.col(x).setTo(0);
  }
}

}  // namespace

std::optional<DigitImage> normalize_digit(const cv::Mat& ink_in) {
  if (ink_in.empty() || ink_in.rows < 8 || ink_in.cols < 8) return std::nullopt;
  cv::Mat ink = ink_in.clone();
  remove_border_remnants(ink);
  // Keep the digit's strokes, drop specks and slivers hugging the edge.
  cv::Mat labels, stats, centroids;
  const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
  int largest = 0;
  for (int i = 1; i < n; ++i) largest = std::max(largest, stats.at<int>(i, cv::CC_STAT_AREA));
  const int min_area = std::max(6, largest / 12);
  const double min_ink = 0.012 * ink.rows * ink.cols;
  cv::Mat kept = cv::Mat::zeros(ink.size(), CV_8UC1);
  for (int i = 1; i < n; ++i) {
    const int area = stats.at<int>(i, cv::CC_STAT_AREA);
    const int x = stats.at<int>(i, cv::CC_STAT_LEFT), y = stats.at<int>(i, cv::CC_STAT_TOP);
    const int w = stats.at<int>(i, cv::CC_STAT_WIDTH), h = stats.at<int>(i, cv::CC_STAT_HEIGHT);
    if (area < min_area) continue;
    const bool touches = x == 0 || y == 0 || x + w >= ink.cols || y + h >= ink.rows;
    const bool sliver = std::min(w, h) <= 3 + std::max(ink.rows, ink.cols) / 30;
    if (touches && sliver && area < largest) continue;
    kept.setTo(255, labels == i);
  }
  if (cv::countNonZero(kept) < min_ink) return std::nullopt;
  const cv::Rect bbox = cv::boundingRect(kept);
  cv::Mat digit;
  kept(bbox).convertTo(digit, CV_32F, 1.0 / 255.0);
  // Fit into 20 x 20 keeping the aspect ratio (MNIST's own normalisation).
  const double scale = 20.0 / std::max(bbox.width, bbox.height);
  const int w = std::clamp(static_cast<int>(std::lround(bbox.width * scale)), 1, 20);
  const int h = std::clamp(static_cast<int>(std::lround(bbox.height * scale)), 1, 20);
  cv::Mat small;
  cv::resize(digit, small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  const cv::Moments m = cv::moments(small, false);
  double cx = w / 2.0, cy = h / 2.0;
  if (m.m00 > 1e-6) {
    cx = m.m10 / m.m00;
    cy = m.m01 / m.m00;
  }
  cv::Mat canvas = cv::Mat::zeros(28, 28, CV_32F);
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 14.0 - cx, 0, 1, 14.0 - cy);
  cv::warpAffine(small, canvas, shift, cv::Size(28, 28), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  DigitImage out{};
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x)
      out[static_cast<size_t>(y * 28 + x)] =
          static_cast<std::uint8_t>(std::clamp(canvas.at<float>(y, x) * 255.0f, 0.0f, 255.0f));
  return out;
}

cv::Mat render_digit_in_box(const cv::Mat& mnist28, cv::Size box_px, std::mt19937& rng, bool border_remnants) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  auto uniform = [&](double a, double b) { return a + (b - a) * u(rng); };
  const int W = box_px.width, H = box_px.height;
  // Digit height relative to the box, then rotation/slant around the box centre.
  const double digit_h = H * uniform(0.55, 0.95);
  const double scale = digit_h / 20.0;  // MNIST ink is ~20 px high
  const double angle = uniform(-15.0, 15.0) * CV_PI / 180.0;
  const double shear = uniform(-0.25, 0.25);
  const double cx = W / 2.0 + uniform(-0.12, 0.12) * W, cy = H / 2.0 + uniform(-0.1, 0.1) * H;
  const double c = std::cos(angle) * scale, s = std::sin(angle) * scale;
  // Maps MNIST (centre 14,14) to the box: translate, shear, rotate+scale, translate.
  const double a00 = c, a01 = -s + c * shear, a10 = s, a11 = c + s * shear;
  const cv::Mat affine =
      (cv::Mat_<double>(2, 3) << a00, a01, cx - a00 * 14 - a01 * 14, a10, a11, cy - a10 * 14 - a11 * 14);
  cv::Mat src;
  mnist28.convertTo(src, CV_8U);
  cv::Mat big;
  cv::warpAffine(src, big, affine, cv::Size(W, H), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  cv::Mat ink;
  cv::threshold(big, ink, uniform(70, 170), 255, cv::THRESH_BINARY);
  // Pen width: thinner or thicker strokes than the MNIST writer's.
  const int pen = static_cast<int>(uniform(-1.5, 3.0));
  if (pen != 0) {
    const int k = 2 * std::abs(pen) + 1;
    const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k));
    if (pen > 0)
      cv::dilate(ink, ink, kernel);
    else if (scale > 2.2)
      cv::erode(ink, ink, kernel);
  }
  if (border_remnants) {
    // Remnants of the printed box when registration is a few pixels off: whole or partial
    // border lines, sometimes slightly slanted (a skewed scan), and specks.
    for (int side = 0; side < 4; ++side) {
      if (u(rng) > 0.4) continue;
      const int thick = 1 + static_cast<int>(uniform(0, 4));
      const int off = static_cast<int>(uniform(0, 3));
      const bool horizontal = side < 2;
      const int length = horizontal ? W : H;
      const int from = u(rng) < 0.6 ? 0 : static_cast<int>(uniform(0, length * 0.5));
      const int to = u(rng) < 0.6 ? length : static_cast<int>(uniform(length * 0.5, length));
      const double drift = u(rng) < 0.3 ? uniform(-2.0, 2.0) : 0.0;  // pixels over the length
      const int base = side == 0 || side == 2 ? off : (horizontal ? H : W) - off - thick;
      const cv::Point a = horizontal ? cv::Point(from, base) : cv::Point(base, from);
      const cv::Point b =
          horizontal ? cv::Point(to, base + static_cast<int>(drift)) : cv::Point(base + static_cast<int>(drift), to);
      const cv::Point along = horizontal ? cv::Point(0, thick - 1) : cv::Point(thick - 1, 0);
      cv::fillConvexPoly(ink, std::vector<cv::Point>{a, b, b + along, a + along}, 255);
    }
    const int specks = static_cast<int>(uniform(0, 5));
    for (int i = 0; i < specks; ++i)
      cv::circle(ink, cv::Point(static_cast<int>(uniform(0, W)), static_cast<int>(uniform(0, H))),
                 static_cast<int>(uniform(0, 2)), 255, -1);
  }
  return ink;
}

struct DigitClassifier::Impl {
  mutable detail::DigitNet net;
  mutable dlib::softmax<detail::DigitNet::subnet_type> probabilities;
};

DigitClassifier::DigitClassifier(const std::filesystem::path& model_file) : impl_(std::make_unique<Impl>()) {
  try {
    dlib::deserialize(model_file.string()) >> impl_->net;
  } catch (const std::exception& e) {
    throw ScanError("model-missing",
                    "The digit recognition model " + model_file.string() + " could not be read: " + e.what());
  }
  impl_->probabilities.subnet() = impl_->net.subnet();
}

DigitClassifier::~DigitClassifier() = default;
DigitClassifier::DigitClassifier(DigitClassifier&&) noexcept = default;
DigitClassifier& DigitClassifier::operator=(DigitClassifier&&) noexcept = default;

std::filesystem::path DigitClassifier::default_model_file() {
  return forms::assets_dir() / "models" / "digits-lenet.dat";
}

std::vector<DigitGuess> DigitClassifier::classify(const std::vector<DigitImage>& digits) const {
  std::vector<dlib::matrix<unsigned char>> inputs;
  inputs.reserve(digits.size());
  for (const auto& d : digits) {
    dlib::matrix<unsigned char> m(28, 28);
    for (long y = 0; y < 28; ++y)
      for (long x = 0; x < 28; ++x) m(y, x) = d[static_cast<size_t>(y * 28 + x)];
    inputs.push_back(std::move(m));
  }
  std::vector<DigitGuess> out;
  if (inputs.empty()) return out;
  const dlib::matrix<float> probs = dlib::mat(impl_->probabilities(inputs.begin(), inputs.end()));
  for (long i = 0; i < probs.nr(); ++i) {
    DigitGuess g;
    for (long k = 0; k < 10; ++k) {
      const float p = probs(i, k);
      if (p > g.confidence) {
        g.runner_up = g.confidence;
        g.confidence = p;
        g.digit = static_cast<int>(k);
      } else if (p > g.runner_up) {
        g.runner_up = p;
      }
    }
    out.push_back(g);
  }
  return out;
}

DigitGuess DigitClassifier::classify(const DigitImage& digit) const {
  return classify(std::vector<DigitImage>{digit}).front();
}

}  // namespace scanners
