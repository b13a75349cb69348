// The committed digit model on MNIST digits it never saw in training (indices 600 and up).
#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include "scan_test_util.hpp"
#include "scanners/digits.hpp"

TEST_CASE("digits: the committed model reads unseen MNIST digits in boxes (>= 93 % each; wrong ones mostly flagged)") {
  const auto& digits = scantest::mnist();
  scanners::DigitClassifier classifier(scanners::DigitClassifier::default_model_file());
  std::mt19937 rng(2024);
  for (int d = 0; d < 10; ++d) {
    const auto& samples = digits.samples[static_cast<size_t>(d)];
    int right = 0, silent_wrong = 0, total = 0;
    // Every 4th unseen sample keeps the test fast; the benchmark uses them all.
    for (size_t i = scanners::kMnistTrainPerDigit; i < samples.size(); i += 4) {
      const cv::Mat box = scanners::render_digit_in_box(samples[i], cv::Size(83, 94), rng, true);
      const auto norm = scanners::normalize_digit(box);
      ++total;
      if (!norm) continue;
      const auto guess = classifier.classify(*norm);
      if (guess.digit == d)
        ++right;
      else if (guess.confidence >= 0.97)
        ++silent_wrong;
    }
    INFO("digit " << d << ": " << right << "/" << total << " right, " << silent_wrong << " wrong with high confidence");
    CHECK(right >= total * 93 / 100);
    CHECK(silent_wrong <= total * 3 / 100);
  }
}

TEST_CASE("digits: an empty box or one with only border remnants has no digit") {
  cv::Mat box = cv::Mat::zeros(94, 83, CV_8UC1);
  CHECK_FALSE(scanners::normalize_digit(box).has_value());
  box.rowRange(0, 3).setTo(255);
  box.colRange(80, 83).setTo(255);
  cv::circle(box, cv::Point(40, 40), 1, 255, -1);
  CHECK_FALSE(scanners::normalize_digit(box).has_value());
}
