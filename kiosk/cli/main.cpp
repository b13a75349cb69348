#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "command.hpp"

int main(int argc, char** argv) {
  using namespace kiosk::cli;
  const Registry& commands = registry();

  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    commands.print_help(std::cout);
    return args.empty() ? kExitUsage : kExitOk;
  }
  size_t used = 0;
  const Command* command = commands.match(args, used);
  if (!command) {
    std::cerr << "kioskctl: unknown command \"" << args[0] << "\". Run kioskctl --help to see the commands.\n";
    return kExitUsage;
  }
  Context context{std::vector<std::string>(args.begin() + static_cast<long>(used), args.end()), std::cout, std::cerr};
  // The edge of the program: whatever a command throws becomes a plain message and a
  // non-zero exit code, never an abort.
  try {
    return command->run(context);
  } catch (const std::exception& e) {
    std::cerr << "kioskctl " << command->name << ": " << e.what() << "\n";
    return kExitFailed;
  }
}
