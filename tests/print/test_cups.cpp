// Integration tests against a real cupsd, started privately on a free loopback port with
// its own configuration, spool and logs. The queue's device is a tiny test backend that copies
// the job's document to a file, so the printed bytes can be compared with what was sent.
#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <fstream>
#include <sstream>
#include <thread>

#include "print/layout.hpp"
#include "print/pdf.hpp"
#include "print/printer.hpp"
#include "support.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("cannot find a free port");
  int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

bool port_open(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// A private cupsd with one queue "kiosktest". Stopped (and its files removed) by the
// destructor, also when a check fails; killed by the kernel if the test process dies.
class CupsServer {
 public:
  CupsServer() {
    fs::permissions(dir_.path(), fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                                     fs::perms::others_read | fs::perms::others_exec);
    for (const char* sub : {"conf", "spool/tmp", "cache", "state", "log", "out", "bin/backend"})
      fs::create_directories(dir_.path() / sub);
    fs::permissions(dir_.path() / "out", fs::perms::all);
    fs::create_directory_symlink("/usr/lib/cups/filter", dir_.path() / "bin/filter");
    fs::create_directory_symlink("/usr/lib/cups/daemon", dir_.path() / "bin/daemon");
    const fs::path backend = dir_.path() / "bin/backend/kiosktest";
    std::ofstream(backend)
        << "#!/bin/sh\n"
           "# Test backend: copies the job's document to the file named in the device URI.\n"
           "if [ $# -eq 0 ]; then echo 'direct kiosktest \"Unknown\" \"Kiosk test file\"'; exit 0; fi\n"
           "out=\"${DEVICE_URI#kiosktest:}\"\n"
           "if [ -n \"$6\" ]; then cat \"$6\" > \"$out.tmp\"; else cat > \"$out.tmp\"; fi && mv \"$out.tmp\" "
           "\"$out\"\n";
    // Mode 0700: cupsd runs root-owned private backends as root, so it can write anywhere here.
    fs::permissions(backend, fs::perms::owner_all);
    port_ = free_port();
    std::ofstream(dir_.path() / "conf/cupsd.conf")
        << "Listen 127.0.0.1:" << port_
        << "\n"
           "LogLevel info\nWebInterface No\nBrowsing Off\nDefaultAuthType None\n"
           "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
           "<Policy default>\n  <Limit All>\n    Order deny,allow\n    Allow all\n  </Limit>\n</Policy>\n";
    const std::string d = dir_.path().string();
    std::ofstream(dir_.path() / "conf/cups-files.conf")
        << "FileDevice Yes\nServerRoot " << d << "/conf\nRequestRoot " << d << "/spool\nTempDir " << d
        << "/spool/tmp\nCacheDir " << d << "/cache\nStateDir " << d << "/state\nErrorLog " << d
        << "/log/error_log\nAccessLog " << d << "/log/access_log\nPageLog " << d << "/log/page_log\nServerBin " << d
        << "/bin\nDataDir /usr/share/cups\n";
    start();
    auto r = lp({"lpadmin", "-h", server(), "-p", "kiosktest", "-E", "-v", "kiosktest:" + output().string(), "-o",
                 "media-default=iso_a4_210x297mm"});
    if (r.exit_code != 0) throw std::runtime_error("lpadmin failed: " + r.output + log());
  }
  ~CupsServer() { stop(); }

  std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
  fs::path output() const { return dir_.path() / "out" / "printed.pdf"; }
  std::string log() const { return "\n--- cupsd error_log ---\n" + read_file(dir_.path() / "log/error_log"); }
  print_test::RunResult lp(const std::vector<std::string>& argv) const { return print_test::run(argv); }

 private:
  void start() {
    const std::string conf = (dir_.path() / "conf/cupsd.conf").string();
    const std::string files = (dir_.path() / "conf/cups-files.conf").string();
    const std::string log_file = (dir_.path() / "log/stdout").string();
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      prctl(PR_SET_PDEATHSIG, SIGKILL);
      FILE* f = std::freopen(log_file.c_str(), "w", stdout);
      (void)f;
      dup2(1, 2);
      execlp("cupsd", "cupsd", "-f", "-c", conf.c_str(), "-s", files.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    for (int i = 0; i < 100; ++i) {
      if (port_open(port_)) return;
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        throw std::runtime_error("cupsd exited at start: " + read_file(dir_.path() / "log/stdout") + log());
      }
      std::this_thread::sleep_for(50ms);
    }
    stop();
    throw std::runtime_error("cupsd did not start listening" + log());
  }
  void stop() noexcept {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 60; ++i) {
      if (waitpid(pid_, nullptr, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(50ms);
    }
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  print_test::TempDir dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

std::string render_sample(const std::string& lang) {
  const auto ctx = print_test::layout_context();
  const auto& form = print_test::catalogue().forms().front();
  return print::render_form_pdf(print::layout_form(form, lang, {}, ctx), "CUPS-TEST", print_test::test_key(),
                                ctx.fonts);
}

}  // namespace

TEST_CASE("cups: a form printed through a real cupsd arrives as the very PDF that was sent") {
  CupsServer cups;
  const print::PrinterTarget target{cups.server(), "kiosktest"};
  const auto status = print::query_printer(target);
  REQUIRE_MESSAGE(status.reachable, cups.log());
  CHECK(status.ready());
  CHECK(status.state == "idle");

  const std::string pdf = render_sample("nb");
  std::vector<print::JobState> seen;
  std::mutex seen_mutex;
  auto job = print::PrintJob::start(target, pdf, "kiosk test", {}, [&](const print::JobStatus& s) {
    std::lock_guard lock(seen_mutex);
    seen.push_back(s.state);
  });
  // start() returns at once; the worker does the waiting.
  REQUIRE_MESSAGE(job->wait_for(30s), "job did not finish: " << job->status().detail << cups.log());
  const auto st = job->status();
  INFO(st.detail << cups.log());
  CHECK(st.state == print::JobState::Completed);
  CHECK(st.job_id > 0);
  CHECK(st.message_key == "print.status.completed");
  REQUIRE(fs::exists(cups.output()));
  CHECK(read_file(cups.output()) == pdf);
  std::lock_guard lock(seen_mutex);
  CHECK_FALSE(seen.empty());
  CHECK(seen.back() == print::JobState::Completed);
}

TEST_CASE("cups: a stopped printer is reported in plain words and the job gives up") {
  CupsServer cups;
  const print::PrinterTarget target{cups.server(), "kiosktest"};
  auto r = cups.lp({"cupsdisable", "-h", cups.server(), "kiosktest"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);

  const auto status = print::query_printer(target);
  CHECK(status.reachable);
  CHECK(status.state == "stopped");
  CHECK_FALSE(status.ready());
  REQUIRE_FALSE(status.problems.empty());
  CHECK(status.problems.front().code == "printer-stopped");
  CHECK(print_test::translations().text("nb", status.problems.front().message_key) ==
        "Skriveren er stoppet. Be en ansatt om hjelp.");

  print::JobOptions options;
  options.poll_interval = 100ms;
  options.stall_timeout = 1s;
  auto job = print::PrintJob::start(target, render_sample("en"), "kiosk test", options);
  REQUIRE(job->wait_for(30s));
  const auto st = job->status();
  INFO(st.detail << cups.log());
  CHECK(st.state == print::JobState::Failed);
  REQUIRE_FALSE(st.problems.empty());
  CHECK(st.problems.front().code == "printer-stopped");
  CHECK(st.message_key == "print.status.printer-stopped");
  CHECK_FALSE(fs::exists(cups.output()));

  // The CLI says the same, with exit code 4 (device unavailable).
  auto cli =
      print_test::run({print_test::kioskctl().string(), "printer-status", "--queue", "kiosktest", "--lang", "en"},
                      {"CUPS_SERVER=" + cups.server()});
  CHECK(cli.exit_code == 4);
  CHECK(cli.output.find("The printer is stopped.") != std::string::npos);
}

TEST_CASE("cups: an unknown queue and an unreachable server are reported, not crashed on") {
  CupsServer cups;
  auto status = print::query_printer({cups.server(), "no-such-queue"});
  CHECK_FALSE(status.reachable);
  REQUIRE_FALSE(status.problems.empty());
  CHECK(status.problems.front().code == "printer-not-found");
  auto job = print::PrintJob::start({cups.server(), "no-such-queue"}, render_sample("nb"), "x");
  REQUIRE(job->wait_for(30s));
  CHECK(job->status().state == print::JobState::Failed);
  CHECK(job->status().problems.front().code == "printer-not-found");

  const std::string dead = "127.0.0.1:" + std::to_string(free_port());
  status = print::query_printer({dead, "kiosktest"});
  CHECK_FALSE(status.reachable);
  CHECK_FALSE(status.problems.empty());
}

TEST_CASE("cups: printer state reasons become plain problems") {
  using print::problems_from_state;
  auto codes = [](const std::vector<print::PrinterProblem>& ps) {
    std::vector<std::string> out;
    for (const auto& p : ps) out.push_back(p.code);
    return out;
  };
  CHECK(problems_from_state(3, {"none"}).empty());
  CHECK(codes(problems_from_state(3, {"media-empty-error"})) == std::vector<std::string>{"out-of-paper"});
  CHECK(codes(problems_from_state(3, {"media-needed-warning"})) == std::vector<std::string>{"out-of-paper"});
  CHECK(codes(problems_from_state(4, {"media-jam-error"})) == std::vector<std::string>{"paper-jam"});
  CHECK(codes(problems_from_state(3, {"offline-report"})) == std::vector<std::string>{"printer-offline"});
  CHECK(codes(problems_from_state(5, {"paused"})) == std::vector<std::string>{"printer-stopped"});
  CHECK(codes(problems_from_state(5, {"none"})) == std::vector<std::string>{"printer-stopped"});
  CHECK(codes(problems_from_state(5, {"paused", "media-empty-error", "offline-report"})) ==
        std::vector<std::string>{"printer-offline", "out-of-paper", "printer-stopped"});
  CHECK(problems_from_state(3, {"cups-waiting-for-job-completed", "media-low-report"}).empty());
  for (const auto& p : problems_from_state(5, {"media-jam", "door-open", "toner-empty", "offline", "media-empty"})) {
    INFO(p.code);
    for (const std::string lang : {"nb", "nn", "en"}) CHECK(print_test::translations().has(lang, p.message_key));
  }
}
