#pragma once
// Starting other programs: the kiosk's own (kioskctl, kiosk-demo, kiosk-recognize and
// platform-sim are installed and built in one folder, so each finds the others beside itself)
// and system tools (systemd-creds). One way to spawn, feed, read, time out and reap a child.
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "unique_fd.hpp"

namespace kiosk {

// `name` in the folder of the running program; empty when it is not there or cannot be run.
std::filesystem::path program_next_to_this_one(const std::string& name);

// Replaces this process by `program` with `args` (its argv[0] is the program's path). Returns
// only when that failed, with the reason.
std::string exec_program(const std::filesystem::path& program, const std::vector<std::string>& args);

// A child process: stopped (SIGTERM) and reaped when the object goes, unless waited for first.
class ChildProcess {
 public:
  // Where the child's standard streams go. By default they are this process's.
  struct Options {
    bool search_path = false;                          // `program` is a bare name looked up in PATH
    bool input_pipe = false;                           // write_input() feeds its standard input
    bool output_pipe = false;                          // its standard output comes back through collect()
    bool errors_pipe = false;                          // its standard error too
    std::optional<std::filesystem::path> output_file;  // standard output and error to this file (0600)
    std::optional<std::filesystem::path> errors_file;  // standard error alone to this file (0600)
    bool close_other_fds = false;                      // nothing else this process has open is handed on
  };
  // It could not be started: `error` is the errno; `no_pipe` when the pipes could not be made.
  struct StartError : std::runtime_error {
    StartError(const std::string& what, int error_number, bool pipe_failed)
        : std::runtime_error(what), error(error_number), no_pipe(pipe_failed) {}
    int error;
    bool no_pipe;
  };

  // Starts `program` with `args`. Throws StartError when it cannot be started.
  ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args, const Options& options);
  // Its standard output and error go to `output` when given, else to this process's.
  ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
               const std::optional<std::filesystem::path>& output = std::nullopt);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }

  // Writes `input` to the child's standard input, then closes it. Meant for small inputs (a key,
  // a credential): they fit in the pipe, so they are written before any output is read.
  void write_input(std::string_view input);

  // What came back through the output and error pipes. Reading buffers are wiped (the output may
  // be key material); the caller wipes `out` when it is.
  struct Output {
    std::string out, err;
    bool timed_out = false;  // the child was still writing at the deadline: it was killed (SIGKILL)
  };
  // Reads the pipes until the child closes them. After `timeout` the child is killed; `waiting`
  // is called at least every 50 ms meanwhile (e.g. to sample the child's memory).
  Output collect(std::chrono::milliseconds timeout, const std::function<void()>& waiting = {});

  // Waits for the end. `code` is the exit code, or -1 when `signal` ended it.
  struct Status {
    int code = -1;
    int signal = 0;
  };
  Status wait_status();
  int wait() { return wait_status().code; }

 private:
  pid_t pid_ = -1;
  UniqueFd input_, output_, errors_;  // this process's ends of the pipes asked for
};

}  // namespace kiosk
