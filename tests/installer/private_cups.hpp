#pragma once
// A real cupsd that a test starts on a free loopback port, with its own configuration, spool
// and logs, and sets CUPS_SERVER to (put back as it was when it ends). Its one queue Kiosk_A4 (the default printer) is
// a small backend script that copies each job into printed(). Used by the printer and doctor tests.
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <thread>

#include "../scoped_env.hpp"
#include "test_support.hpp"

namespace kiosk_test {

inline bool can_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<std::uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  ::close(fd);
  return ok;
}

inline int run_quietly(const std::string& command) {
  return std::system((command + " >/dev/null 2>&1").c_str());
}

namespace fs = std::filesystem;

class PrivateCups {
 public:
  PrivateCups() {
    const fs::path d = dir_.path();
    fs::permissions(d, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                           fs::perms::others_exec);
    for (const char* sub : {"conf", "spool/tmp", "cache", "state", "log", "out", "bin/backend"})
      fs::create_directories(d / sub);
    fs::permissions(d / "out", fs::perms::all);
    fs::create_directory_symlink("/usr/lib/cups/filter", d / "bin/filter");
    fs::create_directory_symlink("/usr/lib/cups/daemon", d / "bin/daemon");
    write_file(d / "bin/backend/copyfile",
               "#!/bin/sh\n"
               "[ $# -eq 0 ] && { echo 'direct copyfile \"Unknown\" \"Copy to file\"'; exit 0; }\n"
               "out=\"${DEVICE_URI#copyfile:}\"\n"
               "if [ -n \"$6\" ]; then cat \"$6\" >> \"$out\"; else cat >> \"$out\"; fi\n",
               0700);
    port_ = free_port();
    write_file(d / "conf/cupsd.conf",
               "Listen 127.0.0.1:" + std::to_string(port_) +
                   "\nLogLevel info\nWebInterface No\nBrowsing Off\nDefaultAuthType None\n"
                   "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
                   "<Policy default>\n  <Limit All>\n    Order deny,allow\n    Allow all\n  </Limit>\n</Policy>\n",
               0644);
    const std::string s = d.string();
    write_file(d / "conf/cups-files.conf",
               "FileDevice Yes\nServerRoot " + s + "/conf\nRequestRoot " + s + "/spool\nTempDir " + s +
                   "/spool/tmp\nCacheDir " + s + "/cache\nStateDir " + s + "/state\nErrorLog " + s +
                   "/log/error_log\nAccessLog " + s + "/log/access_log\nPageLog " + s + "/log/page_log\nServerBin " +
                   s + "/bin\nDataDir /usr/share/cups\n",
               0644);
    start();
    cups_server_ = std::make_unique<ScopedEnv>("CUPS_SERVER", server());
    if (lp("lpadmin -p Kiosk_A4 -E -v copyfile:" + (d / "out/printed").string() +
           " -o media-default=iso_a4_210x297mm") != 0 ||
        lp("lpadmin -d Kiosk_A4") != 0)
      throw std::runtime_error("lpadmin failed: " + read_file(d / "log/error_log"));
  }
  PrivateCups(const PrivateCups&) = delete;
  PrivateCups& operator=(const PrivateCups&) = delete;
  ~PrivateCups() { stop(); }

  // Ends cupsd (the tests of "the print service is down" use it).
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    for (int i = 0; i < 60 && ::waitpid(pid_, nullptr, WNOHANG) != pid_; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  int lp(const std::string& command) const { return run_quietly(command + " -h " + server()); }
  fs::path printed() const { return dir_ / "out/printed"; }

 private:
  void start() {
    const std::string conf = (dir_ / "conf/cupsd.conf").string(), files = (dir_ / "conf/cups-files.conf").string();
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test
      ::execlp("cupsd", "cupsd", "-f", "-c", conf.c_str(), "-s", files.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    for (int i = 0; i < 200; ++i) {
      if (can_connect(port_)) return;
      if (::waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("cupsd exited at start: " + read_file(dir_ / "log/error_log"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    throw std::runtime_error("cupsd did not start listening");
  }

  TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
  std::unique_ptr<ScopedEnv> cups_server_;  // CUPS_SERVER as it was comes back with the cupsd's end
};

}  // namespace kiosk_test
