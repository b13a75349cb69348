#include "outbox/crypto.hpp"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/bn.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ec.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

#include "outbox/error_codes.hpp"

namespace kiosk::outbox {

namespace {

struct BioFree {
  void operator()(BIO* b) const noexcept { BIO_free_all(b); }
};
struct CmsFree {
  void operator()(CMS_ContentInfo* c) const noexcept { CMS_ContentInfo_free(c); }
};
struct X509StackFree {
  void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_free(s); }
};
struct StoreFree {
  void operator()(X509_STORE* s) const noexcept { X509_STORE_free(s); }
};
struct StoreCtxFree {
  void operator()(X509_STORE_CTX* c) const noexcept { X509_STORE_CTX_free(c); }
};
struct FileClose {
  void operator()(FILE* f) const noexcept { std::fclose(f); }
};
struct PKeyCtxFree {
  void operator()(EVP_PKEY_CTX* c) const noexcept { EVP_PKEY_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using CmsPtr = std::unique_ptr<CMS_ContentInfo, CmsFree>;

std::string openssl_errors() {
  std::string text;
  while (const unsigned long e = ERR_get_error()) {
    char buffer[256];
    ERR_error_string_n(e, buffer, sizeof buffer);
    if (!text.empty()) text += "; ";
    text += buffer;
  }
  return text;
}

BioPtr memory_bio(const Bytes& data) {
  BioPtr bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
  if (!bio) throw CryptoError(codes::kNotParseable, "Out of memory");
  return bio;
}

// A memory BIO with room for `capacity` bytes: decrypting or verifying a half-megabyte
// message into a plain memory BIO would regrow (copy and wipe) its buffer dozens of times.
BioPtr output_bio(size_t capacity) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  BUF_MEM* buffer = BUF_MEM_new();
  if (!bio || !buffer || BUF_MEM_grow(buffer, capacity) == 0) {
    BUF_MEM_free(buffer);
    throw CryptoError(codes::kNotParseable, "Out of memory");
  }
  buffer->length = 0;
  BIO_set_mem_buf(bio.get(), buffer, BIO_CLOSE);
  return bio;
}

Bytes bio_bytes(BIO* bio) {
  char* p = nullptr;
  const long n = BIO_get_mem_data(bio, &p);
  return n > 0 ? Bytes(reinterpret_cast<std::uint8_t*>(p), reinterpret_cast<std::uint8_t*>(p) + n) : Bytes();
}

CmsPtr parse_cms(const Bytes& der) {
  auto in = memory_bio(der);
  CmsPtr cms(d2i_CMS_bio(in.get(), nullptr));
  if (!cms) {
    ERR_clear_error();
    throw CryptoError(codes::kNotParseable, "The message is not a CMS (PKCS#7) message.");
  }
  return cms;
}

bool has_key_usage(X509* cert, std::uint32_t usage) {
  X509_check_purpose(cert, -1, 0);  // caches the extensions
  const std::uint32_t bits = X509_get_key_usage(cert);
  return bits != UINT32_MAX && (bits & usage) != 0;
}

}  // namespace

X509Ptr load_certificate(const std::filesystem::path& pem_file) {
  std::unique_ptr<FILE, FileClose> f(std::fopen(pem_file.c_str(), "rb"));
  if (!f)
    throw CryptoError(codes::kCertificateUntrusted, "Cannot read the certificate file " + pem_file.string() +
                                                        ". Check security.* in the configuration.");
  X509Ptr cert(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
  if (!cert) {
    ERR_clear_error();
    throw CryptoError(codes::kCertificateUntrusted, "The file " + pem_file.string() + " is not a PEM certificate.");
  }
  return cert;
}

PKeyPtr load_private_key(const std::filesystem::path& pem_file) {
  std::unique_ptr<FILE, FileClose> f(std::fopen(pem_file.c_str(), "rb"));
  if (!f)
    throw CryptoError(codes::kCannotDecrypt, "Cannot read the private key file " + pem_file.string() +
                                                 ". Check security.* in the configuration.");
  PKeyPtr key(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
  if (!key) {
    ERR_clear_error();
    throw CryptoError(codes::kCannotDecrypt, "The file " + pem_file.string() + " is not a PEM private key.");
  }
  return key;
}

X509Ptr certificate_from_pem(const std::string& pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  X509Ptr cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!cert) {
    ERR_clear_error();
    throw CryptoError(codes::kNotParseable, "Not a PEM certificate.");
  }
  return cert;
}

std::string certificate_to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1)
    throw CryptoError(codes::kNotParseable, "Cannot encode a certificate");
  const Bytes b = bio_bytes(bio.get());
  return std::string(b.begin(), b.end());
}

std::string subject_common_name(X509* cert) {
  char buffer[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, buffer, sizeof buffer);
  return buffer;
}

Bytes sign_then_encrypt(const Bytes& content, const KeyPair& signer, X509* recipient) {
  if (!has_key_usage(signer.certificate.get(), KU_NON_REPUDIATION))
    throw CryptoError(codes::kCertificateWrongUsage,
                      "The kiosk's signing certificate does not have key usage NonRepudiation. Install the right "
                      "certificate (security.signing_certificate).");
  if (!has_key_usage(recipient, KU_DATA_ENCIPHERMENT))
    throw CryptoError(codes::kCertificateWrongUsage,
                      "The platform's encryption certificate does not have key usage DataEncipherment "
                      "(security.platform_encryption_certificate).");
  // Both steps stream (CMS_STREAM): the content passes once through the digest or the
  // cipher straight into an output buffer sized up front. Without streaming, OpenSSL
  // collects the content in a memory BIO that grows (copying and wiping) in small steps,
  // which for a half-megabyte message cost more than the digest and the cipher. The output
  // is BER with the content in chunks, which every CMS reader accepts.
  constexpr size_t kEnvelopeRoom = 16 * 1024;  // signer info, certificate, recipient info, padding
  auto in = memory_bio(content);
  CmsPtr signed_cms(CMS_sign(signer.certificate.get(), signer.key.get(), nullptr, in.get(), CMS_BINARY | CMS_STREAM));
  if (!signed_cms) throw CryptoError(codes::kSignatureInvalid, "Signing failed: " + openssl_errors());
  auto signed_out = output_bio(content.size() + kEnvelopeRoom);
  if (i2d_CMS_bio_stream(signed_out.get(), signed_cms.get(), in.get(), CMS_BINARY | CMS_STREAM) != 1)
    throw CryptoError(codes::kSignatureInvalid, "Signing failed: " + openssl_errors());
  char* signed_data = nullptr;
  const long signed_size = BIO_get_mem_data(signed_out.get(), &signed_data);

  std::unique_ptr<STACK_OF(X509), X509StackFree> recipients(sk_X509_new_null());
  if (!recipients || !sk_X509_push(recipients.get(), recipient))
    throw CryptoError(codes::kCannotDecrypt, "Out of memory");
  BioPtr signed_in(BIO_new_mem_buf(signed_data, static_cast<int>(signed_size)));
  if (!signed_in || signed_size <= 0) throw CryptoError(codes::kCannotDecrypt, "Out of memory");
  CmsPtr enveloped(CMS_encrypt(recipients.get(), nullptr, EVP_aes_256_cbc(), CMS_BINARY | CMS_STREAM));
  if (!enveloped) throw CryptoError(codes::kCannotDecrypt, "Encryption failed: " + openssl_errors());
  auto out = output_bio(static_cast<size_t>(signed_size) + kEnvelopeRoom);
  if (i2d_CMS_bio_stream(out.get(), enveloped.get(), signed_in.get(), CMS_BINARY | CMS_STREAM) != 1)
    throw CryptoError(codes::kCannotDecrypt, "Encryption failed: " + openssl_errors());
  return bio_bytes(out.get());
}

Opened decrypt_then_verify(const Bytes& message, const std::vector<const KeyPair*>& decryption_keys, X509* trusted_ca,
                           X509* expected_signer, X509_CRL* revocation_list) {
  Opened opened;
  Bytes signed_der;
  bool decrypted = false;
  for (size_t i = 0; i < decryption_keys.size() && !decrypted; ++i) {
    const KeyPair* pair = decryption_keys[i];
    if (!pair || !pair->key) continue;
    CmsPtr cms = parse_cms(message);
    if (OBJ_obj2nid(CMS_get0_type(cms.get())) != NID_pkcs7_enveloped)
      throw CryptoError(codes::kNotParseable, "The message is not encrypted (CMS enveloped data expected).");
    BioPtr out = output_bio(message.size());
    if (CMS_decrypt(cms.get(), pair->key.get(), pair->certificate.get(), nullptr, out.get(), CMS_BINARY) == 1) {
      signed_der = bio_bytes(out.get());
      opened.used_legacy_key = i > 0;
      decrypted = true;
    }
    ERR_clear_error();
  }
  if (!decrypted)
    throw CryptoError(codes::kCannotDecrypt,
                      "The message is not encrypted to our certificate (nor to the legacy one).");

  CmsPtr signed_cms = parse_cms(signed_der);
  if (OBJ_obj2nid(CMS_get0_type(signed_cms.get())) != NID_pkcs7_signed)
    throw CryptoError(codes::kSignatureInvalid, "The decrypted message is not signed.");
  BioPtr content = output_bio(signed_der.size());
  // The signature is checked here; the signer's certificate chain below, for precise codes.
  if (CMS_verify(signed_cms.get(), nullptr, nullptr, nullptr, content.get(), CMS_BINARY | CMS_NO_SIGNER_CERT_VERIFY) !=
      1) {
    ERR_clear_error();
    throw CryptoError(codes::kSignatureInvalid, "The signature does not match the message.");
  }
  opened.content = bio_bytes(content.get());
  STACK_OF(X509)* signers = CMS_get0_signers(signed_cms.get());
  X509* signer = signers && sk_X509_num(signers) == 1 ? sk_X509_value(signers, 0) : nullptr;
  if (!signer) {
    sk_X509_free(signers);
    throw CryptoError(codes::kSignatureInvalid, "The message must have exactly one signer.");
  }
  X509_up_ref(signer);
  opened.signer.reset(signer);
  sk_X509_free(signers);

  std::unique_ptr<X509_STORE, StoreFree> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, StoreCtxFree> ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), trusted_ca) != 1 ||
      (revocation_list && X509_STORE_add_crl(store.get(), revocation_list) != 1) ||
      (revocation_list && X509_STORE_set_flags(store.get(), X509_V_FLAG_CRL_CHECK) != 1) ||
      X509_STORE_CTX_init(ctx.get(), store.get(), opened.signer.get(), nullptr) != 1)
    throw CryptoError(codes::kCertificateUntrusted, "Cannot check the sender's certificate: " + openssl_errors());
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    const std::string why = X509_verify_cert_error_string(error);
    if (error == X509_V_ERR_CERT_HAS_EXPIRED || error == X509_V_ERR_CERT_NOT_YET_VALID)
      throw CryptoError(codes::kCertificateExpired, "The sender's certificate is not valid now: " + why);
    if (error == X509_V_ERR_CERT_REVOKED)
      throw CryptoError(codes::kCertificateRevoked, "The sender's certificate is revoked.");
    throw CryptoError(codes::kCertificateUntrusted, "The sender's certificate is not trusted: " + why);
  }
  if (!has_key_usage(opened.signer.get(), KU_NON_REPUDIATION))
    throw CryptoError(codes::kCertificateWrongUsage,
                      "The sender's certificate does not have key usage NonRepudiation.");
  if (expected_signer && X509_cmp(expected_signer, opened.signer.get()) != 0)
    throw CryptoError(codes::kCertificateUntrusted,
                      "The message is signed by " + subject_common_name(opened.signer.get()) +
                          ", not by the expected sender " + subject_common_name(expected_signer) + ".");
  return opened;
}

std::string sha256_hex(const Bytes& data) {
  unsigned char digest[32];
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest, &n, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += hex[digest[i] >> 4];
    out += hex[digest[i] & 15];
  }
  return out;
}

std::string base64(const Bytes& data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data.data(), static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Bytes from_base64(const std::string& text) {
  if (text.size() % 4 != 0) throw CryptoError(codes::kNotParseable, "Invalid base64 data.");
  Bytes out(text.size() / 4 * 3 + 1);
  const int n =
      EVP_DecodeBlock(out.data(), reinterpret_cast<const unsigned char*>(text.data()), static_cast<int>(text.size()));
  if (n < 0) throw CryptoError(codes::kNotParseable, "Invalid base64 data.");
  size_t size = static_cast<size_t>(n);
  if (!text.empty() && text.back() == '=') --size;
  if (text.size() > 1 && text[text.size() - 2] == '=') --size;
  out.resize(size);
  return out;
}

Bytes sha1(const Bytes& data) {
  Bytes digest(20);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &n, EVP_sha1(), nullptr);
  return digest;
}

std::string uuid_text(const unsigned char* b) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += hex[b[i] >> 4];
    out += hex[b[i] & 15];
  }
  return out;
}

std::string name_based_uuid(std::string_view namespace_uuid, std::string_view name) {
  Bytes input;
  auto nibble = [&](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    throw std::invalid_argument("not a UUID: " + std::string(namespace_uuid));
  };
  for (size_t i = 0; i < namespace_uuid.size(); ++i) {
    if (namespace_uuid[i] == '-') continue;
    if (i + 1 >= namespace_uuid.size()) throw std::invalid_argument("not a UUID: " + std::string(namespace_uuid));
    input.push_back(static_cast<unsigned char>(nibble(namespace_uuid[i]) * 16 + nibble(namespace_uuid[i + 1])));
    ++i;
  }
  if (input.size() != 16 || namespace_uuid.size() != 36)
    throw std::invalid_argument("not a UUID: " + std::string(namespace_uuid));
  input.insert(input.end(), name.begin(), name.end());
  Bytes b = sha1(input);
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x50);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  return uuid_text(b.data());
}

std::string sha256_base64(const Bytes& data) {
  Bytes digest(32);
  unsigned int n = 0;
  EVP_Digest(data.data(), data.size(), digest.data(), &n, EVP_sha256(), nullptr);
  return base64(digest);
}

namespace {
// Test and demo keys are EC P-256: generated in a millisecond, so tests stay fast.
// Production certificates come from the configuration and may be RSA or EC.
PKeyPtr make_test_key() {
  std::unique_ptr<EVP_PKEY_CTX, PKeyCtxFree> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_EC, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_ec_paramgen_curve_nid(ctx.get(), NID_X9_62_prime256v1) != 1 ||
      EVP_PKEY_keygen(ctx.get(), &raw) != 1)
    throw CryptoError(codes::kCertificateUntrusted, "Key generation failed: " + openssl_errors());
  return PKeyPtr(raw);
}

void add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) throw CryptoError(codes::kCertificateUntrusted, "Bad certificate extension " + value);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509Ptr new_certificate(EVP_PKEY* key, const std::string& common_name, int from_days, int to_days) {
  X509Ptr cert(X509_new());
  if (!cert) throw CryptoError(codes::kCertificateUntrusted, "Out of memory");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  RAND_bytes(serial, sizeof serial);
  serial[0] &= 0x7f;
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), static_cast<long>(from_days) * 86400);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(to_days) * 86400);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("Helsenorge kiosk TEST"),
                             -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  return cert;
}
}  // namespace

KeyPair make_ca(const std::string& common_name) {
  KeyPair ca{nullptr, make_test_key()};
  ca.certificate = new_certificate(ca.key.get(), common_name, -1, 3650);
  X509_set_issuer_name(ca.certificate.get(), X509_get_subject_name(ca.certificate.get()));
  add_extension(ca.certificate.get(), ca.certificate.get(), NID_basic_constraints, "critical,CA:TRUE");
  add_extension(ca.certificate.get(), ca.certificate.get(), NID_key_usage, "critical,keyCertSign,cRLSign");
  add_extension(ca.certificate.get(), ca.certificate.get(), NID_subject_key_identifier, "hash");
  if (X509_sign(ca.certificate.get(), ca.key.get(), EVP_sha256()) == 0)
    throw CryptoError(codes::kCertificateUntrusted, "Signing the CA failed: " + openssl_errors());
  return ca;
}

KeyPair make_certificate(const KeyPair& ca, const CertificateSpec& spec) {
  KeyPair pair{nullptr, make_test_key()};
  pair.certificate = new_certificate(pair.key.get(), spec.common_name, spec.valid_from_days, spec.valid_to_days);
  X509_set_issuer_name(pair.certificate.get(), X509_get_subject_name(ca.certificate.get()));
  add_extension(pair.certificate.get(), ca.certificate.get(), NID_basic_constraints, "critical,CA:FALSE");
  if (!spec.key_usage.empty())
    add_extension(pair.certificate.get(), ca.certificate.get(), NID_key_usage, spec.key_usage);
  add_extension(pair.certificate.get(), ca.certificate.get(), NID_authority_key_identifier, "keyid");
  if (X509_sign(pair.certificate.get(), ca.key.get(), EVP_sha256()) == 0)
    throw CryptoError(codes::kCertificateUntrusted, "Signing a certificate failed: " + openssl_errors());
  return pair;
}

void write_pem(const KeyPair& pair, const std::filesystem::path& cert_file, const std::filesystem::path& key_file) {
  {
    std::unique_ptr<FILE, FileClose> f(std::fopen(cert_file.c_str(), "wb"));
    if (!f || PEM_write_X509(f.get(), pair.certificate.get()) != 1)
      throw CryptoError(codes::kCertificateUntrusted, "Cannot write " + cert_file.string());
  }
  if (!key_file.empty() && pair.key) {
    std::unique_ptr<FILE, FileClose> f(std::fopen(key_file.c_str(), "wb"));
    if (!f || PEM_write_PrivateKey(f.get(), pair.key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1)
      throw CryptoError(codes::kCertificateUntrusted, "Cannot write " + key_file.string());
    std::filesystem::permissions(key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  }
}

CrlPtr load_crl(const std::filesystem::path& pem_file) {
  std::unique_ptr<FILE, FileClose> f(std::fopen(pem_file.c_str(), "rb"));
  if (!f)
    throw CryptoError(codes::kCertificateUntrusted,
                      "Cannot read the certificate revocation list " + pem_file.string() + " (security.crl_file).");
  CrlPtr crl(PEM_read_X509_CRL(f.get(), nullptr, nullptr, nullptr));
  if (!crl)
    throw CryptoError(codes::kCertificateUntrusted,
                      "The file " + pem_file.string() + " is not a PEM certificate revocation list.");
  return crl;
}

void check_not_revoked(X509* certificate, X509_CRL* revocation_list, X509* ca, const std::string& what) {
  EVP_PKEY* ca_key = X509_get0_pubkey(ca);
  if (!ca_key || X509_CRL_verify(revocation_list, ca_key) != 1)
    throw CryptoError(codes::kCertificateUntrusted,
                      "The certificate revocation list is not signed by the CA (security.crl_file).");
  const ASN1_TIME* next_update = X509_CRL_get0_nextUpdate(revocation_list);
  if (next_update && X509_cmp_current_time(next_update) < 0)
    throw CryptoError(codes::kCertificateUntrusted,
                      "The certificate revocation list is out of date: install a new one (security.crl_file).");
  X509_REVOKED* entry = nullptr;
  if (X509_CRL_get0_by_cert(revocation_list, &entry, certificate) == 1)
    throw CryptoError(codes::kCertificateRevoked, what + " is revoked (" + subject_common_name(certificate) + ").");
}

std::string make_crl_pem(const KeyPair& ca, const std::vector<X509*>& revoked, int valid_days) {
  CrlPtr crl(X509_CRL_new());
  if (!crl || X509_CRL_set_version(crl.get(), 1) != 1 ||
      X509_CRL_set_issuer_name(crl.get(), X509_get_subject_name(ca.certificate.get())) != 1)
    throw CryptoError(codes::kCertificateUntrusted, "Cannot make a revocation list: " + openssl_errors());
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> now(X509_gmtime_adj(nullptr, 0), &ASN1_TIME_free);
  std::unique_ptr<ASN1_TIME, decltype(&ASN1_TIME_free)> next(
      X509_gmtime_adj(nullptr, static_cast<long>(valid_days) * 86400), &ASN1_TIME_free);
  if (!now || !next || X509_CRL_set1_lastUpdate(crl.get(), now.get()) != 1 ||
      X509_CRL_set1_nextUpdate(crl.get(), next.get()) != 1)
    throw CryptoError(codes::kCertificateUntrusted, "Cannot make a revocation list: " + openssl_errors());
  for (X509* cert : revoked) {
    X509_REVOKED* entry = X509_REVOKED_new();
    if (!entry) throw CryptoError(codes::kCertificateUntrusted, "Out of memory");
    if (X509_REVOKED_set_serialNumber(entry, X509_get_serialNumber(cert)) != 1 ||
        X509_REVOKED_set_revocationDate(entry, now.get()) != 1 || X509_CRL_add0_revoked(crl.get(), entry) != 1) {
      X509_REVOKED_free(entry);
      throw CryptoError(codes::kCertificateUntrusted, "Cannot make a revocation list: " + openssl_errors());
    }
  }
  if (X509_CRL_sort(crl.get()) != 1 || X509_CRL_sign(crl.get(), ca.key.get(), EVP_sha256()) == 0)
    throw CryptoError(codes::kCertificateUntrusted, "Cannot sign a revocation list: " + openssl_errors());
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509_CRL(bio.get(), crl.get()) != 1)
    throw CryptoError(codes::kNotParseable, "Cannot encode a revocation list");
  const Bytes b = bio_bytes(bio.get());
  return std::string(b.begin(), b.end());
}

}  // namespace kiosk::outbox
