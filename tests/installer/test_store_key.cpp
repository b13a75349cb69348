// Issue 15: the store key as an encrypted systemd credential. systemd is not PID 1 on the CI
// machine, but systemd-creds works for root: the seal/decrypt round trip runs for real, and
// what systemd does for a unit with LoadCredentialEncrypted= (the decrypted key in a tmpfs
// folder, mode 0400, named by $CREDENTIALS_DIRECTORY) is emulated for kioskctl.
#include <doctest/doctest.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include <cstdio>
#include <sstream>

#include "config.hpp"
#include "skip.hpp"
#include "store/store.hpp"
#include "store_key.hpp"
#include "test_support.hpp"

using kiosk_test::contains;
namespace fs = std::filesystem;

namespace {

struct Run {
  int code = -1;
  std::string out;
};

Run run(const std::string& command) {
  Run r;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  REQUIRE(pipe);
  char buffer[4096];
  size_t n;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) r.out.append(buffer, n);
  const int status = ::pclose(pipe);
  r.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

const std::string kioskctl = std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl";

bool systemd_creds_works() {
  return ::geteuid() == 0 && run("systemd-creds --version").code == 0;
}

// A store with its plain key, and a configuration naming both and a credential beside them.
fs::path make_store(const kiosk_test::TempDir& dir) {
  const auto conf = dir / "kiosk.toml";
  kiosk_test::write_file(conf,
                         "[store]\npath = \"" + (dir / "state/kiosk.db").string() + "\"\nkey_file = \"" +
                             (dir / "state/store.key").string() + "\"\ncredential = \"" +
                             (dir / "etc/credentials/store.key.cred").string() + "\"\n",
                         0600);
  kiosk::store::Store::open(dir / "state/kiosk.db", dir / "state/store.key").checkpoint();
  return conf;
}

}  // namespace

TEST_CASE("store key: kioskctl keys seal-store-key seals it with systemd-creds, verifies, removes the plain file") {
  if (!systemd_creds_works()) {
    kiosk_test::skip("needs root and systemd-creds (package systemd)");
    return;
  }
  kiosk_test::TempDir dir;
  const auto conf = make_store(dir);
  const std::string plain = kiosk_test::read_file(dir / "state/store.key");
  REQUIRE(plain.size() == 32);

  auto sealed = run(kioskctl + " keys seal-store-key --config " + conf.string());
  INFO(sealed.out);
  REQUIRE(sealed.code == 0);
  CHECK(contains(sealed.out, "sealed"));
  const auto cred = dir / "etc/credentials/store.key.cred";
  REQUIRE(fs::exists(cred));
  CHECK(kiosk_test::mode_of(cred) == 0600);
  CHECK(kiosk_test::mode_of(cred.parent_path()) == 0700);
  CHECK(!fs::exists(dir / "state/store.key"));  // the plain key is gone
  CHECK(!contains(kiosk_test::read_file(cred), plain));
  // The round trip: systemd-creds gives back the same 32 bytes, through a pipe.
  std::string key = kiosk::decrypt_store_credential(cred);
  CHECK(key == plain);
  // A credential with another name (a copy renamed to pass as another secret) is refused.
  CHECK(run("systemd-creds decrypt --name=other " + cred.string() + " - >/dev/null").code != 0);
  // The key in memory opens the store (what kioskctl does for root over ssh): no file on disk.
  const auto in_memory = kiosk::memory_file(key, "store.key");
  CHECK(in_memory.string().rfind("/proc/self/fd/", 0) == 0);
  CHECK_NOTHROW(kiosk::store::Store::open(dir / "state/kiosk.db", in_memory));

  // Run again: nothing changes (never a second key for the same store).
  const std::string before = kiosk_test::read_file(cred);
  auto again = run(kioskctl + " keys seal-store-key --config " + conf.string());
  CHECK(again.code == 0);
  CHECK(contains(again.out, "already sealed"));
  CHECK(kiosk_test::read_file(cred) == before);

  // A plain key that differs from the credential is refused, and both stay as they were.
  kiosk_test::write_file(dir / "state/store.key", std::string(32, 'x'), 0600);
  auto differs = run(kioskctl + " keys seal-store-key --config " + conf.string());
  CHECK(differs.code == 4);
  CHECK(contains(differs.out, "different keys"));
  CHECK(fs::exists(dir / "state/store.key"));
  CHECK(kiosk_test::read_file(cred) == before);
  // The same key as a plain copy (a conversion stopped by kill -9 after the credential was
  // written): run again, it finishes and removes the copy.
  kiosk_test::write_file(dir / "state/store.key", plain, 0600);
  auto finish = run(kioskctl + " keys seal-store-key --config " + conf.string());
  CHECK(finish.code == 0);
  CHECK(!fs::exists(dir / "state/store.key"));
  // A store whose key is missing never gets a new one.
  kiosk_test::TempDir other;
  make_store(other);
  fs::remove(other / "state/store.key");
  auto lost = run(kioskctl + " keys seal-store-key --config " + (other / "kiosk.toml").string());
  CHECK(lost.code == 4);
  CHECK(contains(lost.out, "restore the key"));
  CHECK(!fs::exists(other / "etc/credentials/store.key.cred"));
  // A new kiosk (no store, no key, as the package installs it): a new key, made sealed, never a
  // plain file; the store made with it afterwards opens with it.
  kiosk_test::TempDir fresh;
  kiosk_test::write_file(fresh / "kiosk.toml",
                         "[store]\npath = \"" + (fresh / "state/kiosk.db").string() + "\"\nkey_file = \"" +
                             (fresh / "state/store.key").string() + "\"\ncredential = \"" +
                             (fresh / "etc/credentials/store.key.cred").string() + "\"\n",
                         0600);
  auto made = run(kioskctl + " keys seal-store-key --config " + (fresh / "kiosk.toml").string());
  INFO(made.out);
  CHECK(made.code == 0);
  CHECK(!fs::exists(fresh / "state/store.key"));
  std::string new_key = kiosk::decrypt_store_credential(fresh / "etc/credentials/store.key.cred");
  CHECK(new_key.size() == 32);
  CHECK(new_key != plain);
  CHECK_NOTHROW(kiosk::store::Store::open(fresh / "state/kiosk.db", kiosk::memory_file(new_key, "store.key")));
}

TEST_CASE("store key: kioskctl reads the key from $CREDENTIALS_DIRECTORY as the units give it") {
  if (::geteuid() != 0) {
    kiosk_test::skip("needs root to mount a tmpfs as systemd's credentials folder");
    return;
  }
  kiosk_test::TempDir dir;
  const auto conf = make_store(dir);
  // What systemd does for LoadCredentialEncrypted=store.key:...: the decrypted key in a private
  // tmpfs folder, 0400.
  const auto creds = dir / "credentials";
  fs::create_directories(creds);
  REQUIRE(::mount("tmpfs", creds.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=0700") == 0);
  struct Unmount {
    fs::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{creds};
  kiosk_test::write_file(creds / "store.key", kiosk_test::read_file(dir / "state/store.key"), 0400);
  fs::remove(dir / "state/store.key");  // no plain key beside the store

  auto without = run(kioskctl + " staff list --json --config " + conf.string());
  CHECK(without.code != 0);
  CHECK(contains(without.out, "store key"));
  auto with =
      run("CREDENTIALS_DIRECTORY=" + creds.string() + " " + kioskctl + " staff list --json --config " + conf.string());
  INFO(with.out);
  CHECK(with.code == 0);
  CHECK(contains(with.out, "\"members\""));
  CHECK(!fs::exists(dir / "state/store.key"));  // and no key was made beside the store
  // The doctor says where the key is (a plain key file beside an installed store warns).
  auto doctor = run("CREDENTIALS_DIRECTORY=" + creds.string() + " " + kioskctl +
                    " doctor --skip-devices --skip-broker --config " + conf.string());
  INFO(doctor.out);
  bool key_ok = false;
  std::istringstream lines(doctor.out);
  for (std::string line; std::getline(lines, line);)
    key_ok = key_ok || (line.rfind("ok", 0) == 0 && contains(line, "Store encryption key: From the unit's encrypted"));
  CHECK(key_ok);
}
