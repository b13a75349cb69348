// The committed digit models on MNIST digits they never saw in training (indices 600 and up).
#include <doctest/doctest.h>

#include <opencv2/imgproc.hpp>

#include "scan_test_util.hpp"
#include "scanners/digits.hpp"
#include "scanners/recognize.hpp"

TEST_CASE(
    "digits: the committed models read unseen MNIST digits in boxes (>= 95 % each, >= 98.5 % overall) and accept at "
    "most one wrong in a thousand") {
  const auto& digits = scantest::mnist();
  const scanners::DigitClassifier classifier(scanners::DigitClassifier::default_model_files());
  const scanners::DigitAcceptance acceptance = scanners::RecognizerOptions{}.digit_acceptance;
  std::mt19937 rng(2024);
  int silent_wrong_all = 0, right_all = 0, total_all = 0;
  for (int d = 0; d < 10; ++d) {
    const auto& samples = digits.samples[static_cast<size_t>(d)];
    int right = 0, accepted = 0, silent_wrong = 0, total = 0;
    // Every 4th unseen sample keeps the test fast; the benchmark uses them all.
    std::vector<scanners::DigitImage> images;
    for (size_t i = scanners::kMnistTrainPerDigit; i < samples.size(); i += 4) {
      const cv::Mat box = scanners::render_digit_in_box(samples[i], cv::Size(83, 94), rng, true);
      const auto norm = scanners::normalize_digit(box);
      ++total;
      if (norm) images.push_back(*norm);
    }
    for (const auto& guess : classifier.classify(images)) {
      right += guess.digit == d;
      if (!acceptance.accepts(guess)) continue;
      ++accepted;
      if (guess.digit != d) ++silent_wrong;
    }
    MESSAGE("digit " << d << ": " << right << "/" << total << " right, " << accepted << " accepted, " << silent_wrong
                     << " of them wrong");
    // The ensemble of session 7 reads 98.2-99.8 % of all unseen digits; this quarter of them
    // 96.6-100 % (7 the lowest), 98.9 % overall, with 1 silent wrong (a 7).
    CHECK(right * 100 >= total * 95);
    // Most are accepted, and a wrong digit goes to review, not into the answer.
    CHECK(accepted >= total / 2);
    CHECK(silent_wrong <= 1);
    silent_wrong_all += silent_wrong;
    right_all += right;
    total_all += total;
  }
  CHECK(right_all * 1000 >= total_all * 985);
  // At most one in about a thousand (the limit for all fields: 0.1 %).
  CHECK(silent_wrong_all <= 1);
}

TEST_CASE("digits: a digit is accepted only when every reading is sure of it") {
  scanners::DigitProbabilities sure_seven{};
  sure_seven[7] = 0.995f;
  sure_seven[1] = 0.005f;
  scanners::DigitProbabilities doubtful{};  // one network reads a 1
  doubtful[7] = 0.45f;
  doubtful[1] = 0.55f;
  const scanners::DigitAcceptance rule;
  const auto all_sure = scanners::DigitClassifier::combine({sure_seven, sure_seven, sure_seven});
  CHECK(all_sure.digit == 7);
  CHECK(all_sure.agreement == doctest::Approx(1.0));
  CHECK(rule.accepts(all_sure));
  // Averaged, the 7 still wins clearly; but one reading disagrees, so a person must look.
  const auto one_doubts =
      scanners::DigitClassifier::combine({sure_seven, sure_seven, sure_seven, sure_seven, doubtful});
  CHECK(one_doubts.digit == 7);
  CHECK(one_doubts.lowest == doctest::Approx(0.45f));
  CHECK(one_doubts.agreement == doctest::Approx(0.8f));
  CHECK_FALSE(rule.accepts(one_doubts));
  scanners::DigitProbabilities unsure{};
  unsure[3] = 0.9f;
  unsure[5] = 0.1f;
  CHECK_FALSE(rule.accepts(scanners::DigitClassifier::combine({unsure, unsure})));
  CHECK_FALSE(rule.accepts(scanners::DigitGuess{}));
  // The rotated copies are real variants: not the original again.
  scanners::DigitImage bar{};
  for (int x = 6; x < 22; ++x) bar[static_cast<size_t>(14 * 28 + x)] = 255;
  const auto variants = scanners::test_time_variants(bar);
  REQUIRE(variants.size() >= 3);
  CHECK(variants[0] == bar);
  CHECK(variants[1] != bar);
  CHECK(variants[2] != variants[1]);
}

TEST_CASE("digits: an empty box or one with only border remnants has no digit") {
  cv::Mat box = cv::Mat::zeros(94, 83, CV_8UC1);
  CHECK_FALSE(scanners::normalize_digit(box).has_value());
  box.rowRange(0, 3).setTo(255);
  box.colRange(80, 83).setTo(255);
  cv::circle(box, cv::Point(40, 40), 1, 255, -1);
  CHECK_FALSE(scanners::normalize_digit(box).has_value());
}
