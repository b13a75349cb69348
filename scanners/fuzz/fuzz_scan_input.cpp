// libFuzzer target for the scanner's untrusted inputs: image files (PNG/JPEG/TIFF/PNM headers
// and pixels via Leptonica) and QR texts (print::parse_qr_payload). Built with -DKIOSK_FUZZ=ON
// and clang:  CXX=clang++ CC=clang cmake -S . -B build-fuzz -DKIOSK_FUZZ=ON
//             cmake --build build-fuzz --target fuzz_scan_input && build-fuzz/bin/fuzz_scan_input -max_total_time=60
#include <cstdint>
#include <string_view>

#include "print/qr_payload.hpp"
#include "scanners/error.hpp"
#include "scanners/image.hpp"
#include "scanners/qr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const print::MacKey key(std::vector<std::uint8_t>(32, 'f'));
  // QR payload parsing never throws, whatever the text.
  (void)print::parse_qr_payload(std::string_view(reinterpret_cast<const char*>(data), size), key);
  scanners::ImportLimits limits;
  limits.min_side_px = 1;
  limits.max_side_px = 2000;  // keep each run small
  limits.max_pixels = 2'000'000;
  try {
    const auto pages = scanners::import_image_memory(data, size, "fuzz", limits);
    for (const auto& page : pages) (void)scanners::find_qr_codes(page.grey);
  } catch (const scanners::ScanError&) {
  }
  return 0;
}
