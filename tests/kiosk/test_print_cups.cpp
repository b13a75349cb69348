// The kiosk's own print path (kiosk/app's print service, as make_services wires it) through a
// real private cupsd with a queue: what the citizen's "print" sends is what the queue prints.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>

#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "kiosk_app/services_factory.hpp"
#include "private_cups.hpp"

using namespace kiosk;
using namespace std::chrono_literals;

namespace {

// `kioskctl demo-env` in dir/env (a broker nobody listens on), printing to the queue `queue`.
Config kiosk_config(const kiosk_test::TempDir& dir, const std::string& queue) {
  const std::string cmd = std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl demo-env --out " + (dir / "env").string() +
                          " --broker amqp://127.0.0.1:9 > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto config = Config::load(dir / "env" / "kiosk.toml");
  config.set("ui.print_to_folder", std::string());  // the real printer, not a folder
  config.set("printer.queue", queue);
  kiosk_test::write_file(dir / "qr.key", "print-cups-test-key-0123456789abcdef");
  config.set("print.mac_key_file", (dir / "qr.key").string());
  return config;
}

std::optional<flow::PrintResult> wait_for(flow::PrintService& printer) {
  for (int i = 0; i < 3000; ++i) {
    if (auto r = printer.poll()) return r;
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

}  // namespace

TEST_CASE("print service: the kiosk prints a blank form through a real cupsd queue; a missing queue is said plainly") {
  const auto assets = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
  const auto translations = forms::Translations::load_directory(assets / "i18n");
  kiosk_test::TempDir dir;
  kiosk_test::PrivateCups cups;  // sets CUPS_SERVER while it runs
  const auto& form = catalogue.forms().front();

  auto config = kiosk_config(dir, "Kiosk_A4");
  auto wired = app::make_services(config, catalogue, translations);
  REQUIRE(wired.services.printer->available());
  flow::PrintRequest request;
  request.kind = flow::PrintKind::BlankForm;
  request.form_id = form.id;
  request.language = "nb";
  request.submission_id = "0123456789abcdef";
  wired.services.printer->start(request);
  const auto done = wait_for(*wired.services.printer);
  REQUIRE(done);
  INFO(done->detail);
  CHECK(done->outcome == flow::Outcome::Done);
  // The queue's backend received the kiosk's PDF (a raw queue passes it on as it is).
  std::string printed;
  for (int i = 0; i < 200 && printed.size() < 1000; ++i) {
    std::error_code ec;
    if (std::filesystem::exists(cups.printed(), ec)) printed = kiosk_test::read_file(cups.printed());
    std::this_thread::sleep_for(50ms);
  }
  REQUIRE(printed.size() > 1000);
  CHECK(printed.rfind("%PDF-", 0) == 0);
  CHECK(printed.find("%%EOF") != std::string::npos);

  // A queue that does not exist: not printed, and the person is told in plain words.
  auto missing_config = kiosk_config(dir, "No_Such_Queue");
  auto missing = app::make_services(missing_config, catalogue, translations);
  missing.services.printer->start(request);
  const auto failed = wait_for(*missing.services.printer);
  REQUIRE(failed);
  CHECK(failed->outcome != flow::Outcome::Done);
  CHECK(!failed->message_key.empty());
  CHECK(translations.text("nb", failed->message_key) != failed->message_key);
}
