#include <doctest/doctest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <sys/stat.h>

#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "print/error.hpp"
#include "print/qr_key_files.hpp"
#include "print/qr_payload.hpp"
#include "support.hpp"

using print::QrPayload;

namespace {
QrPayload sample() {
  return QrPayload{"reservasjon-kjernejournal", "1.0.0", "nb", 2, 3, "SUB-42_x.y", true};
}
}  // namespace

static print::MacKey key_of(std::uint8_t fill) {
  return print::MacKey(std::vector<std::uint8_t>(32, fill));
}

TEST_CASE("qr payload: encode then parse gives the same payload back, with the key id (HNK2)") {
  const auto key = print_test::test_key();
  const std::string id = key.id();
  REQUIRE(id.size() == 8);
  CHECK(id.find_first_not_of("0123456789abcdef") == std::string::npos);
  CHECK(id == print_test::test_key().id());  // derived from the key alone
  CHECK(id != key_of(0x55).id());
  const std::string text = print::encode_qr_payload(sample(), key);
  const std::string head = "HNK2;" + id + ";reservasjon-kjernejournal;1.0.0;nb;2/3;SUB-42_x.y;L;";
  CHECK(text.rfind(head, 0) == 0);
  CHECK(text.size() == head.size() + 16);
  const auto parsed = print::parse_qr_payload(text, key);
  REQUIRE_MESSAGE(parsed.ok(), parsed.reason);
  CHECK(*parsed.payload == sample());
  CHECK(parsed.format == print::QrFormat::Hnk2);
  CHECK(parsed.key_id == id);
  CHECK(parsed.key_role == print::QrKeyRole::Current);
  CHECK(print::layout_options(*parsed.payload).large_print);
  CHECK(print::verify_qr_mac(text, key));

  QrPayload blank{"x", "2", "en", 1, 1, "", false};
  const auto p2 = print::parse_qr_payload(print::encode_qr_payload(blank, key), key);
  REQUIRE(p2.ok());
  CHECK(*p2.payload == blank);
}

TEST_CASE("qr payload: a changed field or a bad MAC is forged, another kiosk's key is unknown-key") {
  const auto key = print_test::test_key();
  std::string text = print::encode_qr_payload(sample(), key);
  std::string tampered = text;
  tampered.replace(tampered.find(";2/3;"), 5, ";3/3;");
  auto r = print::parse_qr_payload(tampered, key);
  CHECK_FALSE(r.ok());
  CHECK(r.error_code == "forged");
  // What it says is kept for staff, marked as not vouched for.
  REQUIRE(r.unverified);
  CHECK(r.unverified->page == 3);
  CHECK(r.key_id == key.id());

  r = print::parse_qr_payload(text, key_of(0x55));
  CHECK_FALSE(r.ok());
  CHECK(r.error_code == "unknown-key");
  CHECK(r.key_id == key.id());
  REQUIRE(r.unverified);
  CHECK(*r.unverified == sample());

  // A key id changed to one the ring has does not help: the MAC covers the id.
  std::string swapped = text;
  swapped.replace(5, 8, key_of(0x55).id());
  print::QrKeyRing both(key);
  both.add(key_of(0x55), print::QrKeyRole::Operator);
  CHECK(print::parse_qr_payload(swapped, both).error_code == "forged");

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
      {"HNK1;a;1;nb;1/1;s;;" + mac, "unknown-key"},         // no key id: none of ours matches
      {"HNK2;a;1;nb;1/1;s;;" + mac, "malformed"},           // HNK2 without the key id
      {"HNK2;ABCDEF01;a;1;nb;1/1;s;;" + mac, "malformed"},  // key id not lower-case hex
      {"HNK2;abc;a;1;nb;1/1;s;;" + mac, "malformed"},       // key id too short
      {"HNK2;0123abcd;a;1;nb;1/1;s;;" + mac, "unknown-key"},
      {"HNK3;0123abcd;a;1;nb;1/1;s;;" + mac, "not-kiosk-code"},
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

TEST_CASE("qr payload: old HNK1 sheets verify with the kiosk's own keys only") {
  const auto own = print_test::test_key();
  const auto text = print::encode_qr_payload(sample(), own, print::QrFormat::Hnk1);
  CHECK(text.rfind("HNK1;reservasjon-kjernejournal;1.0.0;nb;2/3;SUB-42_x.y;L;", 0) == 0);
  auto r = print::parse_qr_payload(text, own);
  REQUIRE_MESSAGE(r.ok(), r.reason);
  CHECK(r.format == print::QrFormat::Hnk1);
  CHECK(*r.payload == sample());

  // After a rotation the old key is a previous key: its HNK1 sheets still verify.
  print::QrKeyRing rotated(key_of(0x21));
  rotated.add(own, print::QrKeyRole::Previous);
  r = print::parse_qr_payload(text, rotated);
  REQUIRE_MESSAGE(r.ok(), r.reason);
  CHECK(r.key_role == print::QrKeyRole::Previous);
  CHECK(r.key_id == own.id());

  // An operator key never made HNK1 sheets (they predate operator keys): not tried.
  print::QrKeyRing operator_only(key_of(0x21));
  operator_only.add(own, print::QrKeyRole::Operator);
  r = print::parse_qr_payload(text, operator_only);
  CHECK(r.error_code == "unknown-key");
  REQUIRE(r.unverified);
  CHECK(*r.unverified == sample());
}

TEST_CASE("qr payload: a ring accepts previous and operator keys by id") {
  const auto current = key_of(0x01), previous = key_of(0x02), operator_key = key_of(0x03);
  print::QrKeyRing ring(current);
  ring.add(previous, print::QrKeyRole::Previous);
  ring.add(operator_key, print::QrKeyRole::Operator);
  ring.add(key_of(0x02), print::QrKeyRole::Operator);  // the same key twice is kept once
  CHECK(ring.entries().size() == 3);
  CHECK(ring.current().id() == current.id());
  for (const auto* k : {&current, &previous, &operator_key}) {
    const auto r = print::parse_qr_payload(print::encode_qr_payload(sample(), *k), ring);
    REQUIRE_MESSAGE(r.ok(), r.reason);
    CHECK(r.key_id == k->id());
  }
  CHECK(print::parse_qr_payload(print::encode_qr_payload(sample(), operator_key), ring).key_role ==
        print::QrKeyRole::Operator);
  CHECK(print::parse_qr_payload(print::encode_qr_payload(sample(), key_of(0x04)), ring).error_code == "unknown-key");
}

namespace {
mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  REQUIRE(::stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}
}  // namespace

TEST_CASE("qr key files: created once, rotated into the ring, operator keys imported") {
  print_test::TempDir dir;
  const auto current = dir.path() / "state" / "qr-mac.key";
  std::filesystem::create_directories(current.parent_path());
  REQUIRE(print::create_qr_key(current));
  CHECK(mode_of(current) == 0600);
  const auto first = print::MacKey::load_file(current);
  CHECK(first.bytes().size() == 32);
  CHECK_FALSE(print::create_qr_key(current));  // never overwritten
  CHECK(print::MacKey::load_file(current).bytes() == first.bytes());

  const std::string sheet = print::encode_qr_payload(sample(), first);
  const auto rotation = print::rotate_qr_key(current, 2);
  CHECK(rotation.old_id == first.id());
  CHECK(rotation.new_id != first.id());
  CHECK(print::MacKey::load_file(current).id() == rotation.new_id);
  const auto kept = print::qr_key_ring_dir(current) / ("previous-" + first.id() + ".key");
  CHECK(mode_of(kept) == 0600);
  CHECK(mode_of(print::qr_key_ring_dir(current)) == 0700);
  // The sheet printed before the rotation still verifies, as a previous key's.
  auto r = print::parse_qr_payload(sheet, print::load_qr_key_ring(current));
  REQUIRE_MESSAGE(r.ok(), r.reason);
  CHECK(r.key_role == print::QrKeyRole::Previous);

  // Only the newest `keep` previous keys stay.
  print::rotate_qr_key(current, 2);
  const auto third = print::rotate_qr_key(current, 2);
  REQUIRE(third.dropped.size() == 1);
  CHECK(third.dropped.front() == first.id());
  CHECK_FALSE(std::filesystem::exists(kept));
  CHECK(print::parse_qr_payload(sheet, print::load_qr_key_ring(current)).error_code == "unknown-key");

  // An operator key from another kiosk's USB stick.
  const auto op_file = dir.path() / "usb" / print::kOperatorQrKeyFileName;
  std::filesystem::create_directories(op_file.parent_path());
  std::ofstream(op_file, std::ios::binary) << std::string(32, 'O');
  const auto op_key = print::MacKey::load_file(op_file);
  const auto other_kiosk_sheet = print::encode_qr_payload(sample(), op_key);
  CHECK(print::parse_qr_payload(other_kiosk_sheet, print::load_qr_key_ring(current)).error_code == "unknown-key");
  CHECK(print::import_qr_operator_key(current, op_file) == op_key.id());
  CHECK(print::import_qr_operator_key(current, op_file) == op_key.id());  // again: nothing changes
  r = print::parse_qr_payload(other_kiosk_sheet, print::load_qr_key_ring(current));
  REQUIRE_MESSAGE(r.ok(), r.reason);
  CHECK(r.key_role == print::QrKeyRole::Operator);
  // The kiosk's own key is not an operator key; a short file is not a key.
  CHECK_THROWS_AS(print::import_qr_operator_key(current, current), print::PrintError);
  std::ofstream(dir.path() / "short.key") << "short";
  CHECK_THROWS_AS(print::import_qr_operator_key(current, dir.path() / "short.key"), print::PrintError);

  const auto listed = print::list_qr_keys(current);
  REQUIRE(listed.size() == 4);  // current, two previous, one operator
  CHECK(listed[0].role == print::QrKeyRole::Current);
  CHECK(listed[0].id == print::MacKey::load_file(current).id());
  CHECK(listed[1].role == print::QrKeyRole::Previous);
  CHECK(listed[3].role == print::QrKeyRole::Operator);
  for (const auto& k : listed) CHECK(k.problem.empty());

  // A ring file renamed to pass for another key is not used, and is named as a problem.
  std::filesystem::rename(print::qr_key_ring_dir(current) / ("operator-" + op_key.id() + ".key"),
                          print::qr_key_ring_dir(current) / "operator-00000000.key");
  CHECK(print::parse_qr_payload(other_kiosk_sheet, print::load_qr_key_ring(current)).error_code == "unknown-key");
  bool named = false;
  for (const auto& k : print::list_qr_keys(current)) named = named || !k.problem.empty();
  CHECK(named);
}

TEST_CASE(
    "qr key files: a random key that ends with the byte 0x0A keeps all its bytes, a typed text key loses its line "
    "break") {
  print_test::TempDir dir;
  std::vector<std::uint8_t> binary(32, 0x9c);
  binary.back() = '\n';
  const auto binary_file = dir.path() / "binary.key";
  std::ofstream(binary_file, std::ios::binary).write(reinterpret_cast<const char*>(binary.data()), 32);
  const auto loaded = print::MacKey::load_file(binary_file);
  CHECK(loaded.bytes() == binary);
  CHECK(loaded.id() == print::MacKey(binary).id());  // the id a rotation names it by

  const auto text_file = dir.path() / "text.key";
  std::ofstream(text_file) << "00112233445566778899aabbccddeeff\n";
  CHECK(print::MacKey::load_file(text_file).bytes().size() == 32);
}

TEST_CASE("qr key files: two rotations at the same moment lose no key") {
  print_test::TempDir dir;
  const auto current = dir.path() / "qr-mac.key";
  REQUIRE(print::create_qr_key(current));
  constexpr int kThreads = 2, kRotations = 12;
  std::vector<std::vector<print::QrRotation>> done(kThreads);
  std::vector<std::thread> rotators;
  for (int t = 0; t < kThreads; ++t)
    rotators.emplace_back([&, t] {
      for (int i = 0; i < kRotations; ++i) done[t].push_back(print::rotate_qr_key(current, 100));
    });
  for (auto& r : rotators) r.join();
  // Every key that was ever current is the current key now or a previous key in the ring.
  std::set<std::string> previous, made;
  for (const auto& info : print::list_qr_keys(current))
    if (info.role == print::QrKeyRole::Previous && info.problem.empty()) previous.insert(info.id);
  for (const auto& rotations : done)
    for (const auto& r : rotations) made.insert(r.new_id);
  const std::string now = print::MacKey::load_file(current).id();
  CHECK(made.size() == kThreads * kRotations);
  for (const auto& id : made) CHECK_MESSAGE((id == now || previous.count(id) == 1), "key " << id << " was lost");
  CHECK(previous.size() == kThreads * kRotations);  // the first key and all but the last new one
}
