// Image import: bad files give a clear ScanError, never a crash or an absurd allocation.
#include <doctest/doctest.h>

#include <leptonica/allheaders.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <regex>

#include <opencv2/imgproc.hpp>
#include <random>

#include "corpus.hpp"
#include "forms/assets.hpp"
#include "forms/translations.hpp"
#include "scanners/error.hpp"
#include "scanners/image.hpp"
#include "scanners/qr.hpp"
#include "scan_test_util.hpp"

using scanners::ScanError;

namespace {

std::string error_code_of(const std::filesystem::path& file) {
  try {
    scanners::import_image_file(file);
  } catch (const ScanError& e) {
    return e.code();
  }
  return "";
}

// A PNG whose header claims width x height: the IHDR chunk only, no pixel data.
void write_png_header(const std::filesystem::path& file, std::uint32_t w, std::uint32_t h) {
  auto pix = scanners::pix_from_mat(cv::Mat(400, 400, CV_8UC1, cv::Scalar(255)));
  l_uint8* data = nullptr;
  size_t size = 0;
  REQUIRE(pixWriteMemPng(&data, &size, pix.get(), 0.0f) == 0);
  std::vector<std::uint8_t> bytes(data, data + size);
  lept_free(data);
  auto put32 = [&](size_t at, std::uint32_t v) {
    for (int i = 0; i < 4; ++i) bytes[at + static_cast<size_t>(i)] = static_cast<std::uint8_t>(v >> (24 - 8 * i));
  };
  put32(16, w);  // IHDR width and height (CRC left stale: a hostile file)
  put32(20, h);
  std::ofstream(file, std::ios::binary)
      .write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

TEST_CASE("import: a 1x1 image is refused as too small") {
  scantest::TempDir dir;
  scancorpus::write_image(cv::Mat(1, 1, CV_8UC1, cv::Scalar(0)), dir.path / "tiny.png");
  CHECK(error_code_of(dir.path / "tiny.png") == "image-too-small");
}

TEST_CASE("import: a 20000x20000 image is refused from its header, before decoding") {
  scantest::TempDir dir;
  write_png_header(dir.path / "huge.png", 20000, 20000);
  CHECK(error_code_of(dir.path / "huge.png") == "image-too-large");
}

TEST_CASE("import: truncated, corrupt, empty and non-image files give clear errors") {
  scantest::TempDir dir;
  const cv::Mat page(1200, 900, CV_8UC1, cv::Scalar(230));
  scancorpus::write_image(page, dir.path / "page.jpg");
  std::ifstream in(dir.path / "page.jpg", std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(dir.path / "cut.jpg", std::ios::binary) << bytes.substr(0, bytes.size() / 3);
  const std::string cut = error_code_of(dir.path / "cut.jpg");
  // libjpeg may hand back the part it got; then the page is read and simply has no QR code.
  CHECK((cut.empty() || cut == "corrupt-image"));
  std::ofstream(dir.path / "empty.png", std::ios::binary) << "";
  CHECK(error_code_of(dir.path / "empty.png") == "corrupt-image");
  std::mt19937 rng(7);
  std::string noise(5000, '\0');
  for (auto& c : noise) c = static_cast<char>(rng());
  std::ofstream(dir.path / "noise.png", std::ios::binary) << noise;
  CHECK(error_code_of(dir.path / "noise.png") == "unsupported-format");
  std::ofstream(dir.path / "text.tif", std::ios::binary) << "this is a text file, not a scan\n";
  CHECK(error_code_of(dir.path / "text.tif") == "unsupported-format");
  CHECK(error_code_of(dir.path / "missing.png") == "file-missing");
  std::ofstream(dir.path / "broken.pdf", std::ios::binary) << "%PDF-1.4\nnot really\n";
  const std::string pdf = error_code_of(dir.path / "broken.pdf");
  CHECK((pdf == "corrupt-image" || pdf == "pdf-failed"));
}

TEST_CASE("import: PNG, JPEG, TIFF and PGM pages come back grey at their size") {
  scantest::TempDir dir;
  cv::Mat page(1400, 1000, CV_8UC1, cv::Scalar(240));
  page(cv::Rect(100, 100, 200, 50)).setTo(0);
  for (const char* name : {"p.png", "p.jpg", "p.pgm"}) {
    scancorpus::write_image(page, dir.path / name);
    const auto pages = scanners::import_image_file(dir.path / name);
    REQUIRE(pages.size() == 1);
    CHECK(pages[0].grey.cols == 1000);
    CHECK(pages[0].grey.rows == 1400);
    CHECK(pages[0].grey.at<std::uint8_t>(120, 150) < 40);
    CHECK(pages[0].grey.at<std::uint8_t>(700, 500) > 200);
  }
  auto pix = scanners::pix_from_mat(page);
  REQUIRE(pixWrite((dir.path / "p.tif").c_str(), pix.get(), IFF_TIFF_ZIP) == 0);
  REQUIRE(pixWriteTiff((dir.path / "p.tif").c_str(), pix.get(), IFF_TIFF_ZIP, "a") == 0);  // a second page
  const auto tiff = scanners::import_image_file(dir.path / "p.tif");
  CHECK(tiff.size() == 2);
}

TEST_CASE("messages: every scanner error, page problem and review reason has a text in nb, nn and en") {
  const auto translations = forms::Translations::load_directory(forms::assets_dir() / "i18n");
  for (const char* lang : {"nb", "nn", "en"}) {
    for (auto code : scanners::kErrorCodes)
      CHECK_MESSAGE(translations.has(lang, scanners::message_key(ScanError(std::string(code), ""))), lang, " ", code);
    for (auto code : scanners::kPageProblems)
      CHECK_MESSAGE(translations.has(lang, scanners::problem_key(std::string(code))), lang, " ", code);
    for (auto code : scanners::kReviewReasons)
      CHECK_MESSAGE(translations.has(lang, scanners::reason_key(std::string(code))), lang, " ", code);
  }
  // The sources throw no code that is missing from the list (and so from the catalogues).
  const std::regex thrown(R"re(ScanError\("([a-z-]+)")re");
  int found = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::filesystem::path(KIOSK_SOURCE_DIR) / "scanners/src")) {
    std::ifstream in(entry.path());
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    for (std::sregex_iterator it(text.begin(), text.end(), thrown), end; it != end; ++it, ++found) {
      const std::string code = (*it)[1];
      CHECK_MESSAGE(
          std::find(scanners::kErrorCodes.begin(), scanners::kErrorCodes.end(), code) != scanners::kErrorCodes.end(),
          entry.path().filename().string(), ": ", code);
    }
  }
  CHECK(found > 20);
}

TEST_CASE("import: a 1 x 30 image has no QR code and does not throw (found by fuzz_scan_input)") {
  // The fuzzer's crash input: a PBM of 1 x 30 pixels; the half-size retry must not run on it.
  const std::string pbm = std::string("P4\n1 30\n") + std::string(30, '\x80');
  const auto pages =
      scanners::import_image_memory(reinterpret_cast<const std::uint8_t*>(pbm.data()), pbm.size(), "thin.pbm", [] {
        scanners::ImportLimits limits;
        limits.min_side_px = 1;
        return limits;
      }());
  REQUIRE(pages.size() == 1);
  CHECK(scanners::find_qr_codes(pages.front().grey).empty());
  CHECK(scanners::find_qr_codes(cv::Mat(1, 1, CV_8UC1, cv::Scalar(255))).empty());
}

TEST_CASE("image: remove_specks keeps exactly the 8-connected pieces of at least N pixels (as OpenCV counts them)") {
  // Random dust of every small size, diagonal neighbours, and a few large strokes.
  std::mt19937 rng(11);
  cv::Mat ink(301, 517, CV_8UC1, cv::Scalar(0));  // odd sizes: rows that do not fill whole 32-bit words
  std::uniform_int_distribution<int> x(0, ink.cols - 1), y(0, ink.rows - 1), value(1, 255);
  for (int i = 0; i < 4000; ++i) ink.at<std::uint8_t>(y(rng), x(rng)) = static_cast<std::uint8_t>(value(rng));
  cv::line(ink, {3, 3}, {500, 290}, cv::Scalar(255), 2);
  cv::rectangle(ink, {100, 20}, {140, 60}, cv::Scalar(255), 1);
  for (int min_area : {1, 2, 6, 30}) {
    cv::Mat labels, stats, centroids;
    const int n = cv::connectedComponentsWithStats(ink, labels, stats, centroids, 8, CV_32S);
    cv::Mat expected(ink.size(), CV_8UC1, cv::Scalar(0));
    for (int r = 0; r < ink.rows; ++r)
      for (int c = 0; c < ink.cols; ++c) {
        const int label = labels.at<int>(r, c);
        if (label > 0 && stats.at<int>(label, cv::CC_STAT_AREA) >= min_area) expected.at<std::uint8_t>(r, c) = 255;
      }
    const cv::Mat kept = scanners::remove_specks(ink, min_area);
    REQUIRE(kept.size() == ink.size());
    INFO("min_area " << min_area << ", " << n - 1 << " pieces");
    CHECK(cv::countNonZero(kept != expected) == 0);
    if (min_area > 1) CHECK(cv::countNonZero(kept) < cv::countNonZero(ink));  // something was removed
  }
}
