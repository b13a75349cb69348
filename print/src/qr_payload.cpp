#include "print/qr_payload.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <iterator>

#include "forms/localized_text.hpp"
#include "print/error.hpp"

namespace print {
namespace {

constexpr std::string_view kPrefix1 = "HNK1;";
constexpr std::string_view kPrefix2 = "HNK2;";
constexpr std::size_t kKeyIdHex = 8;
constexpr std::size_t kMacBytes = 8;
constexpr std::size_t kMinKeyBytes = 16;

bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
}

bool valid_id(std::string_view s, std::size_t min_len, std::size_t max_len) {
  return s.size() >= min_len && s.size() <= max_len && std::all_of(s.begin(), s.end(), is_id_char);
}

std::string to_hex(const unsigned char* bytes, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0xF];
  }
  return out;
}

std::string mac_hex(std::string_view message, const MacKey& key) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int digest_len = 0;
  const auto& k = key.bytes();
  if (HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()), reinterpret_cast<const unsigned char*>(message.data()),
           message.size(), digest, &digest_len) == nullptr)
    throw PrintError("mac-failed", "could not compute the QR code's MAC (OpenSSL HMAC failed)");
  return to_hex(digest, kMacBytes);
}

bool is_lower_hex(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, pos - start));
    start = pos + 1;
  }
}

bool parse_int(std::string_view s, int& out) {
  if (s.empty() || s.size() > 2) return false;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && ptr == s.data() + s.size();
}

QrParseResult reject(std::string code, std::string reason) {
  QrParseResult r;
  r.error_code = std::move(code);
  r.reason = std::move(reason);
  return r;
}

}  // namespace

MacKey::MacKey(std::vector<std::uint8_t> bytes) : bytes_(std::move(bytes)) {}

MacKey::~MacKey() {
  if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
}

std::string MacKey::id() const {
  if (bytes_.empty()) return "";
  // A fixed label first, so the id is not simply a hash of the key that something else might use.
  static constexpr std::string_view kLabel = "helsenorge-kiosk qr key id\n";
  std::vector<unsigned char> input(kLabel.begin(), kLabel.end());
  input.insert(input.end(), bytes_.begin(), bytes_.end());
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(input.data(), input.size(), digest);
  OPENSSL_cleanse(input.data(), input.size());
  return to_hex(digest, kKeyIdHex / 2);
}

std::string to_string(QrKeyRole role) {
  switch (role) {
    case QrKeyRole::Current:
      return "current";
    case QrKeyRole::Previous:
      return "previous";
    case QrKeyRole::Operator:
      return "operator";
  }
  return "unknown";
}

QrKeyRing::QrKeyRing(MacKey current) {
  if (!current.empty()) add(std::move(current), QrKeyRole::Current);
}

void QrKeyRing::add(MacKey key, QrKeyRole role) {
  if (key.empty()) return;
  std::string id = key.id();
  if (find(id)) return;
  entries_.push_back({std::move(key), std::move(id), role});
}

const MacKey& QrKeyRing::current() const {
  static const MacKey kNone;
  for (const auto& e : entries_)
    if (e.role == QrKeyRole::Current) return e.key;
  return kNone;
}

const QrKeyRing::Entry* QrKeyRing::find(std::string_view id) const {
  for (const auto& e : entries_)
    if (e.id == id) return &e;
  return nullptr;
}

MacKey MacKey::load_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in)
    throw PrintError("mac-key-missing", "the QR code key file " + file.string() +
                                            " cannot be read (config print.mac_key_file); create it with: "
                                            "head -c 32 /dev/urandom > " +
                                            file.string());
  std::vector<std::uint8_t> bytes{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  // A key typed as text (hex, base64) may end with a line break that is not part of it; a
  // random binary key (head -c 32 /dev/urandom, the package, setup) may end with the byte 0x0A
  // and keeps all its bytes, or its MAC and key id would differ from the ones it was made with.
  const bool text = std::all_of(bytes.begin(), bytes.end(), [](std::uint8_t b) {
    return (b >= 0x20 && b < 0x7f) || b == '\n' || b == '\r';
  });
  while (text && !bytes.empty() && (bytes.back() == '\n' || bytes.back() == '\r')) bytes.pop_back();
  if (bytes.size() < kMinKeyBytes) {
    OPENSSL_cleanse(bytes.data(), bytes.size());
    throw PrintError("mac-key-too-short", "the QR code key file " + file.string() + " holds fewer than 16 bytes");
  }
  return MacKey(std::move(bytes));
}

std::string encode_qr_payload(const QrPayload& p, const MacKey& key, QrFormat format) {
  if (key.bytes().size() < kMinKeyBytes)
    throw PrintError("mac-key-too-short", "the QR code key is missing or too short");
  if (!valid_id(p.form_id, 1, 64))
    throw PrintError("qr-bad-field", "form id '" + p.form_id + "' cannot go in a QR code");
  if (!valid_id(p.version, 1, 32))
    throw PrintError("qr-bad-field", "form version '" + p.version + "' cannot go in a QR code");
  if (!forms::is_known_language(p.lang)) throw PrintError("qr-bad-field", "unknown language '" + p.lang + "'");
  if (!valid_id(p.submission_id, 0, 64))
    throw PrintError("qr-bad-field", "submission id '" + p.submission_id + "' cannot go in a QR code");
  if (p.page_count < 1 || p.page_count > kMaxQrPageCount || p.page < 1 || p.page > p.page_count)
    throw PrintError("qr-bad-field",
                     "page " + std::to_string(p.page) + " of " + std::to_string(p.page_count) + " is out of range");
  std::string body = format == QrFormat::Hnk1 ? std::string(kPrefix1) : std::string(kPrefix2) + key.id() + ";";
  body += p.form_id + ";" + p.version + ";" + p.lang + ";" + std::to_string(p.page) + "/" +
          std::to_string(p.page_count) + ";" + p.submission_id + ";" + (p.large_print ? "L" : "");
  return body + ";" + mac_hex(body, key);
}

bool verify_qr_mac(std::string_view text, const MacKey& key) {
  auto pos = text.rfind(';');
  if (pos == std::string_view::npos || key.bytes().size() < kMinKeyBytes) return false;
  std::string expected = mac_hex(text.substr(0, pos), key);
  std::string_view given = text.substr(pos + 1);
  return given.size() == expected.size() && CRYPTO_memcmp(given.data(), expected.data(), expected.size()) == 0;
}

QrParseResult parse_qr_payload(std::string_view text, const QrKeyRing& ring) {
  try {
    QrFormat format;
    if (text.substr(0, kPrefix2.size()) == kPrefix2)
      format = QrFormat::Hnk2;
    else if (text.substr(0, kPrefix1.size()) == kPrefix1)
      format = QrFormat::Hnk1;
    else
      return reject("not-kiosk-code", "not a code printed by the kiosk");
    auto parts = split(text.substr(kPrefix1.size()), ';');
    std::string key_id;
    if (format == QrFormat::Hnk2) {
      if (parts.size() != 8)
        return reject("malformed", "expected 8 parts after HNK2, found " + std::to_string(parts.size()));
      key_id = parts.front();
      if (key_id.size() != kKeyIdHex || !is_lower_hex(key_id))
        return reject("malformed", "the key id is not 8 hex digits");
      parts.erase(parts.begin());
    } else if (parts.size() != 7) {
      return reject("malformed", "expected 7 parts after HNK1, found " + std::to_string(parts.size()));
    }
    const auto& mac = parts[6];
    if (mac.size() != kMacBytes * 2 || !is_lower_hex(mac))
      return reject("malformed", "the MAC is missing or not 16 hex digits");
    QrPayload p;
    p.form_id = parts[0];
    p.version = parts[1];
    p.lang = parts[2];
    p.submission_id = parts[4];
    if (!valid_id(p.form_id, 1, 64)) return reject("bad-field", "bad form id");
    if (!valid_id(p.version, 1, 32)) return reject("bad-field", "bad form version");
    if (!forms::is_known_language(p.lang)) return reject("bad-field", "unknown language '" + p.lang + "'");
    if (!valid_id(p.submission_id, 0, 64)) return reject("bad-field", "bad submission id");
    if (parts[5] == "L")
      p.large_print = true;
    else if (!parts[5].empty())
      return reject("bad-field", "unknown option flags '" + std::string(parts[5]) + "'");
    auto pages = split(parts[3], '/');
    if (pages.size() != 2 || !parse_int(pages[0], p.page) || !parse_int(pages[1], p.page_count))
      return reject("bad-page", "page number is not of the form k/n");
    if (p.page_count < 1 || p.page < 1 || p.page > p.page_count)
      return reject("bad-page",
                    "page " + std::to_string(p.page) + " of " + std::to_string(p.page_count) + " is impossible");

    const QrKeyRing::Entry* match = nullptr;
    if (format == QrFormat::Hnk2) {
      match = ring.find(key_id);
      if (!match) {
        auto r = reject("unknown-key", "printed with key " + key_id + ", which this kiosk does not have");
        r.format = format;
        r.key_id = key_id;
        r.unverified = std::move(p);
        return r;
      }
      if (!verify_qr_mac(text, match->key)) {
        auto r = reject("forged", "MAC does not match key " + key_id + " (the code was altered)");
        r.format = format;
        r.key_id = key_id;
        r.unverified = std::move(p);
        return r;
      }
    } else {
      // HNK1 sheets were printed before key ids, each with its kiosk's own key: only this
      // kiosk's own keys (current, and previous ones after a rotation) can have made them.
      // Operator keys did not exist then, so they are not tried.
      for (const auto& e : ring.entries())
        if (e.role != QrKeyRole::Operator && verify_qr_mac(text, e.key)) {
          match = &e;
          break;
        }
      if (!match) {
        auto r = reject("unknown-key",
                        "an old (HNK1) code whose MAC matches none of this kiosk's own keys (printed by another "
                        "kiosk, or altered)");
        r.format = format;
        r.unverified = std::move(p);
        return r;
      }
    }
    QrParseResult ok;
    ok.payload = std::move(p);
    ok.format = format;
    ok.key_id = match->id;
    ok.key_role = match->role;
    return ok;
  } catch (const std::exception& e) {
    return reject("malformed", e.what());
  }
}

LayoutOptions layout_options(const QrPayload& payload) {
  LayoutOptions o;
  o.large_print = payload.large_print;
  return o;
}

}  // namespace print
