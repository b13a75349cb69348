#include "scanners/digits.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "digit_net.hpp"
#include "forms/assets.hpp"
#include "scanners/error.hpp"

namespace scanners {

namespace {

// Clears the rows near the top and bottom edge of the crop that are mostly ink: what is left of
// the printed box border when the box is not perfectly registered. A run of such rows thicker than
// a printed line is the digit's own bar (the top of a 7 or a 5, the foot of a 2 written large) and
// is kept, except for its outermost rows when they run nearly the whole width (a border line the
// bar touches).
void clear_edge_rows(cv::Mat& ink, int thin) {
  const int band = std::max(2, ink.rows / 5);
  std::vector<char> mostly_ink(static_cast<size_t>(ink.rows), 0);
  for (int y = 0; y < ink.rows; ++y)
    if (y < band || y >= ink.rows - band)
      mostly_ink[static_cast<size_t>(y)] = cv::countNonZero(ink.row(y)) > ink.cols * 0.55;
  // A border line lies in the outermost rows (where a thick run also holds the digit's bar).
  auto at_edge = [&](int y) { return y < thin || y >= ink.rows - thin; };
  for (int y = 0; y < ink.rows;) {
    if (!mostly_ink[static_cast<size_t>(y)]) {
      ++y;
      continue;
    }
    int end = y;
    while (end < ink.rows && mostly_ink[static_cast<size_t>(end)]) ++end;
    for (int r = y; r < end; ++r)
      if (end - y <= thin || (at_edge(r) && cv::countNonZero(ink.row(r)) >= ink.cols * 0.9)) ink.row(r).setTo(0);
    y = end;
  }
}

void remove_border_remnants(cv::Mat& ink, int thin) {
  clear_edge_rows(ink, thin);
  cv::Mat columns = ink.t();
  clear_edge_rows(columns, thin);
  ink = columns.t();
}

// How thick a printed line's remnant can be in a crop of this size, in pixels.
int line_thickness(cv::Size crop) {
  return 3 + std::max(crop.width, crop.height) / 30;
}

// A piece of the printed border that survived remove_border_remnants (a partial or slanted line,
// or one a few pixels inside the crop): thin, lying along one edge within the outer eighth of the
// crop on that side, or a thin sliver cut by the crop's edge. Only pieces smaller than the digit's
// largest stroke are dropped (see the caller), so a lone 1 written against the border is never
// taken for a line.
bool is_border_piece(const cv::Rect& r, cv::Size crop) {
  const int band_y = std::max(3, crop.height / 8), band_x = std::max(3, crop.width / 8);
  const int thin = line_thickness(crop);
  const bool horizontal = r.height <= thin && r.width >= 2 * r.height;
  const bool vertical = r.width <= thin && r.height >= 2 * r.width;
  const bool near_top = r.y + r.height <= band_y, near_bottom = r.y >= crop.height - band_y;
  const bool near_left = r.x + r.width <= band_x, near_right = r.x >= crop.width - band_x;
  const bool touches = r.x == 0 || r.y == 0 || r.x + r.width >= crop.width || r.y + r.height >= crop.height;
  return (horizontal && (near_top || near_bottom)) || (vertical && (near_left || near_right)) ||
         (touches && std::min(r.width, r.height) <= thin);
}

}  // namespace

std::optional<DigitImage> normalize_digit(const cv::Mat& ink_in) {
  if (ink_in.empty() || ink_in.rows < 8 || ink_in.cols < 8) return std::nullopt;
  cv::Mat ink = ink_in.clone();
  remove_border_remnants(ink, line_thickness(ink.size()));
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
    if (area < largest && is_border_piece(cv::Rect(x, y, w, h), ink.size())) continue;
    kept.setTo(255, labels == i);
  }
  if (cv::countNonZero(kept) < min_ink) return std::nullopt;
  const cv::Rect bbox = cv::boundingRect(kept);
  cv::Mat digit;
  kept(bbox).convertTo(digit, CV_32F, 1.0 / 255.0);
  const cv::Mat canvas = fit_into_mnist_frame(digit);
  DigitImage out{};
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x)
      out[static_cast<size_t>(y * 28 + x)] =
          static_cast<std::uint8_t>(std::clamp(canvas.at<float>(y, x) * 255.0f, 0.0f, 255.0f));
  return out;
}

cv::Mat fit_into_mnist_frame(const cv::Mat& glyph) {
  const double scale = 20.0 / std::max(glyph.cols, glyph.rows);
  const int w = std::clamp(static_cast<int>(std::lround(glyph.cols * scale)), 1, 20);
  const int h = std::clamp(static_cast<int>(std::lround(glyph.rows * scale)), 1, 20);
  cv::Mat small;
  cv::resize(glyph, small, cv::Size(w, h), 0, 0, cv::INTER_AREA);
  const cv::Moments m = cv::moments(small, false);
  double cx = w / 2.0, cy = h / 2.0;
  if (m.m00 > 1e-6) {
    cx = m.m10 / m.m00;
    cy = m.m01 / m.m00;
  }
  cv::Mat canvas = cv::Mat::zeros(28, 28, CV_32F);
  const cv::Mat shift = (cv::Mat_<double>(2, 3) << 1, 0, 14.0 - cx, 0, 1, 14.0 - cy);
  cv::warpAffine(small, canvas, shift, cv::Size(28, 28), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  return canvas;
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

std::vector<DigitImage> test_time_variants(const DigitImage& digit) {
  cv::Mat src(28, 28, CV_8UC1);
  std::copy(digit.begin(), digit.end(), src.ptr<std::uint8_t>(0));
  std::vector<DigitImage> out{digit};
  // (rotation degrees, scale) around the centre of the 28 x 28 field.
  constexpr std::array<std::pair<double, double>, 2> poses{{{-8.0, 1.0}, {8.0, 1.0}}};
  for (const auto& [angle, scale] : poses) {
    const cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(14.0f, 14.0f), angle, scale);
    cv::Mat moved;
    cv::warpAffine(src, moved, m, src.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
    DigitImage v{};
    std::copy(moved.ptr<std::uint8_t>(0), moved.ptr<std::uint8_t>(0) + v.size(), v.begin());
    out.push_back(v);
  }
  return out;
}

struct DigitClassifier::Impl {
  // One network of the ensemble with a softmax over its last layer (the nets output unnormalised
  // scores). LeNet, the smallest, reads every test-time variant; the larger ones read each box once.
  struct Network {
    virtual ~Network() = default;
    virtual dlib::matrix<float> probabilities(const std::vector<dlib::matrix<unsigned char>>& inputs) = 0;
    bool reads_variants = false;
    bool batch_normalised = false;
  };
  template <typename Net>
  struct Typed : Network {
    Net net;
    dlib::softmax<typename Net::subnet_type> softmax;
    dlib::matrix<float> probabilities(const std::vector<dlib::matrix<unsigned char>>& inputs) override {
      return dlib::mat(softmax(inputs.begin(), inputs.end()));
    }
  };
  std::vector<std::unique_ptr<Network>> networks;

  // Reads `file` as network type Net; nothing when the file holds another type.
  template <typename Net>
  static std::unique_ptr<Network> try_load(const std::filesystem::path& file, std::string& error) {
    try {
      auto n = std::make_unique<Typed<Net>>();
      dlib::deserialize(file.string()) >> n->net;
      n->softmax.subnet() = n->net.subnet();
      return n;
    } catch (const std::exception& e) {
      if (error.empty()) error = e.what();
      return nullptr;
    }
  }

  void load(const std::filesystem::path& file) {
    std::string error;
    if (auto n = try_load<detail::DigitNet>(file, error)) {
      n->reads_variants = true;
      networks.push_back(std::move(n));
    } else if (auto w = try_load<detail::WideDigitNet>(file, error)) {
      networks.push_back(std::move(w));
    } else if (auto b = try_load<detail::BnDigitNet>(file, error)) {
      b->batch_normalised = true;
      networks.push_back(std::move(b));
    } else {
      throw ScanError("model-missing", "The digit recognition model " + file.string() + " could not be read: " + error);
    }
  }
};

DigitClassifier::DigitClassifier(const std::vector<std::filesystem::path>& model_files)
    : impl_(std::make_unique<Impl>()) {
  if (model_files.empty()) throw ScanError("model-missing", "No digit recognition model was given.");
  for (const auto& file : model_files) impl_->load(file);
}

DigitClassifier::DigitClassifier(const std::filesystem::path& model_file)
    : DigitClassifier(std::vector<std::filesystem::path>{model_file}) {}

DigitClassifier::~DigitClassifier() = default;
DigitClassifier::DigitClassifier(DigitClassifier&&) noexcept = default;
DigitClassifier& DigitClassifier::operator=(DigitClassifier&&) noexcept = default;

std::filesystem::path DigitClassifier::default_model_file() {
  return forms::assets_dir() / "models" / "digits-bn.dat";
}

std::vector<std::filesystem::path> DigitClassifier::default_model_files() {
  const auto models = forms::assets_dir() / "models";
  return {default_model_file(), models / "digits-bn2.dat"};
}

size_t DigitClassifier::networks() const {
  return impl_->networks.size();
}

std::vector<std::vector<DigitProbabilities>> DigitClassifier::readings(const std::vector<DigitImage>& digits) const {
  std::vector<std::vector<DigitProbabilities>> out(digits.size());
  if (digits.empty()) return out;
  // LeNet reads every test-time variant; the larger networks read each digit once as further
  // opinions, which keeps a page's digits within a few tens of ms.
  std::vector<dlib::matrix<unsigned char>> variants, originals;
  std::vector<size_t> variant_owner, original_owner;
  auto to_matrix = [](const DigitImage& d) {
    dlib::matrix<unsigned char> m(28, 28);
    for (long y = 0; y < 28; ++y)
      for (long x = 0; x < 28; ++x) m(y, x) = d[static_cast<size_t>(y * 28 + x)];
    return m;
  };
  for (size_t i = 0; i < digits.size(); ++i) {
    originals.push_back(to_matrix(digits[i]));
    original_owner.push_back(i);
    for (const auto& v : test_time_variants(digits[i])) {
      variants.push_back(to_matrix(v));
      variant_owner.push_back(i);
    }
  }
  for (const auto& n : impl_->networks) {
    const auto& inputs = n->reads_variants ? variants : originals;
    const auto& owner = n->reads_variants ? variant_owner : original_owner;
    const dlib::matrix<float> probs = n->probabilities(inputs);
    for (long r = 0; r < probs.nr(); ++r) {
      DigitProbabilities p{};
      for (long k = 0; k < 10; ++k) p[static_cast<size_t>(k)] = probs(r, k);
      out[owner[static_cast<size_t>(r)]].push_back(p);
    }
  }
  return out;
}

std::vector<float> DigitClassifier::reading_weights() const {
  // The batch-normalised networks read clearly better than LeNet and the wide network (BENCHMARKS.md),
  // so when one is loaded the older two weigh a fifth as much in the average: they still veto a
  // digit they do not agree with (DigitAcceptance asks every reading to agree), but they no longer
  // pull a right reading of the better network over to a wrong one.
  const bool has_bn =
      std::any_of(impl_->networks.begin(), impl_->networks.end(), [](const auto& n) { return n->batch_normalised; });
  std::vector<float> weights;
  for (const auto& n : impl_->networks) {
    const float w = !has_bn || n->batch_normalised ? 1.0f : 0.2f;
    const size_t count = n->reads_variants ? test_time_variants(DigitImage{}).size() : 1;
    weights.insert(weights.end(), count, w);
  }
  return weights;
}

DigitGuess DigitClassifier::combine(const std::vector<DigitProbabilities>& readings,
                                    const std::vector<float>& weights) {
  DigitGuess g;
  if (readings.empty()) return g;
  DigitProbabilities mean{};
  float total = 0.0f;
  for (size_t i = 0; i < readings.size(); ++i) total += i < weights.size() ? weights[i] : 1.0f;
  for (size_t i = 0; i < readings.size(); ++i) {
    const float w = (i < weights.size() ? weights[i] : 1.0f) / total;
    for (size_t k = 0; k < 10; ++k) mean[k] += readings[i][k] * w;
  }
  for (size_t k = 0; k < 10; ++k) {
    if (mean[k] > g.confidence) {
      g.runner_up = g.confidence;
      g.confidence = mean[k];
      g.digit = static_cast<int>(k);
    } else if (mean[k] > g.runner_up) {
      g.runner_up = mean[k];
    }
  }
  const auto d = static_cast<size_t>(g.digit);
  g.lowest = 1.0f;
  int agreeing = 0;
  for (const auto& r : readings) {
    g.lowest = std::min(g.lowest, r[d]);
    agreeing += std::max_element(r.begin(), r.end()) - r.begin() == static_cast<long>(d);
  }
  g.agreement = static_cast<float>(agreeing) / static_cast<float>(readings.size());
  return g;
}

std::vector<DigitGuess> DigitClassifier::classify(const std::vector<DigitImage>& digits) const {
  std::vector<DigitGuess> out;
  const auto weights = reading_weights();
  for (const auto& r : readings(digits)) out.push_back(combine(r, weights));
  return out;
}

DigitGuess DigitClassifier::classify(const DigitImage& digit) const {
  return classify(std::vector<DigitImage>{digit}).front();
}

}  // namespace scanners
