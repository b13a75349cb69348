#pragma once
#include <functional>
#include <initializer_list>
#include <iosfwd>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kiosk::cli {

// Exit codes shared by every kioskctl command (and kiosk-demo, kiosk-recognize), so scripts and monitoring can tell
// "you typed it wrong" from "the input is bad" from "a device or service is down".
enum ExitCode : int {
  kExitOk = 0,
  kExitFailed = 1,       // the check or action ran and found something wrong
  kExitUsage = 2,        // wrong arguments
  kExitBadInput = 3,     // a file or value given is malformed
  kExitUnavailable = 4,  // printer, scanner, broker or disk not usable
};

// Command-line arguments after the command words: flags with values, switches and
// positional arguments. Unknown flags are an error, so a typo never goes unnoticed.
class Args {
 public:
  Args(std::vector<std::string> raw, std::vector<std::string> value_flags, std::vector<std::string> switches);

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  bool has(const std::string& flag) const;
  std::optional<std::string> value(const std::string& flag) const;
  std::vector<std::string> values(const std::string& flag) const;  // a flag given more than once
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::multimap<std::string, std::string> values_;
  std::vector<std::string> switches_on_;
  std::vector<std::string> positional_;
  std::string error_;
};

struct Context {
  std::vector<std::string> args;  // after the command words
  std::ostream& out;
  std::ostream& err;
};

struct Command {
  std::string name;     // one or more words, e.g. "forms list"
  std::string usage;    // e.g. "forms list [--json]"
  std::string summary;  // one line for the help text
  std::function<int(Context&)> run;
};

class Registry {
 public:
  void add(Command command);
  // Finds the longest command name that prefixes `argv`, returns it and how many words it used.
  const Command* match(const std::vector<std::string>& argv, size_t& words_used) const;
  void print_help(std::ostream& out, const std::string& program, const std::string& about) const;

 private:
  std::vector<Command> commands_;
};

// The one registry a program (kioskctl, kiosk-demo) dispatches from.
Registry& registry();

// A program's main(): runs the registered command that `argv` names, or prints the help
// (`about` is its first line). Whatever a command throws becomes a message and exit code 1.
int run_program(const std::string& program, const std::string& about, int argc, char** argv);

// Each area registers its commands in its own file (kiosk/cli/cmd_*.cpp) with a
// file-level `const CommandRegistration registration{{...}};`. kioskctl is built from
// every cli/*.cpp directly (no static library), so no registration is dropped by the linker.
struct CommandRegistration {
  CommandRegistration(std::initializer_list<Command> commands) {
    for (const auto& c : commands) registry().add(c);
  }
};

}  // namespace kiosk::cli
