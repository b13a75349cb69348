#pragma once
#include <random>

#include <opencv2/core.hpp>

namespace scanners {

// Elastic distortion of a small grey glyph (Simard et al. 2003): a random displacement field,
// smoothed so neighbouring pixels move together, bends the strokes the way different hands do.
// `alpha` scales the displacement (pixels of a 28 x 28 glyph: 22-34 is a strong but readable bend).
cv::Mat elastic_distort(const cv::Mat& glyph, std::mt19937& rng, double alpha_min = 22.0, double alpha_max = 34.0);

}  // namespace scanners
