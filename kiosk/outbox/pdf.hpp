#pragma once
#include <cstdint>
#include <stdexcept>
#include <vector>

#include "store/sqlite.hpp"

namespace kiosk::outbox {

using store::Bytes;

class PageImageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Puts PNG page images (8-bit grey or RGB, not interlaced) into one A4 PDF, one image
// per page. The PNG data is embedded as it is (FlateDecode with PNG predictors), so no
// pixel is decoded or recompressed. Throws PageImageError for other images.
Bytes pages_to_pdf(const std::vector<Bytes>& png_pages);

// A synthetic grey "scanned page" PNG (lines of noise on white), the same for the same
// seed. For tests, demos and benchmarks.
Bytes make_test_page_png(int width, int height, unsigned seed);

}  // namespace kiosk::outbox
