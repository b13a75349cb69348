// Acquisition through the real libsane: the pnm backend reads prepared page images as if
// scanned, and its status options simulate a jam, an open cover and an empty feeder. Each test
// case sets SANE_CONFIG_DIR for itself (ScopedEnv) and puts it back when it ends.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <atomic>
#include <chrono>
#include <functional>
#include <thread>

#include <opencv2/imgproc.hpp>

#include "corpus.hpp"
#include "../sane_test_backend.hpp"
#include "scoped_env.hpp"
#include "scan_test_util.hpp"
#include "scanners/error.hpp"
#include "scanners/sane_scanner.hpp"

namespace {

// A private SANE configuration listing only the given backends.
struct SaneConfig {
  scantest::TempDir dir;
  explicit SaneConfig(const std::string& backends) {
    if (backends.find("test") != std::string::npos) kiosk_test::keep_sane_test_backend_loaded();
    std::ofstream(dir.path / "dll.conf") << backends;
  }
  // After `dir`: SANE reads its configuration from here, and the old value comes back after the case.
  kiosk_test::ScopedEnv env{"SANE_CONFIG_DIR", dir.path.string()};
};

cv::Mat test_page(int seed) {
  cv::Mat page(1000, 700, CV_8UC1, cv::Scalar(235));
  cv::rectangle(page, cv::Rect(50 + seed * 10, 80, 300, 120), cv::Scalar(10), -1);
  return page;
}

std::string scan_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const scanners::ScanError& e) {
    return e.code();
  }
  return "";
}

}  // namespace

TEST_CASE("sane: pnm backend is listed and a flatbed scan returns the prepared page in grey") {
  SaneConfig config("pnm\n");
  scantest::TempDir files;
  const cv::Mat page = test_page(0);
  scancorpus::write_image(page, files.path / "page.pgm");
  scanners::SaneSession session;
  const auto devices = session.list_devices();
  REQUIRE(devices.size() == 2);
  CHECK(devices[0].name.rfind("pnm:", 0) == 0);
  auto device = session.open("pnm:0");
  REQUIRE(device->set_option("filename", (files.path / "page.pgm").string()));
  const auto pages = device->scan({});
  REQUIRE(pages.size() == 1);
  CHECK(pages[0].grey.cols == page.cols);
  CHECK(pages[0].grey.rows == page.rows);
  CHECK(pages[0].grey.at<std::uint8_t>(100, 100) < 40);
  CHECK(pages[0].grey.at<std::uint8_t>(600, 600) > 200);
  CHECK(pages[0].dpi_hint == 300);
}

TEST_CASE("sane: a feeder batch scans until the feeder is empty") {
  SaneConfig config("pnm\n");
  scantest::TempDir files;
  for (int i = 0; i < 3; ++i) scancorpus::write_image(test_page(i), files.path / ("p" + std::to_string(i) + ".pgm"));
  scanners::SaneSession session;
  auto device = session.open("pnm:0");
  REQUIRE(device->set_option("filename", (files.path / "p0.pgm").string()));
  int fed = 1;
  scanners::ScanSettings settings;
  settings.source = scanners::PaperSource::Feeder;
  // The pnm backend has no feeder: after each page, the "next sheet" is loaded, and after the
  // last one the backend is told to report SANE_STATUS_NO_DOCS, as a real ADF does when empty.
  const auto pages = device->scan(settings, [&](const scanners::PageImage&) {
    if (fed < 3)
      device->set_option("filename", (files.path / ("p" + std::to_string(fed++) + ".pgm")).string());
    else
      device->set_option("status-nodocs", true);
    return true;
  });
  REQUIRE(pages.size() == 3);
  // Each page is the sheet that was fed: the black block moves 10 px per sheet.
  for (int i = 0; i < 3; ++i) {
    CHECK(pages[static_cast<size_t>(i)].grey.at<std::uint8_t>(100, 55 + i * 10) < 40);
    CHECK(pages[static_cast<size_t>(i)].grey.at<std::uint8_t>(100, 45 + i * 10) > 200);
  }
}

TEST_CASE("sane: jam, open cover and empty feeder become plain-language errors") {
  SaneConfig config("pnm\n");
  scantest::TempDir files;
  scancorpus::write_image(test_page(0), files.path / "page.pgm");
  scanners::SaneSession session;
  auto device = session.open("pnm:0");
  REQUIRE(device->set_option("filename", (files.path / "page.pgm").string()));
  REQUIRE(device->set_option("status-jammed", true));
  std::string message;
  try {
    device->scan({});
  } catch (const scanners::ScanError& e) {
    CHECK(e.code() == "jammed");
    message = e.what();
  }
  CHECK(message.find("stuck") != std::string::npos);
  device->set_option("status-jammed", false);
  REQUIRE(device->set_option("status-coveropen", true));
  CHECK(scan_error([&] { device->scan({}); }) == "cover-open");
  device->set_option("status-coveropen", false);
  REQUIRE(device->set_option("status-nodocs", true));
  scanners::ScanSettings feeder;
  feeder.source = scanners::PaperSource::Feeder;
  CHECK(scan_error([&] { device->scan(feeder); }) == "no-paper");
}

TEST_CASE("sane: the test backend's feeder runs empty after its 10 pages") {
  SaneConfig config("test\n");
  scanners::SaneSession session;
  auto device = session.open("test:0");
  const auto sources = device->sources();
  REQUIRE(sources.size() == 2);
  device->set_option("test-picture", std::string("Grid"));
  scanners::ScanSettings settings;
  settings.dpi = 50;
  settings.source = scanners::PaperSource::Feeder;
  const auto pages = device->scan(settings);
  CHECK(pages.size() == 10);  // the test backend's ADF holds 10 sheets
}

TEST_CASE("sane: cancel stops a feeder batch part-way, from the page callback and from another thread") {
  SaneConfig config("test\n");
  scanners::SaneSession session;
  auto device = session.open("test:0");
  device->set_option("test-picture", std::string("Grid"));
  scanners::ScanSettings feeder;
  feeder.dpi = 50;
  feeder.source = scanners::PaperSource::Feeder;

  // From the page callback: after the third of the feeder's 10 sheets.
  int seen = 0;
  CHECK(scan_error([&] {
          device->scan(feeder, [&](const scanners::PageImage&) {
            if (++seen == 3) device->cancel();
            return true;
          });
        }) == "cancelled");
  CHECK(seen == 3);

  // The device is usable again: a flatbed scan gives its one page.
  scanners::ScanSettings flatbed;
  flatbed.dpi = 50;
  CHECK(device->scan(flatbed).size() == 1);

  // From another thread while a sheet is being read (slowed down so the cancel lands inside a page).
  REQUIRE(device->set_option("read-limit", true));
  REQUIRE(device->set_option("read-limit-size", 1024));
  REQUIRE(device->set_option("read-delay", true));
  REQUIRE(device->set_option("read-delay-duration", 2000));
  std::atomic<int> pages_seen{0};
  std::thread stopper([&] {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (pages_seen < 2 && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // into the next sheet
    device->cancel();
  });
  const auto started = std::chrono::steady_clock::now();
  const std::string stopped = scan_error([&] {
    device->scan(feeder, [&](const scanners::PageImage&) {
      ++pages_seen;
      return true;
    });
  });
  stopper.join();
  CHECK(stopped == "cancelled");
  CHECK(pages_seen >= 2);
  CHECK(pages_seen < 10);
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(60));

  // And usable after that too, at full speed: the whole feeder.
  REQUIRE(device->set_option("read-delay", false));
  REQUIRE(device->set_option("read-limit", false));
  const auto again = device->scan(feeder);
  CHECK(again.size() > 0);
  CHECK(again.size() <= 10);
  CHECK(device->scan(flatbed).size() == 1);
}

TEST_CASE("sane: no scanner configured gives a plain no-scanner error") {
  SaneConfig config("");
  scanners::SaneSession session;
  CHECK(session.list_devices().empty());
  CHECK(scan_error([&] { session.open(""); }) == "no-scanner");
  CHECK(scan_error([&] { session.open("nosuchscanner:0"); }) == "no-scanner");
}

namespace {

// Rows into a PNG file (as the kiosk's scan service does).
class PngRows final : public scanners::PageRows {
 public:
  PngRows(const std::filesystem::path& file, int width, std::function<void()> after = {})
      : writer_(file, width), after_(std::move(after)) {}
  void add_row(const std::uint8_t* grey) override { writer_.add_row(grey); }
  void finish(int rows) override {
    CHECK(rows == writer_.rows());
    writer_.finish();
    if (after_) after_();
  }

 private:
  scanners::PngRowWriter writer_;
  std::function<void()> after_;
};

// A page with every kind of content PNG's filters meet: flat paper, hard edges, noise.
cv::Mat noisy_page(int rows, int cols) {
  cv::Mat page(rows, cols, CV_8UC1, cv::Scalar(240));
  cv::randu(page(cv::Rect(0, rows / 2, cols, rows / 2)), cv::Scalar(0), cv::Scalar(256));
  cv::rectangle(page, cv::Rect(20, 30, cols / 3, rows / 5), cv::Scalar(3), -1);
  cv::line(page, cv::Point(0, 0), cv::Point(cols - 1, rows / 2 - 1), cv::Scalar(90), 3);
  return page;
}

bool same_pixels(const cv::Mat& a, const cv::Mat& b) {
  return a.size() == b.size() && a.type() == b.type() && cv::countNonZero(a != b) == 0;
}

}  // namespace

TEST_CASE("image: PngRowWriter writes rows into a PNG that reads back pixel for pixel, height known only at the end") {
  scantest::TempDir files;
  const cv::Mat page = noisy_page(701, 523);
  const auto file = files.path / "rows.png";
  {
    scanners::PngRowWriter writer(file, page.cols);
    for (int y = 0; y < page.rows; ++y) writer.add_row(page.ptr<std::uint8_t>(y));
    CHECK(writer.rows() == page.rows);
    writer.finish();
  }
  const auto read = scanners::import_image_file(file);  // Leptonica's PNG reader (libpng)
  REQUIRE(read.size() == 1);
  CHECK(same_pixels(read[0].grey, page));
  // A file whose writer went away before finish() is removed; an empty page is refused.
  const auto unfinished = files.path / "unfinished.png";
  {
    scanners::PngRowWriter writer(unfinished, page.cols);
    writer.add_row(page.ptr<std::uint8_t>(0));
    CHECK(std::filesystem::exists(unfinished));
  }
  CHECK_FALSE(std::filesystem::exists(unfinished));
  scanners::PngRowWriter empty(files.path / "empty.png", 10);
  CHECK(scan_error([&] { empty.finish(); }) == "io-error");
  CHECK(scan_error([&] { scanners::PngRowWriter(files.path / "no-such-dir" / "x.png", 10); }) == "io-error");
}

TEST_CASE("sane: scan_rows streams each sheet of a feeder batch into its own file, the same pixels as scan()") {
  SaneConfig config("pnm\n");
  scantest::TempDir files;
  std::vector<cv::Mat> sheets;
  for (int i = 0; i < 2; ++i) {
    sheets.push_back(noisy_page(900 + 50 * i, 640));
    scancorpus::write_image(sheets.back(), files.path / ("p" + std::to_string(i) + ".pgm"));
  }
  scanners::SaneSession session;
  auto device = session.open("pnm:0");
  REQUIRE(device->set_option("filename", (files.path / "p0.pgm").string()));
  scanners::ScanSettings settings;
  settings.source = scanners::PaperSource::Feeder;
  std::vector<std::filesystem::path> written;
  const int pages = device->scan_rows(settings, [&](int page, int width) -> std::unique_ptr<scanners::PageRows> {
    written.push_back(files.path / ("scan" + std::to_string(page) + ".png"));
    // After each sheet the next one is loaded (the pnm backend has no feeder); after the
    // last one the backend reports an empty feeder, as a real ADF does.
    return std::make_unique<PngRows>(written.back(), width, [&, page] {
      if (page < 2)
        device->set_option("filename", (files.path / ("p" + std::to_string(page) + ".pgm")).string());
      else
        device->set_option("status-nodocs", true);
    });
  });
  REQUIRE(pages == 2);
  REQUIRE(written.size() == 2);
  for (size_t i = 0; i < 2; ++i) {
    const auto read = scanners::import_image_file(written[i]);
    REQUIRE(read.size() == 1);
    CHECK(same_pixels(read[0].grey, sheets[i]));
  }
  // scan() (rows into page images) gives the same pixels.
  REQUIRE(device->set_option("status-nodocs", false));
  REQUIRE(device->set_option("filename", (files.path / "p1.pgm").string()));
  const auto images = device->scan({});
  REQUIRE(images.size() == 1);
  CHECK(same_pixels(images[0].grey, sheets[1]));
}
