#include "command.hpp"

int main(int argc, char** argv) {
  return kiosk::cli::run_program(
      "kioskctl", "command-line tool of the Helsenorge ekstra enkel kiosk (admins, staff, tests)", argc, argv);
}
