// kiosk-recognize FILE... [--json] [--crops DIR] [--key FILE] [--config FILE] [--printed FILE]: reads filled-in
// sheets from image files. The kiosk's scan service starts it for every scan
// (scanner.recognize_in_helper), so the recogniser's memory is returned when it ends; it links
// forms, print and scanners only (no UI, store or broker). Admins use `kioskctl recognize`.
#include <exception>
#include <iostream>

#include "recognition.hpp"

int main(int argc, char** argv) {
  using namespace kiosk::cli;
  Context ctx{std::vector<std::string>(argv + 1, argv + argc), std::cout, std::cerr};
  try {
    return recognize_files(
        ctx, "kiosk-recognize FILE... [--json] [--crops DIR] [--key FILE] [--config FILE] [--printed FILE]");
  } catch (const std::exception& e) {
    std::cerr << "kiosk-recognize: " << e.what() << "\n";
    return kExitFailed;
  }
}
