#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "config.hpp"

namespace kiosk::admin {

// A setup step that cannot be done, with a plain-language reason.
class SetupError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A setup step that failed because something the kiosk needs cannot be used right now (a store
// that cannot be opened or written, a full disk), not because of a value the admin gave:
// kioskctl exits 4 for it instead of 3.
class SetupUnavailable : public SetupError {
 public:
  using SetupError::SetupError;
};

// ---- When to show the first-run setup ----

// What still needs the admin before the kiosk can serve citizens, in plain words; empty when
// nothing does. The package installs the documented default file, so "first run" means: no
// file, or the file still has no broker (the default amqps://broker.invalid) or nobody can
// open staff mode (no active staff member in the store and no shared staff PIN).
// A file that does not parse also needs the admin (the reason names the line).
std::vector<std::string> first_run_needs(const std::filesystem::path& config_file);

// ---- What CUPS and SANE find (for the "choose printer / scanner" lists) ----

struct PrinterInfo {
  std::string name;         // CUPS queue name
  std::string description;  // printer-info or make and model
  bool is_default = false;
  std::string state;  // print::query_printer's: "idle", "processing", "stopped", "unknown"
  bool accepting_jobs = true;
};

struct ScannerInfo {
  std::string device;  // SANE device name, e.g. "pnm:0" or "genesys:libusb:001:004"
  std::string vendor;
  std::string model;
  std::string type;
};

// Throws SetupError when CUPS cannot be reached.
std::vector<PrinterInfo> discover_printers();
// Throws SetupError when SANE cannot start.
std::vector<ScannerInfo> discover_scanners();

// Prints a one-page text test page on `queue` (empty: the default printer) and returns the
// CUPS job id. Throws SetupError with the reason when the job is refused.
int print_test_page(const std::string& queue, const std::string& site_name);

// ---- Broker address ----

struct BrokerAddress {
  std::string scheme;  // "amqp" or "amqps"
  std::string user;    // may be empty
  std::string host;
  int port = 0;
};

// Parses amqp[s]://[user[:password]@]host[:port] (default ports 5672 / 5671).
// Throws SetupError naming what is wrong.
BrokerAddress parse_broker_url(const std::string& url);

// ---- Certificates from a USB stick or a folder ----

// The file names that `import_certificates` recognises and the configuration key each fills.
const std::map<std::string, std::string>& certificate_file_keys();

struct ImportedFile {
  std::filesystem::path destination;
  std::string config_key;  // empty when the file name is not one of certificate_file_keys()
  bool is_private_key = false;
};

// Copies every certificate (.pem, .crt) and key (.key) file from `source_dir` into
// `dest_dir` (created 0700). Each file is checked with OpenSSL first (a file that is not a
// valid certificate or key is refused, nothing is copied). Private keys get mode 0600,
// certificates 0644; when running as root they are owned by `owner_uid`/`owner_gid`.
// Writes each file atomically. The operator's QR code key (qr-operator.key, not PEM) is left for
// setup's QR key step; a folder with only that file imports nothing here. Throws SetupError.
std::vector<ImportedFile> import_certificates(const std::filesystem::path& source_dir,
                                              const std::filesystem::path& dest_dir,
                                              std::optional<unsigned> owner_uid = std::nullopt,
                                              std::optional<unsigned> owner_gid = std::nullopt);

// ---- Staff PIN ----

// Argon2id hash (libsodium crypto_pwhash_str) of a PIN of 6 to 12 digits. Throws SetupError
// for a PIN that is too short, too long or not only digits.
std::string hash_staff_pin(const std::string& pin);
bool verify_staff_pin(const std::string& hash, const std::string& pin);

// ---- Staff members (the kiosk store's staff_members table) ----

// Active staff members in the store; 0 when there is no store yet or it has no members table.
// Read-only (someone other than the store's owner reads it without leaving files behind).
// Throws SetupError when the store cannot be read.
std::int64_t count_active_staff_members(const std::filesystem::path& store_file);

// The store has been used: it has (or had) a staff member, an audit line, a submission or a
// held sheet. False when there is no store, or only an empty one (made by the delivery
// service before the first setup). A store that cannot be read counts as in use (fail closed).
bool store_in_use(const std::filesystem::path& store_file);

// Staff access is set up: at least one active member, or (only while there are none) the
// shared PIN. A store that cannot be read counts as no members.
bool staff_access_configured(const Config& config);

// Adds a staff member (number, name, PIN of 6 to 12 digits) to the store named by `config`,
// making the store when it does not exist yet (first run, before the kiosk started) and giving
// it to the kiosk user when running as root. Audited as "admin-setup". Throws SetupError with
// a plain reason (bad number, name or PIN, a number already used, a damaged store), and
// SetupUnavailable when the store cannot be opened or written (permissions, full disk, busy).
void add_staff_member(const Config& config, const std::string& id, const std::string& name, const std::string& pin);

// ---- Languages ----

// Checks that every language is one the kiosk has translations for, that there is no
// duplicate, and that the default is among them. Throws SetupError.
void validate_languages(const std::vector<std::string>& languages, const std::string& default_language);

// ---- Writing the configuration ----

// The configuration as a documented TOML file: every key of the schema with its help line
// and its current value (so the file is also the documentation).
std::string render_config(const Config& config);

// Sets a key from its text form ("true", "42", "nb,nn" or a TOML list) by the schema's type.
void set_from_text(Config& config, const std::string& key, const std::string& text);

// Writes `text` to `file` atomically (temporary file in the same folder, fsync, rename,
// fsync of the folder) with `mode`; when running as root and `group_gid` is given the file
// gets group `group_gid` (so the kiosk user can read a 0640 file owned by root).
void write_file_atomically(const std::filesystem::path& file, const std::string& text, unsigned mode,
                           std::optional<unsigned> group_gid = std::nullopt);

// Renders `config`, checks that it parses back to the same values, and writes it
// atomically with mode 0640 (group kiosk when it exists and we are root).
void write_config(const std::filesystem::path& file, const Config& config);

}  // namespace kiosk::admin
