#pragma once
#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include <opencv2/core.hpp>

namespace scanners {

// A handwritten digit brought to MNIST's form: 28 x 28, ink bright (0..255) on black, the ink
// fitted into 20 x 20 and centred by its centre of mass.
using DigitImage = std::array<std::uint8_t, 28 * 28>;

// Turns the ink of one digit box into a DigitImage. `ink` is a binary crop (ink 255) of the
// box, the printed border included or partly included: straight border remnants along the
// edges and specks are removed first. Returns nothing when the box holds no writing.
std::optional<DigitImage> normalize_digit(const cv::Mat& ink);

// The softmax probabilities of the ten digits for one reading of one box.
using DigitProbabilities = std::array<float, 10>;

// What the classifier says about one box, combining several readings: one per network (LeNet, if
// loaded, also reads slightly rotated copies: test-time variants), averaged with weights.
struct DigitGuess {
  int digit = -1;           // 0..9: the best of the averaged probabilities
  float confidence = 0.0f;  // averaged probability of that digit
  float runner_up = 0.0f;   // averaged probability of the second most likely digit
  float lowest = 0.0f;      // the lowest probability any single reading gave that digit
  float agreement = 0.0f;   // share of readings whose own best digit is `digit` (1: all agree)
};

// When a digit read by the classifier may be accepted without a person looking at it. A wrong
// digit accepted here is a silent wrong value, so every reading must agree and be sure.
struct DigitAcceptance {
  // Weighted average of the digit's probability. 0.98 since the batch-normalised network dominates
  // the average: at 0.97 the page benchmark accepted a 2 read as 1 (0.9716) in a signature date.
  float min_confidence = 0.98f;
  float min_lowest = 0.80f;    // no single network or variant may doubt it more than this
  float min_agreement = 1.0f;  // every reading names the same digit
  bool accepts(const DigitGuess& guess) const {
    return guess.digit >= 0 && guess.confidence >= min_confidence && guess.lowest >= min_lowest &&
           guess.agreement >= min_agreement;
  }
};

// Slightly rotated copies of a normalised digit (the original first): a digit the
// networks read only in one pose is not a digit to accept unseen.
std::vector<DigitImage> test_time_variants(const DigitImage& digit);

// The digit classifier: an ensemble of dlib dnn networks (the layouts are in
// scanners/src/digit_net.hpp), trained by scanners/tools/train_digits.cpp on MNIST indices
// 0..599 of each digit (see assets/models/README.md). Not thread-safe: one per worker.
class DigitClassifier {
 public:
  // Loads the model files (LeNet, wide or batch-normalised networks, told apart by their contents); throws
  // ScanError "model-missing" when one cannot be read or none is given.
  explicit DigitClassifier(const std::vector<std::filesystem::path>& model_files);
  explicit DigitClassifier(const std::filesystem::path& model_file);
  ~DigitClassifier();
  DigitClassifier(DigitClassifier&&) noexcept;
  DigitClassifier& operator=(DigitClassifier&&) noexcept;

  DigitGuess classify(const DigitImage& digit) const;
  std::vector<DigitGuess> classify(const std::vector<DigitImage>& digits) const;
  // Every reading of every digit (per network in file order; LeNet reads each test-time variant), for evaluation.
  std::vector<std::vector<DigitProbabilities>> readings(const std::vector<DigitImage>& digits) const;
  // The weight of each reading in the average, in the order readings() gives them.
  std::vector<float> reading_weights() const;
  // Averages the readings (weighted; missing weights count 1) and says how far they agree.
  static DigitGuess combine(const std::vector<DigitProbabilities>& readings, const std::vector<float>& weights = {});
  size_t networks() const;

  // assets/models/digits-bn.dat under forms::assets_dir(): the main network.
  static std::filesystem::path default_model_file();
  // The committed ensemble: two batch-normalised networks of one layout trained with different
  // seeds, digits-bn.dat and digits-bn2.dat (weight 1 each; both must agree before a digit is
  // accepted).
  static std::vector<std::filesystem::path> default_model_files();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// MNIST's own normalisation, shared by digit and letter boxes: a cropped glyph (CV_32F, ink 0..1)
// is fitted into 20 x 20 keeping its aspect ratio and centred by its centre of mass in 28 x 28.
// Returns the 28 x 28 CV_32F canvas.
cv::Mat fit_into_mnist_frame(const cv::Mat& glyph);

// Draws an MNIST digit (28 x 28 grey, ink bright) the way a person writes it in a digit box of
// `box_px` (width, height) pixels: random size, shift, rotation, slant, stroke width, and
// optionally remnants of the printed box border. Ink is 255 in the returned binary crop.
// Shared by the trainer (augmentation) and the test-corpus generator.
cv::Mat render_digit_in_box(const cv::Mat& mnist28, cv::Size box_px, std::mt19937& rng, bool border_remnants);

}  // namespace scanners
