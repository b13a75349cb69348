#pragma once
// Starting the kiosk's other programs: kioskctl, kiosk-demo, kiosk-recognize and platform-sim
// are installed (and built) in one folder, so each finds the others beside itself.
#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace kiosk {

// `name` in the folder of the running program; empty when it is not there or cannot be run.
std::filesystem::path program_next_to_this_one(const std::string& name);

// Replaces this process by `program` with `args` (its argv[0] is the program's path). Returns
// only when that failed, with the reason.
std::string exec_program(const std::filesystem::path& program, const std::vector<std::string>& args);

// A child process: stopped (SIGTERM) and reaped when the object goes, unless waited for first.
class ChildProcess {
 public:
  // Starts `program` with `args`; its standard output and error go to `output` when given,
  // else to this process's. Throws std::runtime_error when it cannot be started.
  ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args,
               const std::optional<std::filesystem::path>& output = std::nullopt);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Waits for the end: the exit code, or -1 when a signal ended it.
  int wait();

 private:
  pid_t pid_ = -1;
};

}  // namespace kiosk
