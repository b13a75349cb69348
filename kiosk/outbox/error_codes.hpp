#pragma once
#include <string>

namespace kiosk::outbox {

// Our own stable error codes for receipts and the error queue, mirroring the platform's
// MUG-0000xx codes (Helsenorge.Messaging). Never renumber: staff, logs and tests rely on them.
namespace codes {
inline constexpr const char* kCertificateExpired = "KIOSK-000010";     // MUG-000010
inline constexpr const char* kCertificateRevoked = "KIOSK-000011";     // MUG-000011 (security.crl_file)
inline constexpr const char* kCertificateWrongUsage = "KIOSK-000012";  // MUG-000012
inline constexpr const char* kCertificateUntrusted = "KIOSK-000013";
inline constexpr const char* kSignatureInvalid = "KIOSK-000014";
inline constexpr const char* kCannotDecrypt = "KIOSK-000015";
inline constexpr const char* kNotParseable = "KIOSK-000016";    // MUG-000016-like: not parseable
inline constexpr const char* kHeaderMismatch = "KIOSK-000017";  // header does not match body
inline constexpr const char* kUnknownForm = "KIOSK-000020";
inline constexpr const char* kInvalidAnswers = "KIOSK-000021";
inline constexpr const char* kRepresentationRefused = "KIOSK-000022";
inline constexpr const char* kDocumentHashMismatch = "KIOSK-000023";
inline constexpr const char* kMessageTooLarge = "KIOSK-000030";
inline constexpr const char* kWithdrawUnknown = "KIOSK-000040";      // nothing accepted under that message-id
inline constexpr const char* kRejectedBySimulator = "KIOSK-000099";  // the simulator's --reject-rate
}  // namespace codes

// Plain Norwegian text for staff, by code.
std::string staff_text(const std::string& code);

}  // namespace kiosk::outbox
