#include "subprocess.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace kiosk {

namespace {

// argv for exec and spawn: the program's path first; the strings stay owned by `words`.
std::vector<char*> argv_of(std::vector<std::string>& words) {
  std::vector<char*> argv;
  for (auto& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

std::filesystem::path program_next_to_this_one(const std::string& name) {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  auto candidate = self.parent_path() / name;
  if (::access(candidate.c_str(), X_OK) != 0) return {};
  return candidate;
}

std::string exec_program(const std::filesystem::path& program, const std::vector<std::string>& args) {
  std::vector<std::string> words{program.string()};
  words.insert(words.end(), args.begin(), args.end());
  auto argv = argv_of(words);
  ::execv(argv[0], argv.data());
  return "cannot run " + program.string() + ": " + std::strerror(errno);
}

ChildProcess::ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
                           const std::optional<std::filesystem::path>& output) {
  std::vector<std::string> words{program.string()};
  words.insert(words.end(), args.begin(), args.end());
  auto argv = argv_of(words);
  // The actions are released however this constructor leaves.
  struct Actions {
    posix_spawn_file_actions_t actions;
    Actions() { posix_spawn_file_actions_init(&actions); }
    ~Actions() { posix_spawn_file_actions_destroy(&actions); }
    Actions(const Actions&) = delete;
    Actions& operator=(const Actions&) = delete;
  } spawn;
  if (output) {
    posix_spawn_file_actions_addopen(&spawn.actions, STDOUT_FILENO, output->c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                     0600);
    posix_spawn_file_actions_adddup2(&spawn.actions, STDOUT_FILENO, STDERR_FILENO);
  }
  const int rc = ::posix_spawn(&pid_, argv[0], &spawn.actions, nullptr, argv.data(), environ);
  if (rc != 0) {
    pid_ = -1;
    throw std::runtime_error("cannot start " + program.string() + ": " + std::strerror(rc));
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

int ChildProcess::wait() {
  if (pid_ <= 0) return -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace kiosk
