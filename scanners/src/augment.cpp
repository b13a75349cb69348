#include "scanners/augment.hpp"

#include <opencv2/imgproc.hpp>

namespace scanners {

cv::Mat elastic_distort(const cv::Mat& glyph, std::mt19937& rng, double alpha_min, double alpha_max) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  cv::Mat dx(glyph.size(), CV_32F), dy(glyph.size(), CV_32F);
  for (int y = 0; y < glyph.rows; ++y)
    for (int x = 0; x < glyph.cols; ++x) {
      dx.at<float>(y, x) = u(rng);
      dy.at<float>(y, x) = u(rng);
    }
  const double alpha = alpha_min + (alpha_max - alpha_min) * (u(rng) + 1.0) / 2.0;
  cv::GaussianBlur(dx, dx, cv::Size(0, 0), 4.0);
  cv::GaussianBlur(dy, dy, cv::Size(0, 0), 4.0);
  cv::Mat map_x(glyph.size(), CV_32F), map_y(glyph.size(), CV_32F);
  for (int y = 0; y < glyph.rows; ++y)
    for (int x = 0; x < glyph.cols; ++x) {
      map_x.at<float>(y, x) = static_cast<float>(x + alpha * dx.at<float>(y, x));
      map_y.at<float>(y, x) = static_cast<float>(y + alpha * dy.at<float>(y, x));
    }
  cv::Mat src, out;
  glyph.convertTo(src, CV_8U);
  cv::remap(src, out, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  return out;
}

}  // namespace scanners
