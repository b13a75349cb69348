// kioskctl demo | a11y-report: both drive the real screens, so they live in kiosk-demo (which
// links the UI) and kioskctl runs it from its own folder with the same arguments.
#include <ostream>

#include "command.hpp"
#include "subprocess.hpp"

namespace kiosk::cli {

namespace {

int run_in_kiosk_demo(const std::string& command, Context& ctx) {
  const auto program = program_next_to_this_one("kiosk-demo");
  if (program.empty()) {
    ctx.err << "kiosk-demo is not installed next to kioskctl: the " << command << " needs it.\n";
    return kExitUnavailable;
  }
  std::vector<std::string> args{command};
  args.insert(args.end(), ctx.args.begin(), ctx.args.end());
  ctx.out.flush();
  ctx.err << exec_program(program, args) << "\n";  // returns only when it could not run
  return kExitUnavailable;
}

const CommandRegistration registration{
    Command{"demo", "demo --out DIR [--config FILE] [--broker URL] [--scenario S]",
            "Run the scripted demo session in the real UI and write screenshots and a summary into DIR (kiosk-demo)",
            [](Context& ctx) { return run_in_kiosk_demo("demo", ctx); }},
    Command{"a11y-report", "a11y-report [--json] [--config FILE]",
            "Check every kiosk screen against the ekstra enkel rules; prints one line per problem (none when clean) "
            "(kiosk-demo)",
            [](Context& ctx) { return run_in_kiosk_demo("a11y-report", ctx); }}};

}  // namespace

}  // namespace kiosk::cli
