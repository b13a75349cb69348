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
  // The key's id as printed in HNK2 codes: 8 lower-case hex digits of SHA-256 over a fixed label
  // and the key. Derived from the key itself, so kiosks need no shared registry of ids; 32 bits
  // of a hash say nothing useful about a 32-byte random key. Empty for an empty key.
  std::string id() const;

 private:
  std::vector<std::uint8_t> bytes_;
};

// Which keys a kiosk accepts on scanned sheets. `current` signs new prints; `previous` are this
// kiosk's own keys before a rotation (kioskctl keys rotate-qr); `operator_wide` are imported
// from the operator (kioskctl keys import-qr, setup --certs-from), shared by many kiosks.
enum class QrKeyRole { Current, Previous, Operator };
std::string to_string(QrKeyRole role);  // "current", "previous", "operator"

class QrKeyRing {
 public:
  struct Entry {
    MacKey key;
    std::string id;
    QrKeyRole role = QrKeyRole::Current;
  };

  QrKeyRing() = default;
  // A ring of one key (the kiosk's own, current). Implicit: every caller that held one MacKey
  // keeps working and gets exactly the old behaviour plus HNK2.
  QrKeyRing(MacKey current);  // NOLINT(google-explicit-constructor)

  // Adds a key; a key whose id is already in the ring is not added twice (a rotation cut short
  // by a crash can leave the same key as current and as previous).
  void add(MacKey key, QrKeyRole role);
  const MacKey& current() const;  // the first Current key; an empty key when there is none
  const Entry* find(std::string_view id) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// The most pages one printed form can have: the QR code names its page as "<page>/<count>".
inline constexpr int kMaxQrPageCount = 99;

// What a printed page's QR code says. Together with the catalogue this is enough to rebuild
// the page's field map: layout_form(catalogue.at(form_id) [checking version], lang,
// layout_options(payload), ...) gives the same layout that was printed.
struct QrPayload {
  std::string form_id;        // [A-Za-z0-9._-], 1..64 chars
  std::string version;        // [A-Za-z0-9._-], 1..32 chars
  std::string lang;           // a known language code ("nb", "nn", "en", ...)
  int page = 1;               // 1-based
  int page_count = 1;         // 1..kMaxQrPageCount
  std::string submission_id;  // [A-Za-z0-9._-], 0..64 chars (empty: a blank form printed without a session)
  bool large_print = false;   // LayoutOptions::large_print

  bool operator==(const QrPayload&) const = default;
};

// The text stored in the QR code (HNK2, what the kiosk prints):
//   HNK2;<key id>;<form_id>;<version>;<lang>;<page>/<page_count>;<submission_id>;<flags>;<mac>
// and the older form without a key id, still read (sheets printed before key ids are out there):
//   HNK1;<form_id>;<version>;<lang>;<page>/<page_count>;<submission_id>;<flags>;<mac>
// <key id> is MacKey::id() of the key that made the MAC. <flags> is a string of option letters
// in a fixed order ("" or "L" = large print). <mac> is HMAC-SHA256(key, everything before the
// last ';') truncated to 8 bytes, 16 lower-case hex digits. Throws PrintError (code
// "qr-bad-field") when a field is outside its charset/range.
enum class QrFormat { Hnk1, Hnk2 };
std::string encode_qr_payload(const QrPayload& payload, const MacKey& key, QrFormat format = QrFormat::Hnk2);

// Why a code was rejected. Codes are stable (tests, logs, the scanner's review reasons).
struct QrParseResult {
  std::optional<QrPayload> payload;  // set only when everything, the MAC included, is right
  // "", "not-kiosk-code", "malformed", "bad-field", "bad-page", "unknown-key", "forged"
  std::string error_code;
  std::string reason;  // plain English for logs and staff, e.g. "MAC does not match"
  // For "unknown-key" and "forged": the fields as printed, well-formed but NOT vouched for by a
  // key this kiosk trusts. Enough to read the sheet for a person to check; never to accept it.
  std::optional<QrPayload> unverified;
  QrFormat format = QrFormat::Hnk2;
  std::string key_id;                       // as printed (HNK2), or the ring key that matched (HNK1)
  QrKeyRole key_role = QrKeyRole::Current;  // the matching key's role, when ok()
  bool ok() const { return payload.has_value(); }
};

// Parses and checks a decoded QR text. Never throws. A text that starts with neither "HNK1;" nor
// "HNK2;" is "not-kiosk-code"; a wrong number of parts or a missing/non-hex MAC or key id is
// "malformed"; a field outside its charset or an unknown flag is "bad-field"; page outside
// 1..page_count is "bad-page". HNK2: a key id that is not in the ring is "unknown-key" (another
// kiosk, an operator key not imported here); a MAC that does not match the named key is
// "forged" (altered text). HNK1 carries no key id: its MAC is tried with this kiosk's own keys
// (current and previous, the keys it could have printed with before key ids existed), and a
// mismatch is "unknown-key" too, since another kiosk's old sheet and an altered one look alike.
QrParseResult parse_qr_payload(std::string_view text, const QrKeyRing& ring);

// The layout options a payload was printed with (pass to layout_form to rebuild the field map).
LayoutOptions layout_options(const QrPayload& payload);

// True when `text` carries a correct MAC for `key` (the MAC check parse_qr_payload makes; the
// key id is not looked at).
bool verify_qr_mac(std::string_view text, const MacKey& key);

}  // namespace print
