// A receipt from the broker's reply queue: anyone who can write to the queue can send bytes.
// First byte 0: the rest is the JSON inside a receipt, checked as Outbox::apply_receipts does;
// otherwise the bytes are the CMS message itself, opened with the kiosk's test key and checked
// against the test CA (tests/fuzz/receipt-keys, TEST keys only). Bad input is a CryptoError or
// a JSON error, never a crash or a leak.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "outbox/crypto.hpp"

namespace {
namespace ob = kiosk::outbox;
const std::filesystem::path keys = std::filesystem::path(KIOSK_FUZZ_SOURCE_DIR) / "tests/fuzz/receipt-keys";

struct Keys {
  ob::KeyPair kiosk{ob::load_certificate(keys / "kiosk-decryption.pem"), ob::load_private_key(keys / "kiosk-decryption.key")};
  ob::X509Ptr ca = ob::load_certificate(keys / "ca.pem");
  ob::X509Ptr platform = ob::load_certificate(keys / "platform-signing.pem");
};
const Keys& test_keys() {
  static const Keys k;
  return k;
}
}  // namespace

// KIOSK_FUZZ_WRITE_SEEDS=DIR: makes the test keys (once), and writes a real receipt (signed
// by the test platform key, encrypted to the test kiosk key) and its JSON as seeds, then exits.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  const char* dir = std::getenv("KIOSK_FUZZ_WRITE_SEEDS");
  if (!dir) return 0;
  if (!std::filesystem::exists(keys / "ca.pem")) {
    std::filesystem::create_directories(keys);
    const auto ca = ob::make_ca("Helsenorge kiosk FUZZ TEST CA");
    ob::write_pem(ca, keys / "ca.pem", keys / "ca.key");
    ob::write_pem(ob::make_certificate(ca, {"kiosk decryption (FUZZ TEST)", "critical,dataEncipherment,keyEncipherment", -1, 36500}),
                  keys / "kiosk-decryption.pem", keys / "kiosk-decryption.key");
    ob::write_pem(ob::make_certificate(ca, {"platform signing (FUZZ TEST)", "critical,nonRepudiation,digitalSignature", -1, 36500}),
                  keys / "platform-signing.pem", keys / "platform-signing.key");
    std::filesystem::remove(keys / "ca.key");  // nothing more is signed with it
  }
  const std::string body = R"({"messageId":"3f0c1a9e-0000-4000-8000-000000000001","outcome":"accepted",)"
                           R"("platformReference":"HN-2026-000001"})";
  ob::KeyPair platform{ob::load_certificate(keys / "platform-signing.pem"),
                       ob::load_private_key(keys / "platform-signing.key")};
  const auto message = ob::sign_then_encrypt(ob::Bytes(body.begin(), body.end()), platform, test_keys().kiosk.certificate.get());
  std::ofstream(std::filesystem::path(dir) / "cms-accepted", std::ios::binary)
      .write(reinterpret_cast<const char*>(message.data()), static_cast<std::streamsize>(message.size()));
  std::ofstream(std::filesystem::path(dir) / "json-accepted", std::ios::binary) << '\0' << body;
  std::exit(0);
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 0 && data[0] == 0) {
    const auto body = nlohmann::json::parse(data + 1, data + size, nullptr, false);
    if (!body.is_discarded() && body.is_object() && body.contains("messageId") && body.contains("outcome")) {
      (void)body["messageId"].dump();
      (void)body["outcome"].dump();
    }
    return 0;
  }
  const Keys& k = test_keys();
  try {
    const auto opened = ob::decrypt_then_verify(ob::Bytes(data, data + size), {&k.kiosk}, k.ca.get(), k.platform.get());
    (void)nlohmann::json::parse(opened.content.begin(), opened.content.end(), nullptr, false);
  } catch (const ob::CryptoError&) {
  }
  return 0;
}
