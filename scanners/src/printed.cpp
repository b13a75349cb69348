#include "scanners/printed.hpp"

#include <poppler/cpp/poppler-document.h>
#include <poppler/cpp/poppler-global.h>
#include <poppler/cpp/poppler-image.h>
#include <poppler/cpp/poppler-page-renderer.h>
#include <poppler/cpp/poppler-page.h>

#include <algorithm>
#include <cmath>
#include <memory>

#include <opencv2/imgproc.hpp>

#include "print/pdf.hpp"
#include "scanners/error.hpp"
#include "scanners/image.hpp"

namespace scanners {

namespace {

// The QR code is not compared (it is found and checked on its own), so the rendering may carry
// any key and submission: a fixed one keeps the kiosk's key out of this path.
const print::MacKey& rendering_key() {
  static const print::MacKey key(std::vector<std::uint8_t>(32, 0x5a));
  return key;
}

cv::Rect area_px(const std::vector<print::RectMm>& boxes, double margin_mm, double px_per_mm) {
  cv::Rect u;
  for (const auto& b : boxes) {
    const cv::Rect r(static_cast<int>(std::floor((b.x - margin_mm) * px_per_mm)),
                     static_cast<int>(std::floor((b.y - margin_mm) * px_per_mm)),
                     static_cast<int>(std::ceil((b.w + 2 * margin_mm) * px_per_mm)),
                     static_cast<int>(std::ceil((b.h + 2 * margin_mm) * px_per_mm)));
    u = u.area() == 0 ? r : (u | r);
  }
  return u;
}

// `region` of `m`, `fill` where it lies outside the image.
cv::Mat padded_region(const cv::Mat& m, const cv::Rect& region, std::uint8_t fill = 0) {
  cv::Mat out(region.size(), CV_8UC1, cv::Scalar(fill));
  const cv::Rect inside = region & cv::Rect(0, 0, m.cols, m.rows);
  if (inside.area() > 0)
    m(inside).copyTo(out(cv::Rect(inside.x - region.x, inside.y - region.y, inside.width, inside.height)));
  return out;
}

// Overwrites the rendered PDF (it holds the person's values) before it is freed; volatile so the
// stores are kept.
struct WipeOnExit {
  std::string& bytes;
  ~WipeOnExit() {
    volatile char* p = bytes.data();
    for (std::size_t i = 0; i < bytes.size(); ++i) p[i] = 0;
  }
};

}  // namespace

cv::Mat render_printed_page(const print::FormLayout& layout, int page, const print::Fonts& fonts, double px_per_mm) {
  if (page < 1 || page > static_cast<int>(layout.pages.size()))
    throw ScanError("render-failed", "the printed page " + std::to_string(page) + " is not in the layout");
  // Poppler complains on stderr about the ToUnicode maps libharu writes; the glyphs are what
  // matters here, and the helper's stderr is the kiosk's log.
  static const bool quiet = [] {
    poppler::set_debug_error_function([](const std::string&, void*) {}, nullptr);
    return true;
  }();
  (void)quiet;
  std::string pdf = print::render_form_pdf(layout, "printed", rendering_key(), fonts);
  const WipeOnExit wipe{pdf};
  // Rendered in memory: the sheet's values never reach a file.
  std::unique_ptr<poppler::document> doc(
      poppler::document::load_from_raw_data(pdf.data(), static_cast<int>(pdf.size())));
  if (!doc || doc->is_locked() || doc->pages() < page)
    throw ScanError("render-failed", "the printed sheet could not be rendered again");
  std::unique_ptr<poppler::page> p(doc->create_page(page - 1));
  if (!p) throw ScanError("render-failed", "the printed sheet could not be rendered again");
  poppler::page_renderer renderer;
  renderer.set_render_hint(poppler::page_renderer::antialiasing, true);
  renderer.set_render_hint(poppler::page_renderer::text_antialiasing, true);
  renderer.set_image_format(poppler::image::format_gray8);
  const double dpi = px_per_mm * 25.4;
  const poppler::image image = renderer.render_page(p.get(), dpi, dpi);
  if (!image.is_valid() || image.format() != poppler::image::format_gray8)
    throw ScanError("render-failed", "the printed sheet could not be rendered again");
  // The rectified page's size exactly (the PDF's page may round a pixel either way).
  const cv::Size size(static_cast<int>(print::kPageWidthMm * px_per_mm),
                      static_cast<int>(print::kPageHeightMm * px_per_mm));
  cv::Mat out(size, CV_8UC1, cv::Scalar(255));
  const int w = std::min(size.width, image.width()), h = std::min(size.height, image.height());
  for (int y = 0; y < h; ++y)
    std::copy_n(reinterpret_cast<const std::uint8_t*>(image.const_data()) +
                    static_cast<std::ptrdiff_t>(y) * image.bytes_per_row(),
                w, out.ptr(y));
  return out;
}

PrintedComparison compare_printed(const cv::Mat& scan_grey, const cv::Mat& scan_ink, const cv::Mat& reference_grey,
                                  const std::vector<print::RectMm>& boxes, double px_per_mm,
                                  const PrintedTolerance& tolerance) {
  PrintedComparison out;
  out.area = area_px(boxes, tolerance.margin_mm, px_per_mm) & cv::Rect(0, 0, reference_grey.cols, reference_grey.rows);
  if (out.area.area() <= 0) return out;
  cv::Mat reference;
  cv::threshold(reference_grey(out.area), reference, 140, 255, cv::THRESH_BINARY_INV);
  const int reference_ink = cv::countNonZero(reference);

  // Registration leaves an error of a few pixels that varies over the page: align this area on its own.
  const int s = tolerance.search_px;
  const cv::Rect searched(out.area.x - s, out.area.y - s, out.area.width + 2 * s, out.area.height + 2 * s);
  const cv::Mat wide = padded_region(scan_ink, searched);
  if (reference_ink > 0) {
    cv::Mat wide_f, reference_f, score;
    cv::GaussianBlur(wide, wide_f, cv::Size(5, 5), 0);
    cv::GaussianBlur(reference, reference_f, cv::Size(5, 5), 0);
    wide_f.convertTo(wide_f, CV_32F);
    reference_f.convertTo(reference_f, CV_32F);
    cv::matchTemplate(wide_f, reference_f, score, cv::TM_CCORR_NORMED);
    cv::Point best;
    cv::minMaxLoc(score, nullptr, nullptr, nullptr, &best);
    out.shift = {best.x - s, best.y - s};
  }
  const cv::Mat scan = wide(cv::Rect(s + out.shift.x, s + out.shift.y, out.area.width, out.area.height));
  cv::Mat dark;  // the pen's ink, not a crease's grey
  {
    const cv::Mat grey_wide = padded_region(scan_grey, searched, 255);
    cv::threshold(grey_wide(cv::Rect(s + out.shift.x, s + out.shift.y, out.area.width, out.area.height)), dark,
                  tolerance.pen_darker_than - 1, 255, cv::THRESH_BINARY_INV);
  }

  // Added ink: scan ink that no printed ink (a little fattened) explains, in pieces bigger than dust.
  const int k = 2 * tolerance.slack_px + 1;
  const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k));
  cv::Mat explained, added;
  cv::dilate(reference, explained, kernel);
  cv::bitwise_and(scan, ~explained, added);
  cv::bitwise_and(added, dark, added);
  out.added = remove_specks(added, tolerance.min_piece_px);
  out.added_pixels = cv::countNonZero(out.added);

  // Printed ink the scan lacks (covered, cut off, or not what was printed here at all).
  cv::Mat scan_fat, found;
  cv::dilate(scan, scan_fat, kernel);
  cv::bitwise_and(reference, scan_fat, found);
  out.coverage = reference_ink > 0 ? static_cast<double>(cv::countNonZero(found)) / reference_ink : 1.0;

  // A stroke across several boxes: the value was crossed out. Where the stroke crosses printed ink
  // (box lines, glyphs) that ink explains it, so the stroke comes in pieces: bridged first.
  if (out.added_pixels > 0 && boxes.size() > 1) {
    const double box_w = boxes.front().w * px_per_mm;
    const int bridge = 2 * tolerance.slack_px + static_cast<int>(std::lround(px_per_mm)) + 3;
    cv::Mat joined, labels, stats, centroids;
    cv::morphologyEx(out.added, joined, cv::MORPH_CLOSE,
                     cv::getStructuringElement(cv::MORPH_RECT, cv::Size(bridge, 3)));
    const int n = cv::connectedComponentsWithStats(joined, labels, stats, centroids, 8, CV_32S);
    for (int i = 1; i < n; ++i)
      if (stats.at<int>(i, cv::CC_STAT_WIDTH) > 1.6 * box_w &&
          stats.at<int>(i, cv::CC_STAT_WIDTH) > 2 * stats.at<int>(i, cv::CC_STAT_HEIGHT))
        out.crossed_out = true;
  }
  out.unchanged = out.added_pixels <= tolerance.added_above_px && out.coverage >= tolerance.min_coverage;
  return out;
}

}  // namespace scanners
