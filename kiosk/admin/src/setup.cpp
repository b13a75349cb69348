// First-run setup logic without a UI: certificates, staff PIN, languages.
#include <sodium.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <set>
#include <sstream>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "admin/config_file.hpp"
#include "admin/setup.hpp"
#include "forms/localized_text.hpp"
#include "print/qr_key_files.hpp"

namespace kiosk::admin {

std::vector<std::string> first_run_needs(const std::filesystem::path& config_file) {
  const ConfigFile read = load_config_file(config_file);
  if (!read.exists) return {"There is no configuration file " + config_file.string() + " yet."};
  if (!read.valid()) return {read.error};
  const Config& config = *read.config;
  std::vector<std::string> needs;
  try {
    if (parse_broker_url(config.get_string("broker.url")).host.ends_with(".invalid"))
      needs.push_back("The broker address (broker.url) is not set.");
  } catch (const SetupError& e) {
    needs.push_back(e.what());
  }
  if (!staff_access_configured(config))
    needs.push_back("Nobody can open staff mode yet: add the first staff member (or set the shared staff PIN).");
  return needs;
}

const std::map<std::string, std::string>& certificate_file_keys() {
  // One fixed name per file, so the operator can prepare a USB stick once for many kiosks.
  static const std::map<std::string, std::string> keys = {
      {"broker-ca.pem", "broker.tls_ca_certificate"},
      {"broker-client.pem", "broker.tls_client_certificate"},
      {"broker-client.key", "broker.tls_client_key"},
      // The CA that issued the platform's certificates: receipts are verified against it.
      {"ca.pem", "security.ca_certificate"},
      {"signing.pem", "security.signing_certificate"},
      {"signing.key", "security.signing_key"},
      {"platform-encryption.pem", "security.platform_encryption_certificate"},
      {"platform-signing.pem", "security.platform_signing_certificate"},
      {"decryption.pem", "security.decryption_certificate"},
      {"decryption.key", "security.decryption_key"},
      {"legacy-decryption.pem", "security.legacy_decryption_certificate"},
      {"legacy-decryption.key", "security.legacy_decryption_key"},
  };
  return keys;
}

namespace {

struct BioCloser {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct X509Closer {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct PkeyCloser {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

std::string read_all(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw SetupError("Cannot read " + file.string() + ".");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

bool is_valid_certificate(const std::string& pem) {
  std::unique_ptr<BIO, BioCloser> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  std::unique_ptr<X509, X509Closer> cert(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  return cert != nullptr;
}

bool is_valid_private_key(const std::string& pem) {
  std::unique_ptr<BIO, BioCloser> bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  // No password callback: a key that needs a password cannot be used unattended anyway.
  auto no_password = [](char*, int, int, void*) -> int { return 0; };
  std::unique_ptr<EVP_PKEY, PkeyCloser> key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_password, nullptr)
                                                : nullptr);
  return key != nullptr;
}

}  // namespace

std::vector<ImportedFile> import_certificates(const std::filesystem::path& source_dir,
                                              const std::filesystem::path& dest_dir, std::optional<unsigned> owner_uid,
                                              std::optional<unsigned> owner_gid) {
  std::error_code ec;
  if (!std::filesystem::is_directory(source_dir, ec))
    throw SetupError("The folder " + source_dir.string() + " does not exist. Is the USB stick mounted?");
  struct Candidate {
    std::filesystem::path source;
    std::string text;
    bool is_key;
  };
  std::vector<Candidate> candidates;
  bool operator_qr_key = false;
  for (const auto& entry : std::filesystem::directory_iterator(source_dir, ec)) {
    if (!entry.is_regular_file()) continue;
    // The operator's QR code key is raw bytes, not PEM: setup imports it into the QR key ring.
    if (entry.path().filename() == print::kOperatorQrKeyFileName) {
      operator_qr_key = true;
      continue;
    }
    const std::string ext = entry.path().extension().string();
    if (ext != ".pem" && ext != ".crt" && ext != ".key") continue;
    const bool is_key = ext == ".key";
    std::string text = read_all(entry.path());
    if (is_key ? !is_valid_private_key(text) : !is_valid_certificate(text))
      throw SetupError(entry.path().string() +
                       (is_key ? " is not an unencrypted PEM private key." : " is not a PEM certificate.") +
                       " Nothing was imported.");
    candidates.push_back({entry.path(), std::move(text), is_key});
  }
  if (ec) throw SetupError("Cannot list " + source_dir.string() + ": " + ec.message() + ".");
  if (candidates.empty() && operator_qr_key) return {};
  if (candidates.empty())
    throw SetupError("There are no certificate files (.pem, .crt, .key) in " + source_dir.string() + ".");
  std::sort(candidates.begin(), candidates.end(), [](const auto& a, const auto& b) { return a.source < b.source; });

  std::filesystem::create_directories(dest_dir, ec);
  if (ec) throw SetupError("Cannot create " + dest_dir.string() + ": " + ec.message() + ".");
  ::chmod(dest_dir.c_str(), 0700);
  const bool root = ::geteuid() == 0;
  if (root && owner_uid && ::chown(dest_dir.c_str(), *owner_uid, owner_gid.value_or(static_cast<unsigned>(-1))) != 0)
    throw SetupError("Cannot give " + dest_dir.string() + " to the kiosk user.");

  std::vector<ImportedFile> imported;
  const auto& known = certificate_file_keys();
  for (const auto& c : candidates) {
    ImportedFile f;
    f.destination = dest_dir / c.source.filename();
    f.is_private_key = c.is_key;
    if (auto it = known.find(c.source.filename().string()); it != known.end()) f.config_key = it->second;
    write_file_atomically(f.destination, c.text, c.is_key ? 0600 : 0644);
    if (root && owner_uid &&
        ::chown(f.destination.c_str(), *owner_uid, owner_gid.value_or(static_cast<unsigned>(-1))) != 0)
      throw SetupError("Cannot give " + f.destination.string() + " to the kiosk user.");
    imported.push_back(std::move(f));
  }
  return imported;
}

std::string hash_staff_pin(const std::string& pin) {
  if (pin.size() < 6 || pin.size() > 12 ||
      !std::all_of(pin.begin(), pin.end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw SetupError("The staff PIN must be 6 to 12 digits.");
  if (sodium_init() < 0) throw SetupError("The crypto library (libsodium) did not start.");
  char hash[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(hash, pin.c_str(), pin.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
    throw SetupError("Not enough memory to hash the PIN.");
  return hash;
}

bool verify_staff_pin(const std::string& hash, const std::string& pin) {
  if (sodium_init() < 0) return false;
  return crypto_pwhash_str_verify(hash.c_str(), pin.c_str(), pin.size()) == 0;
}

void validate_languages(const std::vector<std::string>& languages, const std::string& default_language) {
  if (languages.empty()) throw SetupError("Choose at least one language.");
  std::set<std::string> seen;
  for (const auto& lang : languages) {
    if (!forms::is_known_language(lang))
      throw SetupError("The kiosk has no translation for the language \"" + lang + "\". Use nb, nn, se or en.");
    if (!seen.insert(lang).second) throw SetupError("The language \"" + lang + "\" is chosen twice.");
  }
  if (!seen.count(default_language))
    throw SetupError("The start language \"" + default_language + "\" must be one of the languages offered.");
}

}  // namespace kiosk::admin
