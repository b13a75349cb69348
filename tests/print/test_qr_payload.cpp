#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <fstream>

#include "print/error.hpp"
#include "print/qr_payload.hpp"
#include "support.hpp"

using print::QrPayload;

namespace {
QrPayload sample() {
  return QrPayload{"reservasjon-kjernejournal", "1.0.0", "nb", 2, 3, "SUB-42_x.y", true};
}
}  // namespace

TEST_CASE("qr payload: encode then parse gives the same payload back") {
  const auto key = print_test::test_key();
  const std::string text = print::encode_qr_payload(sample(), key);
  CHECK(text.rfind("HNK1;reservasjon-kjernejournal;1.0.0;nb;2/3;SUB-42_x.y;L;", 0) == 0);
  CHECK(text.size() == std::string("HNK1;reservasjon-kjernejournal;1.0.0;nb;2/3;SUB-42_x.y;L;").size() + 16);
  const auto parsed = print::parse_qr_payload(text, key);
  REQUIRE_MESSAGE(parsed.ok(), parsed.reason);
  CHECK(*parsed.payload == sample());
  CHECK(print::layout_options(*parsed.payload).large_print);
  CHECK(print::verify_qr_mac(text, key));

  QrPayload blank{"x", "2", "en", 1, 1, "", false};
  const auto p2 = print::parse_qr_payload(print::encode_qr_payload(blank, key), key);
  REQUIRE(p2.ok());
  CHECK(*p2.payload == blank);
}

TEST_CASE("qr payload: a changed field, another key or a bad MAC is rejected as forged") {
  const auto key = print_test::test_key();
  std::string text = print::encode_qr_payload(sample(), key);
  std::string tampered = text;
  tampered.replace(tampered.find(";2/3;"), 5, ";3/3;");
  auto r = print::parse_qr_payload(tampered, key);
  CHECK_FALSE(r.ok());
  CHECK(r.error_code == "forged");

  std::vector<std::uint8_t> other(32, 0x55);
  r = print::parse_qr_payload(text, print::MacKey(other));
  CHECK(r.error_code == "forged");

  std::string flipped = text;
  flipped.back() = flipped.back() == '0' ? '1' : '0';
  CHECK(print::parse_qr_payload(flipped, key).error_code == "forged");
  CHECK_FALSE(print::verify_qr_mac(flipped, key));
}

TEST_CASE("qr payload: malformed codes get a clear reason") {
  const auto key = print_test::test_key();
  const std::string good = print::encode_qr_payload(sample(), key);
  const std::string mac = good.substr(good.size() - 16);
  struct Case {
    std::string text, code;
  };
  const std::vector<Case> cases = {
      {"https://example.com", "not-kiosk-code"},
      {"", "not-kiosk-code"},
      {"HNK1;a;1;nb;1/1;s;" + mac, "malformed"},                 // 6 parts
      {"HNK1;a;1;nb;1/1;s;;" + mac + ";x", "malformed"},         // 8 parts
      {"HNK1;a;1;nb;1/1;s;;XYZ", "malformed"},                   // MAC not hex
      {"HNK1;a;1;nb;1/1;s;;" + mac.substr(0, 15), "malformed"},  // MAC too short
      {"HNK1;a b;1;nb;1/1;s;;" + mac, "bad-field"},              // space in form id
      {"HNK1;a;1;xx;1/1;s;;" + mac, "bad-field"},                // unknown language
      {"HNK1;a;1;nb;1/1;s;Q;" + mac, "bad-field"},               // unknown flag
      {"HNK1;a;1;nb;3/2;s;;" + mac, "bad-page"},
      {"HNK1;a;1;nb;0/2;s;;" + mac, "bad-page"},
      {"HNK1;a;1;nb;1-2;s;;" + mac, "bad-page"},
      {"HNK1;a;1;nb;1/1;s;;" + mac, "forged"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    const auto r = print::parse_qr_payload(c.text, key);
    CHECK_FALSE(r.ok());
    CHECK(r.error_code == c.code);
    CHECK_FALSE(r.reason.empty());
  }
}

TEST_CASE("qr payload: encoding refuses fields that would break the format, short keys are refused") {
  const auto key = print_test::test_key();
  auto p = sample();
  p.submission_id = "a;b";
  CHECK_THROWS_AS(print::encode_qr_payload(p, key), print::PrintError);
  p = sample();
  p.page = 4;
  CHECK_THROWS_AS(print::encode_qr_payload(p, key), print::PrintError);
  CHECK_THROWS_AS(print::encode_qr_payload(sample(), print::MacKey(std::vector<std::uint8_t>(8, 1))),
                  print::PrintError);

  // A code whose MAC was made with a too-short key does not verify with that key either.
  const print::MacKey short_key(std::vector<std::uint8_t>(8, 1));
  const std::string good = print::encode_qr_payload(sample(), key);
  const std::string body = good.substr(0, good.rfind(';'));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  REQUIRE(HMAC(EVP_sha256(), short_key.bytes().data(), static_cast<int>(short_key.bytes().size()),
               reinterpret_cast<const unsigned char*>(body.data()), body.size(), digest, &digest_len) != nullptr);
  std::string mac;
  for (std::size_t i = 0; i < (good.size() - body.size() - 1) / 2; ++i) {
    static constexpr char kHex[] = "0123456789abcdef";
    mac += kHex[digest[i] >> 4];
    mac += kHex[digest[i] & 0xF];
  }
  CHECK_FALSE(print::verify_qr_mac(body + ";" + mac, short_key));
  CHECK(print::verify_qr_mac(good, key));

  print_test::TempDir dir;
  CHECK_THROWS_WITH_AS(print::MacKey::load_file(dir.path() / "missing.key"), doctest::Contains("cannot be read"),
                       print::PrintError);
  std::ofstream(dir.path() / "short.key") << "abc\n";
  CHECK_THROWS_AS(print::MacKey::load_file(dir.path() / "short.key"), print::PrintError);
  std::ofstream(dir.path() / "ok.key") << "0123456789abcdef0123\n";
  CHECK(print::MacKey::load_file(dir.path() / "ok.key").bytes().size() == 20);
}
