// The committed letter model on letters drawn in faces it never saw in training: OpenCV's
// Hershey SIMPLEX and DUPLEX (scanners/tools/train_letters.cpp holds them out; the test corpus
// writes its block letters with them).
#include <doctest/doctest.h>

#include <random>

#include <opencv2/imgproc.hpp>

#include "scanners/letters.hpp"

TEST_CASE("letters: the committed model reads block capitals in held-out faces and accepts almost no wrong ones") {
  const scanners::LetterClassifier classifier(scanners::LetterClassifier::default_model_file());
  const scanners::LetterAcceptance rule;
  std::mt19937 rng(4711);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<scanners::DigitImage> images;
  std::vector<int> truth;
  int drawn = 0;
  for (int font : {cv::FONT_HERSHEY_SIMPLEX, cv::FONT_HERSHEY_DUPLEX})
    for (char letter = 'A'; letter <= 'Z'; ++letter)
      for (int k = 0; k < 6; ++k) {
        const cv::Mat glyph =
            scanners::hershey_glyph(letter, font, 4 + static_cast<int>(u(rng) * 8), -0.1 + u(rng) * 0.4);
        const int w = static_cast<int>(50 + u(rng) * 40);
        const cv::Mat box = scanners::render_digit_in_box(glyph, cv::Size(w, static_cast<int>(w * 1.1)), rng, k % 2);
        ++drawn;
        if (const auto image = scanners::normalize_letter(box)) {
          images.push_back(*image);
          truth.push_back(letter - 'A');
        }
      }
  REQUIRE(images.size() * 100 >= static_cast<size_t>(drawn) * 98);
  const auto guesses = classifier.classify(images);
  int right = 0, accepted = 0, wrong_accepted = 0;
  for (size_t i = 0; i < guesses.size(); ++i) {
    right += guesses[i].index == truth[i];
    // The classifier alone (no Tesseract reading to agree with): the stricter of the two bars.
    if (!rule.accepts(guesses[i], "")) continue;
    ++accepted;
    if (guesses[i].index != truth[i]) {
      ++wrong_accepted;
      MESSAGE("accepted wrong: " << scanners::kLetterClasses[static_cast<size_t>(truth[i])] << " as "
                                 << guesses[i].letter << " at " << guesses[i].confidence);
    }
  }
  const auto n = static_cast<int>(guesses.size());
  INFO(right << "/" << n << " right, " << accepted << " accepted alone, " << wrong_accepted << " of them wrong");
  CHECK(right * 100 >= n * LETTERS_MIN_TOP1);
  CHECK(accepted * 100 >= n * LETTERS_MIN_ACCEPTED);
  CHECK(wrong_accepted <= 1);
}

TEST_CASE("letters: a letter is accepted only when the classifier is sure, and never an unknown letter") {
  scanners::LetterProbabilities sure_m{};
  sure_m[static_cast<size_t>(scanners::letter_class("M"))] = 0.999f;
  sure_m[static_cast<size_t>(scanners::letter_class("N"))] = 0.001f;
  scanners::LetterProbabilities fairly_sure_m{};
  fairly_sure_m[static_cast<size_t>(scanners::letter_class("M"))] = 0.95f;
  fairly_sure_m[static_cast<size_t>(scanners::letter_class("N"))] = 0.05f;
  scanners::LetterProbabilities doubtful{};  // one reading says V
  doubtful[static_cast<size_t>(scanners::letter_class("M"))] = 0.4f;
  doubtful[static_cast<size_t>(scanners::letter_class("V"))] = 0.6f;
  const scanners::LetterAcceptance rule;

  const auto very_sure = scanners::LetterClassifier::combine({sure_m, sure_m, sure_m});
  CHECK(very_sure.letter == "M");
  CHECK(rule.accepts(very_sure, ""));
  CHECK(rule.accepts(very_sure, "M"));
  // Tesseract saw a Sámi letter the classifier has no class for: a person reads it.
  CHECK_FALSE(rule.accepts(very_sure, "Š"));

  const auto fairly = scanners::LetterClassifier::combine({fairly_sure_m, fairly_sure_m, fairly_sure_m});
  CHECK_FALSE(rule.accepts(fairly, ""));   // not sure enough alone
  CHECK(rule.accepts(fairly, "M"));        // Tesseract reads the same
  CHECK_FALSE(rule.accepts(fairly, "V"));  // Tesseract reads another letter

  const auto split = scanners::LetterClassifier::combine({sure_m, sure_m, doubtful});
  CHECK(split.letter == "M");
  CHECK(split.agreement < 1.0f);
  CHECK_FALSE(rule.accepts(split, "M"));

  scanners::LetterProbabilities other{};
  other[scanners::kOtherLetterClass] = 1.0f;
  const auto unknown = scanners::LetterClassifier::combine({other, other, other});
  CHECK(unknown.letter == "?");
  CHECK_FALSE(rule.accepts(unknown, ""));
  CHECK(scanners::letter_class("Å") == 28);
  CHECK(scanners::letter_class("Á") == -1);
}
