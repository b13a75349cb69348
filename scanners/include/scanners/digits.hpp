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

// What the classifier says about one box.
struct DigitGuess {
  int digit = -1;           // 0..9
  float confidence = 0.0f;  // softmax probability of that digit
  float runner_up = 0.0f;   // probability of the second most likely digit
};

// The LeNet digit classifier (dlib dnn), trained by scanners/tools/train_digits.cpp on MNIST
// indices 0..599 of each digit (see assets/models/README.md). Not thread-safe: one per worker.
class DigitClassifier {
 public:
  // Loads the model file; throws ScanError "model-missing" when it cannot be read.
  explicit DigitClassifier(const std::filesystem::path& model_file);
  ~DigitClassifier();
  DigitClassifier(DigitClassifier&&) noexcept;
  DigitClassifier& operator=(DigitClassifier&&) noexcept;

  DigitGuess classify(const DigitImage& digit) const;
  std::vector<DigitGuess> classify(const std::vector<DigitImage>& digits) const;

  // assets/models/digits-lenet.dat under forms::assets_dir().
  static std::filesystem::path default_model_file();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Draws an MNIST digit (28 x 28 grey, ink bright) the way a person writes it in a digit box of
// `box_px` (width, height) pixels: random size, shift, rotation, slant, stroke width, and
// optionally remnants of the printed box border. Ink is 255 in the returned binary crop.
// Shared by the trainer (augmentation) and the test-corpus generator.
cv::Mat render_digit_in_box(const cv::Mat& mnist28, cv::Size box_px, std::mt19937& rng, bool border_remnants);

}  // namespace scanners
