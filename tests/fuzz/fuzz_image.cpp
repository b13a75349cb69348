// Page images from a USB stick or a scanner: the header checks and decoding (Leptonica), the
// conversion to grey, and the QR search on what comes out. Bad input is a ScanError, never a
// crash, a hang or an allocation the limits forbid.
#include <cstdint>

#include "scanners/error.hpp"
#include "scanners/image.hpp"
#include "scanners/qr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  scanners::ImportLimits limits;
  limits.min_side_px = 1;
  limits.max_side_px = 2000;  // keeps each run small; the checks are the same as for a page
  limits.max_pixels = 2'000'000;
  try {
    const auto pages = scanners::import_image_memory(data, size, "fuzz", limits);
    for (const auto& page : pages) (void)scanners::find_qr_codes(page.grey);
  } catch (const scanners::ScanError&) {
  }
  return 0;
}
