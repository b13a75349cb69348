#include "subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

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

// The spawn's file actions, released however the constructor leaves.
struct SpawnActions {
  posix_spawn_file_actions_t actions;
  SpawnActions() { posix_spawn_file_actions_init(&actions); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&actions); }
  SpawnActions(const SpawnActions&) = delete;
  SpawnActions& operator=(const SpawnActions&) = delete;
};

// A pipe whose two ends are closed on exec (the child gets only the end dup2'ed to it).
void make_pipe(const std::string& program, UniqueFd& read_end, UniqueFd& write_end) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw ChildProcess::StartError("cannot start " + program + " (no pipe)", errno, true);
  read_end.fd = fds[0];
  write_end.fd = fds[1];
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
                           const std::optional<std::filesystem::path>& output)
    : ChildProcess(program, args, [&] {
        Options to_file;
        to_file.output_file = output;
        return to_file;
      }()) {}

ChildProcess::ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
                           const Options& options) {
  std::vector<std::string> words{program.string()};
  words.insert(words.end(), args.begin(), args.end());
  auto argv = argv_of(words);
  // The child's ends: closed here once it has them.
  UniqueFd child_input, child_output, child_errors;
  if (options.input_pipe) make_pipe(program.string(), child_input, input_);
  if (options.output_pipe) make_pipe(program.string(), output_, child_output);
  if (options.errors_pipe) make_pipe(program.string(), errors_, child_errors);
  SpawnActions spawn;
  if (options.input_pipe) posix_spawn_file_actions_adddup2(&spawn.actions, child_input.fd, STDIN_FILENO);
  if (options.output_pipe) posix_spawn_file_actions_adddup2(&spawn.actions, child_output.fd, STDOUT_FILENO);
  if (options.errors_pipe) posix_spawn_file_actions_adddup2(&spawn.actions, child_errors.fd, STDERR_FILENO);
  if (options.output_file) {
    posix_spawn_file_actions_addopen(&spawn.actions, STDOUT_FILENO, options.output_file->c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_adddup2(&spawn.actions, STDOUT_FILENO, STDERR_FILENO);
  }
  if (options.errors_file)
    posix_spawn_file_actions_addopen(&spawn.actions, STDERR_FILENO, options.errors_file->c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (options.close_other_fds) posix_spawn_file_actions_addclosefrom_np(&spawn.actions, STDERR_FILENO + 1);
  const int rc = options.search_path ? ::posix_spawnp(&pid_, argv[0], &spawn.actions, nullptr, argv.data(), environ)
                                     : ::posix_spawn(&pid_, argv[0], &spawn.actions, nullptr, argv.data(), environ);
  if (rc != 0) {
    pid_ = -1;
    throw StartError("cannot start " + program.string() + ": " + std::strerror(rc), rc, false);
  }
}

ChildProcess::~ChildProcess() {
  input_.reset();
  output_.reset();
  errors_.reset();
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

void ChildProcess::write_input(std::string_view input) {
  size_t written = 0;
  while (input_.fd >= 0 && written < input.size()) {
    const ssize_t n = ::write(input_.fd, input.data() + written, input.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    written += static_cast<size_t>(n);
  }
  input_.reset();
}

ChildProcess::Output ChildProcess::collect(std::chrono::milliseconds timeout, const std::function<void()>& waiting) {
  Output got;
  pollfd fds[2] = {{output_.fd, POLLIN, 0}, {errors_.fd, POLLIN, 0}};
  std::string* into[2] = {&got.out, &got.err};
  int open_count = (output_.fd >= 0) + (errors_.fd >= 0);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (open_count > 0) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count();
    if (left <= 0) {  // the child hangs (e.g. a TPM that does not answer): give up
      got.timed_out = true;
      if (pid_ > 0) ::kill(pid_, SIGKILL);
      break;
    }
    const int ready = ::poll(fds, 2, static_cast<int>(std::min<long long>(left, 50)));
    if (waiting) waiting();
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) {
      if (pid_ > 0) ::kill(pid_, SIGKILL);
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[16384];
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        --open_count;
        continue;
      }
      into[i]->append(buffer, static_cast<size_t>(n));
      ::explicit_bzero(buffer, sizeof buffer);
    }
  }
  output_.reset();
  errors_.reset();
  return got;
}

ChildProcess::Status ChildProcess::wait_status() {
  Status ended;
  if (pid_ <= 0) return ended;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  pid_ = -1;
  if (WIFEXITED(status)) ended.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) ended.signal = WTERMSIG(status);
  return ended;
}

}  // namespace kiosk
