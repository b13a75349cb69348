// The text of a QR code on a scanned sheet: anyone can print a sheet with any code on it.
// parse_qr_payload never throws, and accepts only a text whose MAC matches; what it accepts
// encodes back to the same text.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "print/qr_payload.hpp"

namespace {
const print::MacKey& key() {
  static const print::MacKey k(std::vector<std::uint8_t>(32, 'f'));
  return k;
}
}  // namespace

// KIOSK_FUZZ_WRITE_SEEDS=DIR: writes valid codes made with the fuzzing key as seeds, then exits.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("KIOSK_FUZZ_WRITE_SEEDS");
  if (!dir) return 0;
  print::QrPayload p{"hn-fullmakt", "1.2", "nb", 1, 2, "S-20261207-0001", false};
  std::ofstream(std::filesystem::path(dir) / "valid-page1") << print::encode_qr_payload(p, key());
  p.page = 2;
  p.large_print = true;
  p.lang = "nn";
  std::ofstream(std::filesystem::path(dir) / "valid-large") << print::encode_qr_payload(p, key());
  p.submission_id.clear();
  std::ofstream(std::filesystem::path(dir) / "valid-blank") << print::encode_qr_payload(p, key());
  std::exit(0);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = print::parse_qr_payload(text, key());
  if (result.ok() != result.error_code.empty()) std::abort();
  if (result.ok() && print::encode_qr_payload(*result.payload, key()) != text) std::abort();
  return 0;
}
