// kiosk-demo: the command-line programs that drive the real kiosk screens (the scripted demo and
// the a11y report). They are the only ones that link the UI; `kioskctl demo` and
// `kioskctl a11y-report` run them from here, so kioskctl itself links no UI library.
#include "command.hpp"

int main(int argc, char** argv) {
  return kiosk::cli::run_program(
      "kiosk-demo", "the kiosk's scripted demo and a11y report (kioskctl demo, kioskctl a11y-report)", argc, argv);
}
