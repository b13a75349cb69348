// The text of a QR code on a scanned sheet: anyone can print a sheet with any code on it.
// parse_qr_payload never throws, and accepts only a text whose MAC matches a key of the ring
// (HNK2: the key its id names; HNK1: one of the kiosk's own keys); what it accepts encodes back
// to the same text with that key. A well-formed code it cannot vouch for comes back unverified.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string_view>

#include "print/qr_payload.hpp"

namespace {
print::MacKey key_of(char fill) {
  return print::MacKey(std::vector<std::uint8_t>(32, static_cast<std::uint8_t>(fill)));
}

const print::QrKeyRing& ring() {
  static const print::QrKeyRing r = [] {
    print::QrKeyRing k(key_of('f'));
    k.add(key_of('p'), print::QrKeyRole::Previous);
    k.add(key_of('o'), print::QrKeyRole::Operator);
    return k;
  }();
  return r;
}
}  // namespace

// KIOSK_FUZZ_WRITE_SEEDS=DIR: writes valid codes made with the fuzzing keys as seeds, then exits.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("KIOSK_FUZZ_WRITE_SEEDS");
  if (!dir) return 0;
  const std::filesystem::path out(dir);
  const auto hnk1 = print::QrFormat::Hnk1;
  print::QrPayload p{"hn-fullmakt", "1.2", "nb", 1, 2, "S-20261207-0001", false};
  std::ofstream(out / "valid-page1") << print::encode_qr_payload(p, key_of('f'), hnk1);
  std::ofstream(out / "valid-hnk2-page1") << print::encode_qr_payload(p, key_of('f'));
  std::ofstream(out / "valid-hnk2-operator") << print::encode_qr_payload(p, key_of('o'));
  std::ofstream(out / "unknown-key-hnk2") << print::encode_qr_payload(p, key_of('x'));
  p.page = 2;
  p.large_print = true;
  p.lang = "nn";
  std::ofstream(out / "valid-large") << print::encode_qr_payload(p, key_of('f'), hnk1);
  std::ofstream(out / "valid-hnk2-previous") << print::encode_qr_payload(p, key_of('p'));
  p.submission_id.clear();
  std::ofstream(out / "valid-blank") << print::encode_qr_payload(p, key_of('f'), hnk1);
  std::exit(0);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = print::parse_qr_payload(text, ring());
  if (result.ok() != result.error_code.empty()) std::abort();
  const bool doubtful = result.error_code == "unknown-key" || result.error_code == "forged";
  if (result.unverified.has_value() != doubtful) std::abort();
  if (result.ok()) {
    const auto* key = ring().find(result.key_id);
    if (!key || print::encode_qr_payload(*result.payload, key->key, result.format) != text) std::abort();
  }
  return 0;
}
