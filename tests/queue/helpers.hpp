#pragma once
// Helpers for the queue tests: temporary folders, real processes, a private RabbitMQ.
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace queue_test {

namespace fs = std::filesystem;

inline std::string bin(const std::string& name) {
  return std::string(KIOSK_BINARY_DIR) + "/bin/" + name;
}

struct TempDir {
  fs::path path;
  explicit TempDir(const std::string& prefix) {
    std::string pattern = (fs::temp_directory_path() / (prefix + "-XXXXXX")).string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    if (!std::getenv("KIOSK_KEEP_TEST_FILES")) fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline bool port_open(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// A child process in its own process group; killed (the whole group) when destroyed.
class Process {
 public:
  Process(std::vector<std::string> argv, const fs::path& output, std::map<std::string, std::string> env = {}) {
    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      ::setpgid(0, 0);
      for (const auto& [k, v] : env) ::setenv(k.c_str(), v.c_str(), 1);
      std::FILE* out = std::fopen(output.c_str(), "ab");
      if (out) {
        ::dup2(fileno(out), 1);
        ::dup2(fileno(out), 2);
      }
      std::vector<char*> args;
      for (auto& a : argv) args.push_back(a.data());
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      std::_Exit(127);
    }
    ::setpgid(pid_, pid_);
  }
  ~Process() { kill(SIGKILL); }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(-pid_, sig);
    if (sig == SIGKILL) wait_for(std::chrono::seconds(10));
  }
  // Exit code, or -1 on timeout, 128+signal when killed.
  int wait_for(std::chrono::milliseconds timeout) {
    if (pid_ <= 0) return status_;
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;;) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return status_;
      }
      if (std::chrono::steady_clock::now() >= until) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  bool running() { return pid_ > 0 && wait_for(std::chrono::milliseconds(0)) == -1; }

 private:
  pid_t pid_ = -1;
  int status_ = -1;
};

struct RunResult {
  int code = -1;
  std::string output;
};

// Runs a program to completion (stdout and stderr together).
inline RunResult run(const std::vector<std::string>& argv, const fs::path& scratch, int timeout_s = 120) {
  static int counter = 0;
  const fs::path out = scratch / ("run-" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + ".log");
  RunResult result;
  {
    Process p(argv, out);
    result.code = p.wait_for(std::chrono::seconds(timeout_s));
  }
  result.output = read_text(out);
  fs::remove(out);
  return result;
}

// A private RabbitMQ 3.10 with the AMQP 1.0 plugin on 127.0.0.1 and a free port, with its
// own data folder, node name, distribution and EPMD ports. Run directly (not through
// Debian's wrapper that switches to the rabbitmq user), so the folders are ours.
// The broker's TLS files (PEM) for an amqps:// listener that requires a client certificate
// signed by `ca`.
struct BrokerTls {
  fs::path ca, certificate, key;
};

// True while `pid` exists and is not a zombie.
inline bool process_alive(pid_t pid) {
  const std::string stat = read_text(fs::path("/proc") / std::to_string(pid) / "stat");
  const auto close = stat.rfind(')');
  return close != std::string::npos && close + 2 < stat.size() && stat[close + 2] != 'Z';
}

class RabbitBroker {
 public:
  explicit RabbitBroker(const fs::path& dir, std::optional<BrokerTls> tls = std::nullopt) : dir_(dir) {
    port_ = free_port();
    dist_port_ = free_port();
    epmd_port_ = free_port();
    fs::create_directories(dir_ / "mnesia");
    fs::create_directories(dir_ / "log");
    fs::create_directories(dir_ / "home");
    std::ofstream(dir_ / "enabled_plugins") << "[rabbitmq_amqp1_0].\n";
    std::ofstream conf(dir_ / "rabbitmq.conf");
    conf << "listeners.tcp.1 = 127.0.0.1:" << port_ << "\nloopback_users = none\n"
         << "management.tcp.port = " << free_port() << "\n";
    if (tls) {
      tls_port_ = free_port();
      conf << "listeners.ssl.1 = 127.0.0.1:" << tls_port_ << "\nssl_options.cacertfile = " << tls->ca.string()
           << "\nssl_options.certfile = " << tls->certificate.string()
           << "\nssl_options.keyfile = " << tls->key.string()
           << "\nssl_options.verify = verify_peer\nssl_options.fail_if_no_peer_cert = true\n";
    }
    conf.close();
    start();
  }
  ~RabbitBroker() { stop(); }
  RabbitBroker(const RabbitBroker&) = delete;
  RabbitBroker& operator=(const RabbitBroker&) = delete;

  int port() const { return port_; }
  // The Erlang VM's pid (it runs as a child of the start script), 0 when not known.
  pid_t vm_pid() const {
    try {
      return static_cast<pid_t>(std::stol(read_text(dir_ / "pid")));
    } catch (const std::exception&) {
      return 0;
    }
  }
  std::string url() const { return "amqp://guest:guest@127.0.0.1:" + std::to_string(port_); }
  // The amqps:// listener (only with BrokerTls).
  std::string tls_url() const { return "amqps://guest:guest@127.0.0.1:" + std::to_string(tls_port_); }

  // Runs rabbitmqctl against this broker (e.g. {"delete_queue", "kiosk-0001_async"}) and
  // returns its exit status; its output goes to ctl.log in the broker's folder.
  int ctl(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/lib/rabbitmq/bin/rabbitmqctl", "-n", node_name()};
    argv.insert(argv.end(), args.begin(), args.end());
    std::error_code ec;
    fs::remove(dir_ / "ctl.log", ec);
    Process p(argv, dir_ / "ctl.log", environment());
    return p.wait_for(std::chrono::seconds(60));
  }
  // Messages waiting on a queue, read with rabbitmqctl (nothing is consumed); -1 if unknown.
  long messages_on(const std::string& queue) {
    if (ctl({"list_queues", "-q", "--no-table-headers", "name", "messages"}) != 0) return -1;
    std::istringstream lines(read_text(dir_ / "ctl.log"));
    std::string name;
    long n = 0;
    while (lines >> name >> n)
      if (name == queue) return n;
    return 0;  // no such queue: nothing waits
  }

  void start() {
    process_ = std::make_unique<Process>(std::vector<std::string>{"/usr/lib/rabbitmq/bin/rabbitmq-server"},
                                         dir_ / "broker.log", environment());
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(90);
    while (!port_open(port_) || (tls_port_ != 0 && !port_open(tls_port_))) {
      if (!process_->running())
        throw std::runtime_error("RabbitMQ exited; see " + (dir_ / "broker.log").string() + "\n" +
                                 read_text(dir_ / "broker.log"));
      if (std::chrono::steady_clock::now() > until) throw std::runtime_error("RabbitMQ did not start within 90 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }

 private:
  std::string node_name() const { return "kiosktest-" + std::to_string(::getpid()) + "@localhost"; }
  std::map<std::string, std::string> environment() const {
    return {
        {"HOME", (dir_ / "home").string()},
        {"RABBITMQ_MNESIA_BASE", (dir_ / "mnesia").string()},
        {"RABBITMQ_LOG_BASE", (dir_ / "log").string()},
        {"RABBITMQ_FEATURE_FLAGS_FILE", (dir_ / "feature_flags").string()},
        {"RABBITMQ_ENABLED_PLUGINS_FILE", (dir_ / "enabled_plugins").string()},
        {"RABBITMQ_CONFIG_FILE", (dir_ / "rabbitmq.conf").string()},
        {"RABBITMQ_NODENAME", node_name()},
        {"RABBITMQ_DIST_PORT", std::to_string(dist_port_)},
        {"ERL_EPMD_PORT", std::to_string(epmd_port_)},
        {"RABBITMQ_PID_FILE", (dir_ / "pid").string()},
    };
  }

 public:
  void stop() {
    if (!process_) return;
    process_->kill(SIGTERM);
    if (process_->wait_for(std::chrono::seconds(15)) == -1) process_->kill(SIGKILL);
    process_.reset();
    // epmd detaches from our process group: find the one we started (by its private
    // port) and end it by its pid.
    std::vector<pid_t> ended;
    for (const auto& entry : fs::directory_iterator("/proc")) {
      const std::string name = entry.path().filename().string();
      if (name.find_first_not_of("0123456789") != std::string::npos) continue;
      const std::string cmdline = read_text(entry.path() / "cmdline");
      const std::string environ = read_text(entry.path() / "environ");
      const std::string marker = "ERL_EPMD_PORT=" + std::to_string(epmd_port_);
      if (cmdline.find("epmd") != std::string::npos &&
          environ.find(marker + std::string(1, '\0')) != std::string::npos) {
        ended.push_back(static_cast<pid_t>(std::stoi(name)));
        ::kill(ended.back(), SIGTERM);
      }
    }
    // A broker started again at once would register with the dying epmd on the same port and
    // fail ("nodistribution"): wait until it is gone (a zombie left to init counts as gone).
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    for (const pid_t pid : ended)
      while (process_alive(pid) && std::chrono::steady_clock::now() < until)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }

 private:
  fs::path dir_;
  int port_ = 0, tls_port_ = 0, dist_port_ = 0, epmd_port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace queue_test
