#include "command.hpp"

#include <algorithm>
#include <exception>
#include <iostream>
#include <ostream>
#include <sstream>

namespace kiosk::cli {

Args::Args(std::vector<std::string> raw, std::vector<std::string> value_flags, std::vector<std::string> switches) {
  auto contains = [](const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
  };
  for (size_t i = 0; i < raw.size(); ++i) {
    std::string arg = raw[i];
    if (arg.rfind("--", 0) != 0 || arg == "--") {
      positional_.push_back(arg);
      continue;
    }
    std::optional<std::string> inline_value;
    if (auto eq = arg.find('='); eq != std::string::npos) {
      inline_value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    }
    if (contains(value_flags, arg)) {
      if (inline_value) {
        values_.emplace(arg, *inline_value);
      } else if (i + 1 < raw.size()) {
        values_.emplace(arg, raw[++i]);
      } else {
        error_ = arg + " needs a value";
        return;
      }
    } else if (contains(switches, arg) && !inline_value) {
      switches_on_.push_back(arg);
    } else {
      error_ = "unknown option " + arg;
      return;
    }
  }
}

bool Args::has(const std::string& flag) const {
  return values_.count(flag) != 0 || std::find(switches_on_.begin(), switches_on_.end(), flag) != switches_on_.end();
}

std::optional<std::string> Args::value(const std::string& flag) const {
  auto range = values_.equal_range(flag);
  if (range.first == range.second) return std::nullopt;
  return std::prev(range.second)->second;  // the last one given wins
}

std::vector<std::string> Args::values(const std::string& flag) const {
  std::vector<std::string> out;
  auto range = values_.equal_range(flag);
  for (auto it = range.first; it != range.second; ++it) out.push_back(it->second);
  return out;
}

Registry& registry() {
  static Registry instance;
  return instance;
}

void Registry::add(Command command) {
  commands_.push_back(std::move(command));
}

const Command* Registry::match(const std::vector<std::string>& argv, size_t& words_used) const {
  const Command* best = nullptr;
  size_t best_words = 0;
  for (const auto& command : commands_) {
    std::istringstream words(command.name);
    std::string word;
    size_t n = 0;
    bool ok = true;
    while (words >> word) {
      if (n >= argv.size() || argv[n] != word) {
        ok = false;
        break;
      }
      ++n;
    }
    if (ok && n > best_words) {
      best = &command;
      best_words = n;
    }
  }
  words_used = best_words;
  return best;
}

void Registry::print_help(std::ostream& out, const std::string& program, const std::string& about) const {
  out << program << ": " << about << "\n\nUsage: " << program << " COMMAND [options]\n\nCommands:\n";
  std::vector<const Command*> sorted;
  for (const auto& c : commands_) sorted.push_back(&c);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  for (const auto* c : sorted) out << "  " << c->usage << "\n      " << c->summary << "\n";
  out << "\nExit codes: 0 ok, 1 something is wrong, 2 wrong arguments, 3 bad input file or value, "
         "4 printer/scanner/broker/disk not available.\n";
}

int run_program(const std::string& program, const std::string& about, int argc, char** argv) {
  const Registry& commands = registry();
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    commands.print_help(std::cout, program, about);
    return args.empty() ? kExitUsage : kExitOk;
  }
  size_t used = 0;
  const Command* command = commands.match(args, used);
  if (!command) {
    std::cerr << program << ": unknown command \"" << args[0] << "\". Run " << program
              << " --help to see the commands.\n";
    return kExitUsage;
  }
  Context context{std::vector<std::string>(args.begin() + static_cast<long>(used), args.end()), std::cout, std::cerr};
  // The edge of the program: whatever a command throws becomes a plain message and a
  // non-zero exit code, never an abort.
  try {
    return command->run(context);
  } catch (const std::exception& e) {
    std::cerr << program << " " << command->name << ": " << e.what() << "\n";
    return kExitFailed;
  }
}

}  // namespace kiosk::cli
