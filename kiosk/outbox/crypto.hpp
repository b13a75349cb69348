#pragma once
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "store/sqlite.hpp"

namespace kiosk::outbox {

using store::Bytes;

struct X509Free {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct X509CrlFree {
  void operator()(X509_CRL* c) const noexcept { X509_CRL_free(c); }
};
struct PKeyFree {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PKeyPtr = std::unique_ptr<EVP_PKEY, PKeyFree>;

// A signing or decryption problem with one of our stable error codes (error_codes.hpp).
class CryptoError : public std::runtime_error {
 public:
  CryptoError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

X509Ptr load_certificate(const std::filesystem::path& pem_file);  // throws CryptoError
PKeyPtr load_private_key(const std::filesystem::path& pem_file);  // throws CryptoError
X509Ptr certificate_from_pem(const std::string& pem);
std::string certificate_to_pem(X509* cert);
std::string subject_common_name(X509* cert);

struct KeyPair {
  X509Ptr certificate;
  PKeyPtr key;
};

// Signs `content` with the sender's certificate (key usage NonRepudiation, checked) and
// then encrypts the signed message with AES-256 to the recipient (key usage
// DataEncipherment, checked): CMS signed-and-enveloped data, DER.
Bytes sign_then_encrypt(const Bytes& content, const KeyPair& signer, X509* recipient);

struct Opened {
  Bytes content;
  X509Ptr signer;
  bool used_legacy_key = false;
};

// Decrypts with the first key that fits (the current key, then a legacy one during
// certificate rollover), then verifies the signature and the signer's certificate chain
// against `trusted_ca` and its key usage. When `expected_signer` is given, the signer
// must be that certificate. Throws CryptoError with the matching stable code.
// When `revocation_list` is given, the signer's certificate is also checked against it
// (revoked: kCertificateRevoked; a list that is out of date or not from the CA:
// kCertificateUntrusted).
Opened decrypt_then_verify(const Bytes& message, const std::vector<const KeyPair*>& decryption_keys, X509* trusted_ca,
                           X509* expected_signer, X509_CRL* revocation_list = nullptr);

// Certificate revocation lists (CRL, PEM) from the CA, checked locally: the kiosk has no
// network access to a CRL distribution point, so the list is installed as a file.
using CrlPtr = std::unique_ptr<X509_CRL, X509CrlFree>;
CrlPtr load_crl(const std::filesystem::path& pem_file);  // throws CryptoError
// Throws CryptoError(kCertificateRevoked) when `certificate` is on the list, and
// kCertificateUntrusted when the list is not signed by `ca` or out of date.
void check_not_revoked(X509* certificate, X509_CRL* revocation_list, X509* ca, const std::string& what);
// A CRL from `ca` revoking `revoked` (tests and demos), PEM.
std::string make_crl_pem(const KeyPair& ca, const std::vector<X509*>& revoked, int valid_days = 30);

// SHA-256 of the data, base64 (FHIR Attachment.hash) and hex.
std::string sha256_base64(const Bytes& data);
// SHA-1: only where a standard names it (RFC 4122 name-based UUIDs, FHIR Attachment.hash).
Bytes sha1(const Bytes& data);
// 16 bytes as a UUID's text form (8-4-4-4-12 lower-case hex).
std::string uuid_text(const unsigned char* bytes16);
// A name-based UUID (RFC 4122 version 5, SHA-1) of `name` in the namespace `namespace_uuid`
// (a UUID's text form): the same name always gives the same UUID. Throws std::invalid_argument
// when namespace_uuid is not a UUID.
std::string name_based_uuid(std::string_view namespace_uuid, std::string_view name);
std::string sha256_hex(const Bytes& data);
std::string base64(const Bytes& data);
Bytes from_base64(const std::string& text);  // throws CryptoError

// Test and demo certificates: a CA and certificates it issues.
struct CertificateSpec {
  std::string common_name;
  std::string key_usage;     // OpenSSL syntax, e.g. "critical,nonRepudiation,digitalSignature"
  int valid_from_days = -1;  // relative to now
  int valid_to_days = 825;
};
KeyPair make_ca(const std::string& common_name);
KeyPair make_certificate(const KeyPair& ca, const CertificateSpec& spec);
void write_pem(const KeyPair& pair, const std::filesystem::path& cert_file, const std::filesystem::path& key_file);

}  // namespace kiosk::outbox
