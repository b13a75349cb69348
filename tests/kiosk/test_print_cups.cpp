// The kiosk's own print service (kiosk_app make_services, as the shipped kiosk wires it)
// printing through a real, private cupsd (tests/installer/private_cups.hpp): the job completes
// and the queue's device receives the form that was asked for. The same request printed to a
// folder gives the reference PDF; both are read back with poppler's pdftotext.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "config.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_test_support.hpp"
#include "private_cups.hpp"

using namespace kiosk;
using namespace std::chrono_literals;

namespace {

// The text of every page of a PDF (pdftotext -layout), or "" when it is not a readable PDF.
std::string pdf_text(const std::filesystem::path& pdf, const std::filesystem::path& scratch) {
  const auto out = scratch / (pdf.filename().string() + ".txt");
  if (kiosk_test::run_quietly("pdftotext -layout '" + pdf.string() + "' '" + out.string() + "'") != 0) return "";
  return kiosk_test::read_file(out);
}

std::optional<flow::PrintResult> printed(flow::PrintService& printer, const flow::PrintRequest& request) {
  printer.start(request);
  std::optional<flow::PrintResult> result;
  for (int i = 0; i < 3000 && !result; ++i)
    if (!(result = printer.poll())) std::this_thread::sleep_for(20ms);
  return result;
}

// `kioskctl demo-env` in DIR/env (broker: a port nobody listens on), printing to CUPS queue `queue`.
kiosk::Config kiosk_config(const kiosk_test::TempDir& dir, const std::string& queue) {
  const std::string cmd = std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl demo-env --out " + (dir / "env").string() +
                          " --broker amqp://127.0.0.1:9";
  REQUIRE(kiosk_test::run_quietly(cmd) == 0);
  auto config = kiosk::Config::load(dir / "env" / "kiosk.toml");
  config.set("ui.print_to_folder", std::string());
  config.set("printer.queue", queue);
  kiosk_test::write_file(dir / "qr.key", "print-cups-test-key-0123456789abcdef");
  config.set("print.mac_key_file", (dir / "qr.key").string());
  return config;
}

}  // namespace

TEST_CASE("print service: a filled form goes through a real cupsd queue, the job completes with that form") {
  const auto& assets = kiosk_test::Assets::get();
  kiosk_test::TempDir dir;
  kiosk_test::PrivateCups cups;
  auto config = kiosk_config(dir, "Kiosk_A4");
  auto wired = app::make_services(config, assets.catalogue, assets.translations);
  bool says_cups = false;
  for (const auto& line : wired.report) says_cups = says_cups || line == "print: CUPS queue Kiosk_A4";
  CHECK(says_cups);

  const auto& form = assets.catalogue.forms().front();
  flow::PrintRequest request;
  request.kind = flow::PrintKind::FilledForm;
  request.form_id = form.id;
  request.language = "nb";
  request.submission_id = "0f1e2d3c4b5a69788796a5b4c3d2e1f0";
  request.answers = forms::make_example_answers(form, 11);

  const auto result = printed(*wired.services.printer, request);
  REQUIRE(result);
  INFO(result->detail << "\n" << kiosk_test::read_file(cups.printed().parent_path().parent_path() / "log/error_log"));
  REQUIRE(result->outcome == flow::Outcome::Done);
  CHECK(result->detail.find("printed as CUPS job") != std::string::npos);
  REQUIRE(std::filesystem::exists(cups.printed()));
  const std::string sent = kiosk_test::read_file(cups.printed());
  CHECK(sent.rfind("%PDF-", 0) == 0);

  // The same request printed to a folder: the reference document.
  config.set("ui.print_to_folder", (dir / "folder").string());
  std::filesystem::create_directories(dir / "folder");
  auto to_folder = app::make_services(config, assets.catalogue, assets.translations);
  const auto reference = printed(*to_folder.services.printer, request);
  REQUIRE(reference);
  REQUIRE(reference->outcome == flow::Outcome::Done);
  const auto want = pdf_text(reference->document, dir.path());
  const auto got = pdf_text(cups.printed(), dir.path());
  REQUIRE(!want.empty());
  CHECK(got == want);
  // And it is the filled form, not the blank one: the blank form's text differs.
  request.kind = flow::PrintKind::BlankForm;
  const auto blank = printed(*to_folder.services.printer, request);
  REQUIRE(blank);
  REQUIRE(blank->outcome == flow::Outcome::Done);
  CHECK(pdf_text(blank->document, dir.path()) != got);
}

TEST_CASE("print service: a queue CUPS does not have is a plain failure, not a success") {
  const auto& assets = kiosk_test::Assets::get();
  kiosk_test::TempDir dir;
  kiosk_test::PrivateCups cups;
  auto config = kiosk_config(dir, "No_Such_Queue");
  auto wired = app::make_services(config, assets.catalogue, assets.translations);
  const auto& form = assets.catalogue.forms().front();
  flow::PrintRequest request;
  request.kind = flow::PrintKind::BlankForm;
  request.form_id = form.id;
  request.language = "nb";
  request.submission_id = "00112233445566778899aabbccddeeff";
  const auto result = printed(*wired.services.printer, request);
  REQUIRE(result);
  INFO(result->detail);
  CHECK(result->outcome == flow::Outcome::Failed);
  CHECK(!result->message_key.empty());
  CHECK(assets.translations.has("nb", result->message_key));
  CHECK_FALSE(std::filesystem::exists(cups.printed()));
}
