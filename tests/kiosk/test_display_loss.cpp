// The real kiosk program loses its display (the X server it draws on is killed, as when the
// compositor under cage restarts): it stops cleanly with exit code 3 and a plain log line, so
// its service unit (Restart=on-failure) starts it again; started again on a new display, it
// opens on the start screen.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "kiosk_services_support.hpp"
#include "skip.hpp"

extern char** environ;

namespace {

using namespace std::chrono_literals;

// A child process with stdout or stderr (`fd`) into a pipe; killed and reaped if still running.
struct Child {
  pid_t pid = -1;
  int out = -1;
  std::string text;

  Child(const std::vector<std::string>& argv, int fd, const std::vector<std::string>& extra_env) {
    int p[2];
    REQUIRE(pipe(p) == 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, p[1], fd);
    posix_spawn_file_actions_addclose(&actions, p[0]);
    std::vector<std::string> env_strings = extra_env;
    for (char** e = environ; *e; ++e) {
      bool replaced = false;
      for (const auto& x : extra_env)
        if (std::strncmp(*e, x.c_str(), x.find('=') + 1) == 0) replaced = true;
      if (!replaced) env_strings.emplace_back(*e);
    }
    std::vector<char*> args, env;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env_strings) env.push_back(const_cast<char*>(e.c_str()));
    env.push_back(nullptr);
    const int rc = posix_spawnp(&pid, argv[0].c_str(), &actions, nullptr, args.data(), env.data());
    posix_spawn_file_actions_destroy(&actions);
    close(p[1]);
    out = p[0];
    REQUIRE_MESSAGE(rc == 0, "cannot start " << argv[0]);
    fcntl(out, F_SETFL, O_NONBLOCK);
  }
  ~Child() {
    if (pid > 0) {
      kill(pid, SIGKILL);
      waitpid(pid, nullptr, 0);
    }
    if (out >= 0) close(out);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  void read_some() {
    char buffer[4096];
    ssize_t n;
    while ((n = read(out, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<size_t>(n));
  }
  // Waits until the output holds `what`; false after `limit`.
  bool wait_for(const std::string& what, std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      read_some();
      if (text.find(what) != std::string::npos) return true;
      std::this_thread::sleep_for(20ms);
    }
    return false;
  }
  // The exit status once the process ended, within `limit`.
  std::optional<int> wait_exit(std::chrono::seconds limit) {
    const auto end = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < end) {
      read_some();
      int status = 0;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        pid = -1;
        read_some();
        return status;
      }
      std::this_thread::sleep_for(20ms);
    }
    return std::nullopt;
  }
};

// A private X server; its display name (":N") from -displayfd.
struct XServer {
  std::unique_ptr<Child> child;
  std::string display;
  XServer() {
    child = std::make_unique<Child>(
        std::vector<std::string>{"Xvfb", "-displayfd", "1", "-screen", "0", "1920x1080x24", "-nolisten", "tcp"}, 1,
        std::vector<std::string>{});
    REQUIRE(child->wait_for("\n", 30s));
    display = ":" + child->text.substr(0, child->text.find('\n'));
  }
};

}  // namespace

TEST_CASE("display loss: the kiosk stops cleanly when its display goes, and starts again on the start screen") {
  kiosk_test::TempDir dir("kiosk-display-loss-test");
  kiosk_test::demo_env(dir.path, "display-loss-test-key-0123456789");
  // A staff PIN (1234) so the kiosk goes straight to its start screen, not the first-run setup.
  std::ofstream(dir.path / "env" / "kiosk.toml", std::ios::app)
      << "\n[staff]\npin_hash = \"$argon2id$v=19$m=8,t=1,p=1$0tkVidadDD7EeRX3LrSX1g$"
         "ekRLEqyYgXCWCFvZHQ3Fe4+JfSG2n99yx3gdxeTdf/E\"\n";
  const std::string kiosk = std::string(KIOSK_BINARY_DIR) + "/bin/kiosk";
  const std::vector<std::string> argv{kiosk, "--windowed", "--config", (dir.path / "env" / "kiosk.toml").string()};

  auto x = std::make_unique<XServer>();
  {
    Child k(argv, 2, {"DISPLAY=" + x->display, "LIBGL_ALWAYS_SOFTWARE=1"});
    REQUIRE_MESSAGE(k.wait_for("kiosk: first frame after", 90s), k.text);
    std::this_thread::sleep_for(500ms);
    // The X server dies, as a compositor that crashes takes Xwayland with it.
    kill(x->child->pid, SIGKILL);
    x.reset();
    const auto status = k.wait_exit(30s);
    INFO(k.text);
    REQUIRE(status.has_value());
    CHECK(WIFEXITED(*status));
    CHECK(WEXITSTATUS(*status) == 3);
    CHECK(k.text.find("kiosk: the display was lost") != std::string::npos);
  }
  // The display is back (the unit starts cage again): the kiosk opens on its start screen; it
  // keeps nothing of a session between runs.
  XServer again;
  Child k(argv, 2, {"DISPLAY=" + again.display, "LIBGL_ALWAYS_SOFTWARE=1"});
  REQUIRE_MESSAGE(k.wait_for("kiosk: first frame after", 90s), k.text);
  kill(k.pid, SIGTERM);
  const auto status = k.wait_exit(30s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
}

TEST_CASE("store key: the real kiosk takes its store key from $CREDENTIALS_DIRECTORY as its unit gives it") {
  if (::geteuid() != 0) {
    kiosk_test::skip("needs root to mount a tmpfs as systemd's credentials folder");
    return;
  }
  kiosk_test::TempDir dir("kiosk-store-key-test");
  kiosk_test::demo_env(dir.path, "store-key-test-key-0123456789abc");
  std::ofstream(dir.path / "env" / "kiosk.toml", std::ios::app)
      << "\n[staff]\npin_hash = \"$argon2id$v=19$m=8,t=1,p=1$0tkVidadDD7EeRX3LrSX1g$"
         "ekRLEqyYgXCWCFvZHQ3Fe4+JfSG2n99yx3gdxeTdf/E\"\n";
  // What systemd does for LoadCredentialEncrypted=store.key:...: the decrypted key in a private
  // tmpfs, 0400; no plain key beside the store.
  const auto creds = dir.path / "credentials";
  std::filesystem::create_directories(creds);
  REQUIRE(::mount("tmpfs", creds.c_str(), "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=1m,mode=0700") == 0);
  struct Unmount {
    std::filesystem::path at;
    ~Unmount() { ::umount2(at.c_str(), MNT_DETACH); }
  } unmount{creds};
  std::filesystem::copy_file(dir.path / "env" / "store.key", creds / "store.key");
  std::filesystem::permissions(creds / "store.key", std::filesystem::perms::owner_read);
  std::filesystem::remove(dir.path / "env" / "store.key");

  XServer x;
  const std::string kiosk = std::string(KIOSK_BINARY_DIR) + "/bin/kiosk";
  Child k({kiosk, "--windowed", "--config", (dir.path / "env" / "kiosk.toml").string()}, 2,
          {"DISPLAY=" + x.display, "LIBGL_ALWAYS_SOFTWARE=1", "CREDENTIALS_DIRECTORY=" + creds.string()});
  REQUIRE_MESSAGE(k.wait_for("kiosk: first frame after", 90s), k.text);
  INFO(k.text);
  CHECK(k.text.find("kiosk: store key: encrypted systemd credential, decrypted by systemd for this unit (" +
                    (creds / "store.key").string() + ")") != std::string::npos);
  kill(k.pid, SIGTERM);
  const auto status = k.wait_exit(30s);
  REQUIRE(status.has_value());
  CHECK(WIFEXITED(*status));
  CHECK(WEXITSTATUS(*status) == 0);
  CHECK(!std::filesystem::exists(dir.path / "env" / "store.key"));  // no plain key was made
}
