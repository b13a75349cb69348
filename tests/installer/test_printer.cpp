// The printer check, discovery and test page against a real cupsd (private_cups.hpp).
#include <doctest/doctest.h>

#include <chrono>
#include <thread>

#include "admin/checks.hpp"
#include "admin/setup.hpp"
#include "private_cups.hpp"
#include "test_support.hpp"

using namespace kiosk::admin;
using kiosk_test::contains;
using kiosk_test::PrivateCups;
namespace fs = std::filesystem;

TEST_CASE("printer: a real cupsd's queue is found, idle, and prints the test page - stopped and missing queues fail") {
  PrivateCups cups;
  const auto printers = discover_printers();
  REQUIRE(printers.size() == 1);
  CHECK(printers[0].name == "Kiosk_A4");
  CHECK(printers[0].is_default);

  auto idle = check_printer("Kiosk_A4");
  CHECK_MESSAGE(idle.status == CheckStatus::Ok, idle.message);
  CHECK(contains(idle.message, "idle"));
  CHECK(check_printer("").status == CheckStatus::Ok);  // the default printer

  auto missing = check_printer("Other");
  CHECK(missing.status == CheckStatus::Failed);
  CHECK(contains(missing.fix, "Kiosk_A4"));

  const int job = print_test_page("Kiosk_A4", "Testbiblioteket");
  CHECK(job > 0);
  for (int i = 0; i < 100 && !contains(kiosk_test::read_file(cups.printed()), "Testbiblioteket"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(contains(kiosk_test::read_file(cups.printed()), "Testbiblioteket"));

  REQUIRE(cups.lp("cupsdisable -r media-empty Kiosk_A4") == 0);
  auto stopped = check_printer("Kiosk_A4");
  CHECK(stopped.status == CheckStatus::Failed);
  CHECK(contains(stopped.message, "stopped"));
  CHECK(contains(stopped.fix, "cupsenable Kiosk_A4"));
  REQUIRE(cups.lp("cupsenable Kiosk_A4") == 0);
  REQUIRE(cups.lp("cupsreject Kiosk_A4") == 0);
  auto rejecting = check_printer("Kiosk_A4");
  CHECK(rejecting.status == CheckStatus::Failed);
  CHECK(contains(rejecting.message, "refuses jobs"));
}
