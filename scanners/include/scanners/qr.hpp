#pragma once
#include <array>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

namespace scanners {

// A QR code found on a page: its text and its four corners in image pixels, in the code's own
// orientation (top-left, top-right, bottom-right, bottom-left as printed). The corners tell how
// the page lies (rotated by 90/180 degrees, skewed) before any corner mark is found.
struct FoundQr {
  std::string text;
  std::array<cv::Point2f, 4> corners;
};

// Every QR code ZXing finds in a grey page (tries harder, rotations, downscaling).
std::vector<FoundQr> find_qr_codes(const cv::Mat& grey);

}  // namespace scanners
