#define ZX_USE_UTF8 1
#include "scanners/qr.hpp"

#include <ZXing/ReadBarcode.h>

#include <opencv2/imgproc.hpp>

namespace scanners {

namespace {

std::vector<FoundQr> read_codes(const cv::Mat& grey, double scale_back) {
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  hints.setTryRotate(true);
  hints.setTryDownscale(true);
  const ZXing::ImageView view(grey.data, grey.cols, grey.rows, ZXing::ImageFormat::Lum, static_cast<int>(grey.step));
  std::vector<FoundQr> out;
  for (const auto& result : ZXing::ReadBarcodes(view, hints)) {
    if (!result.isValid()) continue;
    FoundQr qr;
    qr.text = result.text();
    const auto& pos = result.position();
    for (int i = 0; i < 4; ++i)
      qr.corners[static_cast<size_t>(i)] =
          cv::Point2f(static_cast<float>(pos[i].x * scale_back), static_cast<float>(pos[i].y * scale_back));
    out.push_back(std::move(qr));
  }
  return out;
}

}  // namespace

std::vector<FoundQr> find_qr_codes(const cv::Mat& grey) {
  if (grey.empty()) return {};
  CV_Assert(grey.type() == CV_8UC1);
  auto found = read_codes(grey, 1.0);
  // Too small to hold a QR code at half size (cv::resize throws on an empty size; found by fuzzing).
  if (!found.empty() || grey.cols < 42 || grey.rows < 42) return found;
  // Blurred or noisy pages: a smoothed, half-size copy often decodes when the original does not.
  cv::Mat small;
  cv::resize(grey, small, cv::Size(), 0.5, 0.5, cv::INTER_AREA);
  return read_codes(small, 2.0);
}

}  // namespace scanners
