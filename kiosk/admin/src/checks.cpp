// Doctor checks that need no device or network: configuration, keys, store, certificates,
// disk space, clock.
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdio>
#include <ctime>
#include <iomanip>
#include <sstream>
#include <memory>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "admin/checks.hpp"
#include "admin/config_file.hpp"
#include "admin/setup.hpp"
#include "store/store.hpp"

namespace kiosk::admin {

namespace {

CheckResult& fail(CheckResult& r, std::string message, std::string fix) {
  r.status = CheckStatus::Failed;
  r.message = std::move(message);
  r.fix = std::move(fix);
  return r;
}

std::string octal_mode(mode_t mode) {
  char buffer[8];
  std::snprintf(buffer, sizeof buffer, "%04o", static_cast<unsigned>(mode & 07777));
  return buffer;
}

std::string human_bytes(std::uint64_t bytes) {
  const double mib = static_cast<double>(bytes) / (1024.0 * 1024.0);
  char buffer[32];
  if (mib >= 1024.0)
    std::snprintf(buffer, sizeof buffer, "%.1f GB", mib / 1024.0);
  else
    std::snprintf(buffer, sizeof buffer, "%.0f MB", mib);
  return buffer;
}

struct SqliteCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
struct StmtCloser {
  void operator()(sqlite3_stmt* s) const noexcept { sqlite3_finalize(s); }
};
struct BioCloser {
  void operator()(BIO* b) const noexcept { BIO_free(b); }
};
struct X509Closer {
  void operator()(X509* x) const noexcept { X509_free(x); }
};
struct PkeyCloser {
  void operator()(EVP_PKEY* k) const noexcept { EVP_PKEY_free(k); }
};

// Seconds since the epoch of an ASN1_TIME, or nullopt.
std::optional<std::time_t> asn1_to_time(const ASN1_TIME* t) {
  std::tm tm{};
  if (!t || ASN1_TIME_to_tm(t, &tm) != 1) return std::nullopt;
  return ::timegm(&tm);
}

}  // namespace

CheckResult check_config(const std::filesystem::path& file, std::optional<Config>* loaded) {
  CheckResult r = make_check("config", "Configuration file");
  ConfigFile read = load_config_file(file);
  if (!read.exists)
    return fail(r, file.string() + " does not exist.",
                "Run \"kioskctl setup\" to write it, or copy the example from \"kioskctl config example\".");
  if (!read.valid()) return fail(r, read.error, "Correct the line named, then run \"kioskctl config check\" again.");
  Config& config = *read.config;
  if (!config.warnings().empty()) {
    r.status = CheckStatus::Warning;
    r.message = file.string() + " is valid, but: ";
    for (size_t i = 0; i < config.warnings().size(); ++i) r.message += (i ? "; " : "") + config.warnings()[i];
    r.fix =
        "Remove or correct the keys named (a misspelt key is ignored and its default used). ADMIN.md lists every "
        "key.";
  } else {
    r.message = file.string() + " is valid.";
  }
  // It holds the staff PIN hash and the certificate paths: not for every user to read.
  struct stat st {};
  if (::stat(file.c_str(), &st) == 0 && (st.st_mode & 007) != 0 && !config.get_string("staff.pin_hash").empty()) {
    r.status = CheckStatus::Warning;
    r.message += " It holds the staff PIN hash but every user can read it (mode " + octal_mode(st.st_mode) + ").";
    r.fix = (r.fix.empty() ? "" : r.fix + " ") + "Run: chown root:kiosk " + file.string() + " && chmod 640 " +
            file.string();
  }
  if (loaded) *loaded = std::move(config);
  return r;
}

CheckResult check_key_file(const std::string& id, const std::string& title, const std::filesystem::path& file,
                           unsigned expected_owner_uid) {
  CheckResult r = make_check(id, title);
  struct stat st {};
  if (::stat(file.c_str(), &st) != 0)
    return fail(r, file.string() + " is missing.",
                id == "key"
                    ? "The kiosk creates it when it opens a new store. If the store already exists, restore the "
                      "key from your backup: without it the queued submissions cannot be read."
                    : "The package makes it when it is installed: run \"apt-get install --reinstall "
                      "helsenorge-kiosk\" (your settings are kept). If it was lost, restore it from your backup "
                      "first: without it forms printed earlier cannot be checked when scanned.");
  if (!S_ISREG(st.st_mode))
    return fail(r, file.string() + " is not a regular file.", "Remove it and restore the key from your backup.");
  if (st.st_size == 0) return fail(r, file.string() + " is empty.", "Restore the key from your backup.");
  if ((st.st_mode & 077) != 0)
    return fail(r, file.string() + " can be read by others (mode " + octal_mode(st.st_mode) + ").",
                "Run: chmod 600 " + file.string());
  if (st.st_uid != expected_owner_uid)
    return fail(r,
                file.string() + " is owned by uid " + std::to_string(st.st_uid) + ", not by the kiosk user (uid " +
                    std::to_string(expected_owner_uid) + ").",
                "Run: chown kiosk: " + file.string());
  r.message = file.string() + " is present, mode " + octal_mode(st.st_mode) + ".";
  return r;
}

CheckResult check_state_dir(const std::filesystem::path& dir, unsigned expected_owner_uid) {
  CheckResult r = make_check("state-dir", "Folder for the store and keys");
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0)
    return fail(r, dir.string() + " does not exist.",
                "Reinstall the package, or run: install -d -m 0700 -o kiosk -g kiosk " + dir.string());
  if (!S_ISDIR(st.st_mode))
    return fail(r, dir.string() + " is not a folder.", "Move that file away and reinstall the package.");
  if (st.st_uid != expected_owner_uid)
    return fail(r,
                dir.string() + " is owned by uid " + std::to_string(st.st_uid) + ", not by the kiosk user (uid " +
                    std::to_string(expected_owner_uid) + ").",
                "Run: chown kiosk: " + dir.string());
  if ((st.st_mode & 077) != 0)
    return fail(r, dir.string() + " is open to other users (mode " + octal_mode(st.st_mode) + ").",
                "Run: chmod 700 " + dir.string());
  r.message = dir.string() + " is in place, mode " + octal_mode(st.st_mode) + ".";
  return r;
}

CheckResult check_store(const std::filesystem::path& file, const std::filesystem::path& key_file) {
  CheckResult r = make_check("store", "Local store (queue, receipts, audit log)");
  std::error_code ec;
  if (!std::filesystem::exists(file, ec)) {
    const auto dir = file.parent_path();
    if (std::filesystem::is_directory(dir, ec) && ::access(dir.c_str(), W_OK) == 0) {
      r.status = CheckStatus::Warning;
      r.message = file.string() + " does not exist yet.";
      r.fix = "The kiosk creates it when it starts; nothing to do before then.";
      return r;
    }
    return fail(r, file.string() + " does not exist and its folder " + dir.string() + " is missing or not writable.",
                "Reinstall the package, or check store.path in the configuration.");
  }
  // Someone other than the owner (root running the doctor) must not create the store's
  // -wal/-shm files, or the kiosk user could no longer open its own store: such a
  // reader opens the file immutable (no locks, no side files, nothing written).
  struct stat st {};
  const bool owner = ::stat(file.c_str(), &st) == 0 && st.st_uid == ::geteuid();
  sqlite3* raw = nullptr;
  const std::string uri = "file:" + file.string() + (owner ? "" : "?immutable=1");
  const int rc = sqlite3_open_v2(uri.c_str(), &raw,
                                 (owner ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY) | SQLITE_OPEN_URI, nullptr);
  std::unique_ptr<sqlite3, SqliteCloser> db(raw);
  if (rc != SQLITE_OK)
    return fail(r, "Cannot open " + file.string() + ": " + (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)) + ".",
                "Check that the file belongs to the kiosk user (chown kiosk: " + file.string() + ").");
  sqlite3_busy_timeout(db.get(), 2000);
  auto single_text = [&](const char* sql, std::string& out) -> bool {
    sqlite3_stmt* s = nullptr;
    const int prc = sqlite3_prepare_v2(db.get(), sql, -1, &s, nullptr);
    std::unique_ptr<sqlite3_stmt, StmtCloser> stmt(s);
    if (prc != SQLITE_OK || sqlite3_step(stmt.get()) != SQLITE_ROW) return false;
    const unsigned char* text = sqlite3_column_text(stmt.get(), 0);
    out = text ? reinterpret_cast<const char*>(text) : "";
    return true;
  };
  std::string integrity;
  if (!single_text("PRAGMA quick_check", integrity))
    return fail(r, file.string() + " is not a readable SQLite database: " + sqlite3_errmsg(db.get()) + ".",
                "Stop the kiosk, move the file aside and restore it from backup; undelivered submissions are in it.");
  if (integrity != "ok")
    return fail(r, file.string() + " is damaged: " + integrity + ".",
                "Stop the kiosk, move the file aside and restore it from backup; undelivered submissions are in it.");
  std::string version;
  single_text("PRAGMA user_version", version);
  db.reset();
  r.message = file.string() + " opens and is intact (schema version " + version + ").";
  using kiosk::store::StoreError;
  if (key_file.empty()) return r;
  if (!owner) {
    r.message += " Run the doctor as the kiosk user to also check the key and bring the schema up to date.";
    return r;
  }
  try {
    auto store = kiosk::store::Store::open(file, key_file);
    const int now = store.schema_version();
    r.message = file.string() + " opens with its key and is intact (schema version " + std::to_string(now) +
                (version != std::to_string(now) ? ", brought up from " + version : "") + ").";
  } catch (const StoreError& e) {
    const auto kind = e.kind();
    return fail(r, file.string() + ": " + e.what(),
                kind == StoreError::Kind::MissingKey || kind == StoreError::Kind::WrongKey
                    ? "Restore the store key " + key_file.string() +
                          " from your backup; without the right key the "
                          "queued submissions cannot be read."
                : kind == StoreError::Kind::DiskFull ? "Free disk space, then run the doctor again."
                : kind == StoreError::Kind::Busy     ? "Another program holds the store; try again in a minute."
                                                 : "Stop the kiosk, move the file aside and restore it from backup.");
  }
  return r;
}

namespace {

// A read-only connection to the store for counting. Someone other than the owner opens it
// immutable, so no root-owned -shm file is left behind; that reader cannot see a write-ahead
// log, so it refuses while one has content (`as_owner` says how to ask as the owner instead).
std::unique_ptr<sqlite3, SqliteCloser> open_for_counting(const std::filesystem::path& store_file,
                                                         const std::string& as_owner) {
  std::error_code ec;
  sqlite3* raw = nullptr;
  struct stat st {};
  const bool owner = ::stat(store_file.c_str(), &st) == 0 && st.st_uid == ::geteuid();
  const std::filesystem::path wal = store_file.string() + "-wal";
  if (!owner && std::filesystem::exists(wal, ec) && std::filesystem::file_size(wal, ec) > 0)
    throw std::runtime_error("The store " + store_file.string() + " has changes not yet merged into it; " + as_owner);
  const std::string uri = "file:" + store_file.string() + (owner ? "" : "?immutable=1");
  const int rc = sqlite3_open_v2(uri.c_str(), &raw, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  std::unique_ptr<sqlite3, SqliteCloser> db(raw);
  if (rc != SQLITE_OK)
    throw std::runtime_error("Cannot open " + store_file.string() + ": " +
                             (db ? sqlite3_errmsg(db.get()) : sqlite3_errstr(rc)));
  sqlite3_busy_timeout(db.get(), 5000);
  return db;
}

std::int64_t count_rows(sqlite3* db, const std::filesystem::path& store_file, const char* sql) {
  sqlite3_stmt* s = nullptr;
  const int prc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr);
  std::unique_ptr<sqlite3_stmt, StmtCloser> stmt(s);
  if (prc != SQLITE_OK || sqlite3_step(stmt.get()) != SQLITE_ROW)
    throw std::runtime_error("Cannot read " + store_file.string() + ": " + sqlite3_errmsg(db));
  return sqlite3_column_int64(stmt.get(), 0);
}

}  // namespace

std::int64_t count_undelivered(const std::filesystem::path& store_file) {
  std::error_code ec;
  if (!std::filesystem::exists(store_file, ec)) return 0;
  const auto db = open_for_counting(store_file, "count as its owner: runuser -u kiosk -- kioskctl admin undelivered");
  if (count_rows(db.get(), store_file, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'outbox'") ==
      0)
    return 0;
  // The outbox's states are kiosk_outbox's (kiosk/outbox/outbox.cpp): what is not
  // finished (accepted, rejected, cancelled) is still owed to the platform.
  return count_rows(db.get(), store_file, "SELECT count(*) FROM outbox WHERE status IN ('queued', 'sent', 'parked')");
}

std::int64_t count_active_staff_members(const std::filesystem::path& store_file) {
  std::error_code ec;
  if (!std::filesystem::exists(store_file, ec)) return 0;
  try {
    const auto db = open_for_counting(store_file, "ask as its owner: runuser -u kiosk -- kioskctl staff list");
    if (count_rows(db.get(), store_file,
                   "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'staff_members'") == 0)
      return 0;
    return count_rows(db.get(), store_file, "SELECT count(*) FROM staff_members WHERE removed_at IS NULL");
  } catch (const std::runtime_error& e) {
    throw SetupError(e.what());
  }
}

bool store_in_use(const std::filesystem::path& store_file) {
  std::error_code ec;
  if (!std::filesystem::exists(store_file, ec)) return ec.value() != 0 && ec != std::errc::no_such_file_or_directory;
  try {
    const auto db = open_for_counting(store_file, "ask as its owner");
    // A store the delivery service made before anyone set the kiosk up holds none of these.
    for (const char* table : {"staff_members", "audit_log", "submissions", "held_sheets"}) {
      const std::string has_table =
          std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '") + table + "'";
      if (count_rows(db.get(), store_file, has_table.c_str()) == 0) continue;
      const std::string rows = std::string("SELECT count(*) FROM ") + table;
      if (count_rows(db.get(), store_file, rows.c_str()) > 0) return true;
    }
    return false;
  } catch (const std::runtime_error&) {
    return true;  // cannot tell: not a new kiosk (fail closed)
  }
}

bool staff_access_configured(const Config& config) {
  // Either opens staff mode (the shared PIN only while there are no members): the cheap one first.
  if (!config.get_string("staff.pin_hash").empty()) return true;
  try {
    return count_active_staff_members(config.get_path("store.path")) > 0;
  } catch (const SetupError&) {
    // A store that exists but cannot be read is not a new kiosk: opening the first-run setup
    // to whoever stands at the screen would let them add a staff member. Fail closed: the
    // kiosk's own start reports the store (out of order), and `doctor` explains it.
    return true;
  }
}

CheckResult check_staff_access(const Config& config) {
  CheckResult r = make_check("staff", "Staff access");
  const auto store_file = config.get_path("store.path");
  const bool shared_pin = !config.get_string("staff.pin_hash").empty();
  std::int64_t members = 0;
  try {
    members = count_active_staff_members(store_file);
  } catch (const SetupError& e) {
    r.status = CheckStatus::Warning;
    r.message = std::string("Cannot tell who can open staff mode: ") + e.what();
    r.fix = "Run the doctor as the kiosk user: runuser -u kiosk -- kioskctl doctor";
    return r;
  }
  if (members > 0) {
    r.message = std::to_string(members) + (members == 1 ? " staff member signs" : " staff members sign") +
                " in with their own number and PIN (kioskctl staff list).";
    if (shared_pin) r.message += " The shared staff PIN (staff.pin_hash) no longer opens staff mode.";
    return r;
  }
  if (shared_pin) {
    r.message = "Staff mode opens with the shared staff PIN (staff.pin_hash); there are no staff members.";
    r.fix = "Give each staff member their own number and PIN: kioskctl staff add --id N --name NAME --pin-stdin";
    return r;
  }
  return fail(r,
              std::string("Nobody can open staff mode: there is no staff member and no shared staff PIN. The touch "
                          "screen shows ") +
                  (store_in_use(store_file) ? "\"out of order\" until then (or the setup, after kioskctl setup "
                                              "--screen-code)."
                                            : "the first-run setup until then (a new kiosk)."),
              "Add the first staff member: kioskctl setup --staff-id N --staff-name NAME --pin-stdin (or kioskctl "
              "staff add once the kiosk has made its store).");
}

namespace {
std::string expiry_day(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d", &tm);
  return text;
}
}  // namespace

CheckResult check_certificates(const Config& config, int warn_days) {
  CheckResult r = make_check("certificates", "Certificates and keys");
  const std::time_t now = std::time(nullptr);
  int checked = 0;
  std::vector<std::string> warnings;
  for (const auto& spec : Config::schema()) {
    if (spec.type != Config::Type::Path) continue;
    const bool is_certificate = spec.key.find("certificate") != std::string::npos;
    const bool is_private_key = spec.key.ends_with("_key");  // PEM keys; the kiosk's own key files end in _file
    if (!is_certificate && !is_private_key) continue;
    const std::string path = config.get_string(spec.key);
    if (path.empty()) continue;
    ++checked;
    std::unique_ptr<BIO, BioCloser> bio(BIO_new_file(path.c_str(), "r"));
    if (!bio)
      return fail(
          r, spec.key + ": cannot read " + path + ".",
          "Import the file again (kioskctl setup --certs-from DIR) or correct " + spec.key + " in the configuration.");
    if (is_certificate) {
      std::unique_ptr<X509, X509Closer> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
      if (!cert)
        return fail(r, spec.key + ": " + path + " is not a PEM certificate.",
                    "Import the right file (it starts with -----BEGIN CERTIFICATE-----).");
      const auto not_before = asn1_to_time(X509_get0_notBefore(cert.get()));
      const auto not_after = asn1_to_time(X509_get0_notAfter(cert.get()));
      if (not_before && now < *not_before)
        return fail(r, spec.key + ": " + path + " is not valid yet.",
                    "Check the clock, or import the current certificate.");
      if (not_after && now > *not_after)
        return fail(r, spec.key + ": " + path + " has expired.",
                    "Get a new certificate from the operator and import it.");
      if (not_after && now + static_cast<std::time_t>(warn_days) * 86400 > *not_after)
        warnings.push_back(spec.key + " expires within " + std::to_string(warn_days) + " days (on " +
                           expiry_day(*not_after) + "; after that nothing is sent)");
    } else {
      std::unique_ptr<EVP_PKEY, PkeyCloser> key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
      if (!key)
        return fail(r, spec.key + ": " + path + " is not an unencrypted PEM private key.",
                    "Import the right key file (a key protected by a password cannot be used unattended).");
      struct stat st {};
      if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
        return fail(r, spec.key + ": " + path + " can be read by others (mode " + octal_mode(st.st_mode) + ").",
                    "Run: chmod 600 " + path);
    }
  }
  if (checked == 0) {
    r.status = CheckStatus::Warning;
    r.message = "No certificates are configured.";
    r.fix = "Import the operator's certificates: kioskctl setup --certs-from /media/usb (see ADMIN.md).";
    return r;
  }
  if (!warnings.empty()) {
    r.status = CheckStatus::Warning;
    for (size_t i = 0; i < warnings.size(); ++i) r.message += (i ? "; " : "") + warnings[i];
    r.fix = "Order new certificates from the operator before they expire.";
    return r;
  }
  r.message = std::to_string(checked) + " file(s) readable and valid.";
  return r;
}

CheckResult check_disk_space(const std::filesystem::path& path, std::uint64_t min_free_bytes) {
  CheckResult r = make_check("disk", "Free disk space");
  std::filesystem::path probe = path;
  std::error_code ec;
  while (!probe.empty() && !std::filesystem::exists(probe, ec) && probe != probe.root_path())
    probe = probe.parent_path();
  if (probe.empty()) probe = ".";
  struct statvfs vfs {};
  if (::statvfs(probe.c_str(), &vfs) != 0)
    return fail(r, "Cannot measure free space at " + probe.string() + ".", "Check that the disk is mounted.");
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(vfs.f_bavail) * vfs.f_frsize;
  if (free_bytes < min_free_bytes)
    return fail(
        r,
        "Only " + human_bytes(free_bytes) + " free at " + probe.string() + " (needs " + human_bytes(min_free_bytes) +
            ").",
        "Free space: clear old logs (journalctl --vacuum-size=200M) and check that the queue is being delivered "
        "(kioskctl queue list).");
  r.message = human_bytes(free_bytes) + " free at " + probe.string() + ".";
  return r;
}

CheckResult check_clock(std::chrono::system_clock::time_point now) {
  CheckResult r = make_check("clock", "Clock");
  // The build date is a lower bound nobody can argue with; receipts and certificates
  // are judged by the clock, so a clock in the past breaks delivery.
  std::tm built{};
  std::istringstream(__DATE__) >> std::get_time(&built, "%b %d %Y");
  const auto build_time = std::chrono::system_clock::from_time_t(::timegm(&built));
  const auto limit = build_time + std::chrono::hours(24 * 365 * 20);
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  char text[64];
  std::tm utc{};
  ::gmtime_r(&t, &utc);
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M UTC", &utc);
  if (now < build_time - std::chrono::hours(24))
    return fail(r, std::string("The clock says ") + text + ", before this program was built.",
                "Set the time: timedatectl set-ntp true (or timedatectl set-time \"YYYY-MM-DD HH:MM\").");
  if (now > limit)
    return fail(r, std::string("The clock says ") + text + ", far in the future.",
                "Set the time: timedatectl set-ntp true (or timedatectl set-time \"YYYY-MM-DD HH:MM\").");
  r.message = std::string("The clock says ") + text + ".";
  return r;
}

CheckResult make_check(std::string id, std::string title) {
  CheckResult r;
  r.id = std::move(id);
  r.title = std::move(title);
  return r;
}

}  // namespace kiosk::admin
