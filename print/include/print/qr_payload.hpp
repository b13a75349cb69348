#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "print/layout.hpp"

namespace print {

// The secret key for the MAC in printed QR codes (config key `print.mac_key_file`).
// Kept apart from std::string so it is wiped when dropped.
class MacKey {
 public:
  MacKey() = default;
  explicit MacKey(std::vector<std::uint8_t> bytes);
  MacKey(const MacKey&) = default;
  MacKey& operator=(const MacKey&) = default;
  ~MacKey();

  // Reads the key file: its bytes (a trailing newline is dropped). Throws PrintError
  // (code "mac-key-missing" / "mac-key-too-short") when unreadable or shorter than 16 bytes.
  static MacKey load_file(const std::filesystem::path& file);
  const std::vector<std::uint8_t>& bytes() const { return bytes_; }
  bool empty() const { return bytes_.empty(); }

 private:
  std::vector<std::uint8_t> bytes_;
};

// What a printed page's QR code says. Together with the catalogue this is enough to rebuild
// the page's field map: layout_form(catalogue.at(form_id) [checking version], lang,
// layout_options(payload), ...) gives the same layout that was printed.
struct QrPayload {
  std::string form_id;        // [A-Za-z0-9._-], 1..64 chars
  std::string version;        // [A-Za-z0-9._-], 1..32 chars
  std::string lang;           // a known language code ("nb", "nn", "en", ...)
  int page = 1;               // 1-based
  int page_count = 1;         // 1..99
  std::string submission_id;  // [A-Za-z0-9._-], 0..64 chars (empty: a blank form printed without a session)
  bool large_print = false;   // LayoutOptions::large_print

  bool operator==(const QrPayload&) const = default;
};

// The text stored in the QR code:
//   HNK1;<form_id>;<version>;<lang>;<page>/<page_count>;<submission_id>;<flags>;<mac>
// <flags> is a string of option letters in a fixed order ("" or "L" = large print).
// <mac> is HMAC-SHA256(key, everything before the last ';') truncated to 8 bytes, 16 lower-case
// hex digits. Throws PrintError (code "qr-bad-field") when a field is outside its charset/range.
std::string encode_qr_payload(const QrPayload& payload, const MacKey& key);

// Why a code was rejected. Codes are stable (tests, logs, the scanner's review reasons).
struct QrParseResult {
  std::optional<QrPayload> payload;  // set only when everything, the MAC included, is right
  std::string error_code;            // "", "not-kiosk-code", "malformed", "bad-field", "bad-page", "forged"
  std::string reason;                // plain English for logs and staff, e.g. "MAC does not match"
  bool ok() const { return payload.has_value(); }
};

// Parses and checks a decoded QR text. Never throws. A text that does not start with "HNK1;"
// is "not-kiosk-code"; a wrong number of parts or a missing/non-hex MAC is "malformed";
// a field outside its charset or an unknown flag is "bad-field"; page outside 1..page_count is
// "bad-page"; a MAC that does not match (tampered text or another kiosk's key) is "forged".
QrParseResult parse_qr_payload(std::string_view text, const MacKey& key);

// The layout options a payload was printed with (pass to layout_form to rebuild the field map).
LayoutOptions layout_options(const QrPayload& payload);

// True when `text` carries a correct MAC for `key` (same check parse_qr_payload makes).
bool verify_qr_mac(std::string_view text, const MacKey& key);

}  // namespace print
