#include "admin/privacy_checks.hpp"

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <system_error>

#include "private_folder.hpp"
#include "store_key.hpp"

namespace kiosk::admin {

namespace {
bool present(const std::filesystem::path& p) {
  std::error_code ec;
  return !p.empty() && std::filesystem::exists(p, ec);
}
bool has_tpm2() {
  std::error_code ec;
  return std::filesystem::exists("/sys/class/tpm/tpm0", ec) || std::filesystem::exists("/dev/tpmrm0", ec);
}
// The units can run: systemd is PID 1 (sd_booted()'s folder alone is left behind in some containers).
bool systemd_is_init() {
  std::error_code ec;
  std::ifstream comm("/proc/1/comm");
  std::string name;
  std::getline(comm, name);
  return name == "systemd" && std::filesystem::is_directory("/run/systemd/system", ec);
}
}  // namespace

std::filesystem::path readable_store_key(const Config& config) {
  const auto plain = config.get_path("store.key_file");
  if (present(plain)) return plain;
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
      dir && *dir && present(std::filesystem::path(dir) / "store.key"))
    return std::filesystem::path(dir) / "store.key";
  // The credential only where the kiosk itself would use it (use_store_key: the installed paths).
  if (installed_store_key(config) && present(config.get_path("store.credential"))) return {};
  return plain;  // missing: check_store says so
}

CheckResult check_store_key(const Config& config, unsigned expected_owner_uid) {
  const auto plain = config.get_path("store.key_file");
  const auto credential = config.get_path("store.credential");
  if (const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
      dir && *dir && present(std::filesystem::path(dir) / "store.key")) {
    CheckResult r;
    r.id = "key";
    r.title = "Store encryption key";
    r.message = "From the unit's encrypted systemd credential, decrypted by systemd into " +
                (std::filesystem::path(dir) / "store.key").string() + ".";
    if (present(plain)) {
      r.status = CheckStatus::Warning;
      r.message += " A plain copy is still at " + plain.string() + " beside the store.";
      r.fix = "Back the key up offline (ADMIN.md), then run as root: kioskctl keys seal-store-key";
    }
    return r;
  }
  // As the kiosk decides (use_store_key): the sealed credential is its key only with the
  // installed store and key paths; a store elsewhere has its own plain key file.
  if (installed_store_key(config) && present(credential)) {
    CheckResult r;
    r.id = "key";
    r.title = "Store encryption key";
    const std::string bound = has_tpm2() ? "sealed to this machine's TPM2"
                                         : "sealed with this machine's host key "
                                           "(/var/lib/systemd/credential.secret; no TPM2)";
    if (::geteuid() == 0) {
      try {
        std::string key = decrypt_store_credential(credential);
        volatile char* p = key.data();
        for (size_t i = 0; i < key.size(); ++i) p[i] = 0;
      } catch (const std::exception& e) {
        r.status = CheckStatus::Failed;
        r.message = e.what();
        r.fix =
            "A new machine or a cleared TPM cannot open the old credential: put the key from your offline "
            "backup at " +
            plain.string() + " (0600, owner kiosk) and run: kioskctl keys seal-store-key";
        return r;
      }
    }
    if (present(plain)) {
      r.status = CheckStatus::Warning;
      r.message = "The store key is " + bound + " in " + credential.string() + ", but a plain copy is still at " +
                  plain.string() + " beside the store: a stolen disk reads the queue with it.";
      r.fix = "Back the key up offline (ADMIN.md), then run: kioskctl keys seal-store-key";
      return r;
    }
    r.message = "Encrypted systemd credential " + credential.string() + ", " + bound +
                (::geteuid() == 0 ? "; it decrypts here" : "") + "; both units load it (LoadCredentialEncrypted=).";
    return r;
  }
  CheckResult r = check_key_file("key", "Store encryption key", plain, expected_owner_uid);
  if (r.failed()) {
    if (!credential.empty() && installed_store_key(config) && !present(plain) &&
        !present(config.get_path("store.path")))
      r.fix = "Run as root: kioskctl keys seal-store-key (it makes the key, sealed as a systemd credential).";
    return r;
  }
  if (installed_store_key(config)) {
    r.status = CheckStatus::Warning;
    r.message = "The store key is a plain file beside the store (" + plain.string() +
                "): a stolen disk reads the queued, held and parked submissions with it.";
    r.fix = "Back the key up offline (ADMIN.md), then run as root: kioskctl keys seal-store-key";
    return r;
  }
  r.message += " (a plain key file: a development or test store)";
  return r;
}

CheckResult check_private_folders(const Config& config) {
  CheckResult r;
  r.id = "page-dir";
  r.title = "Scanned pages kept off the disk";
  // Run from ssh, the unit's RuntimeDirectory is not in the environment: where systemd runs, the
  // kiosk's pages go under /run; elsewhere the kiosk falls back to /dev/shm like here.
  const bool unit_default =
      config.get_path("scanner.page_dir").empty() && !std::getenv("RUNTIME_DIRECTORY") && systemd_is_init();
  const auto pages = unit_default ? std::filesystem::path("/run") : scan_page_dir(config);
  const auto problem = memory_folder_problem(pages);
  if (!problem.empty()) {
    if (!config.get_bool("scanner.pages_on_disk")) {
      r.status = CheckStatus::Failed;
      r.message = "The kiosk refuses to scan: " + problem + ".";
      r.fix = "Leave scanner.page_dir empty (the unit's RuntimeDirectory, a tmpfs) or point it at a tmpfs folder.";
      return r;
    }
    r.status = CheckStatus::Warning;
    r.message = "scanner.pages_on_disk = true (development only): scanned pages go to " + pages.string() + ", which " +
                problem.substr(pages.string().size() + 1) + ".";
    r.fix = "On a kiosk in use remove scanner.pages_on_disk from the configuration.";
    return r;
  }
  r.message = "Scanned pages stay in memory (" +
              (unit_default ? std::string("the unit's RuntimeDirectory /run/helsenorge-kiosk") : pages.string()) +
              " is a tmpfs).";
  return r;
}

}  // namespace kiosk::admin
