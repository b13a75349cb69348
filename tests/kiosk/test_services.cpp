// The kiosk's real services as the shipped kiosk wires them (kiosk_app make_services): the
// outbox commits on its worker thread into a real store (TEST certificates from the real
// `kioskctl demo-env`), staff list and cancel through the screens, and the outbox audits it.
// The broker is a port nobody listens on, so the delivery worker runs and the message stays
// queued. The scanner reads a printed form through SANE's pnm backend (private SANE_CONFIG_DIR).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "config.hpp"
#include "../../kiosk/app/src/scan_service.hpp"  // the recogniser's lifetime
#include "kiosk_app/services_factory.hpp"
#include "kiosk_test_support.hpp"
#include "kiosk_ui/headless.hpp"
#include "outbox/outbox.hpp"
#include "scanners/image.hpp"

using namespace kiosk;
using flow::Clock;
using flow::Screen;
using namespace std::chrono_literals;

namespace {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kiosk-services-XXXXXX").string();
    REQUIRE(mkdtemp(pattern.data()));
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

Config demo_env(const std::filesystem::path& dir) {
  const std::string cmd = std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl demo-env --out " + (dir / "env").string() +
                          " --broker amqp://127.0.0.1:9 > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto config = Config::load(dir / "env" / "kiosk.toml");
  config.set("ui.print_to_folder", (dir / "printed").string());
  std::filesystem::create_directories(dir / "printed");
  std::ofstream(dir / "qr.key", std::ios::binary) << "services-test-key-0123456789abcdef";
  config.set("print.mac_key_file", (dir / "qr.key").string());
  return config;
}

// Runs frames (ticks) until `done` or 60 s.
template <typename Done>
bool frames_until(flow::Flow& f, ui::HeadlessUi& ui, Done done) {
  for (int i = 0; i < 3000; ++i) {
    ui.look(f, Clock::now());
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace

TEST_CASE("services: the real outbox commits on its worker thread; staff list, reprint and cancel it (audited)") {
  const auto& assets = kiosk_test::Assets::get();
  TempDir dir;
  auto config = demo_env(dir.path);
  auto wired = app::make_services(config, assets.catalogue, assets.translations);
  REQUIRE(wired.services.outbox->available());
  const auto& form = assets.catalogue.forms().front();
  flow::Submission submission;
  submission.form_id = form.id;
  submission.language = "nb";
  submission.answers = forms::make_example_answers(form, 3);
  submission.assisted_by = "staff";
  wired.services.outbox->commit(std::move(submission));
  std::optional<flow::OutboxResult> result;
  for (int i = 0; i < 3000 && !result; ++i) {
    result = wired.services.outbox->poll();
    if (!result) std::this_thread::sleep_for(20ms);
  }
  REQUIRE(result);
  INFO(result->detail);
  REQUIRE(result->outcome == flow::Outcome::Done);
  CHECK(result->queued);
  CHECK(!result->delivered);
  const std::string reference = result->reference;
  CHECK(!reference.empty());

  flow::FlowOptions options;
  options.staff_pin_hash = flow::StaffLock::hash_pin("2580", true);
  std::vector<std::string> log;
  wired.services.log = [&log](const std::string& line) { log.push_back(line); };
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, wired.services, Clock::now());
  ui::HeadlessUi ui;
  REQUIRE(ui.touch(f, "staff.open", Clock::now()));
  for (const char* k : {"key.2", "key.5", "key.8", "key.0"}) REQUIRE(ui.touch(f, k, Clock::now()));
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(ui.touch(f, "choice.staff.queue", Clock::now()));
  REQUIRE(f.screen() == Screen::StaffQueue);
  REQUIRE(frames_until(f, ui, [&] { return !f.screen_model().busy; }));
  const auto& t = assets.translations;
  CHECK(ui.last().all_text().find(reference) != std::string::npos);
  CHECK(ui.last().all_text().find(t.text("nb", "ui.staff.status.queued")) != std::string::npos);

  // Reprint the receipt (a PDF in the print folder), then cancel the submission.
  REQUIRE(ui.touch(f, "choice.staff.reprint-receipt", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return !f.screen_model().busy; }));
  CHECK(ui.last().all_text().find(t.text("nb", "ui.staff.reprinted")) != std::string::npos);
  REQUIRE(ui.touch(f, "choice.staff.cancel", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] {
    return ui.last().all_text().find(t.text("nb", "ui.staff.status.cancelled")) != std::string::npos;
  }));
  CHECK(!ui.last().find("choice.staff.cancel"));  // a cancelled one cannot be cancelled again

  bool reprint_logged = false;
  for (const auto& line : log)
    reprint_logged = reprint_logged || line == "audit: staff reprints the receipt " + reference;
  CHECK(reprint_logged);
  outbox::Outbox box(config);  // a second connection to the same store, as kioskctl would open
  auto audit = box.store().db().prepare("SELECT COUNT(*) FROM audit_log WHERE action='cancel' AND actor='staff'");
  REQUIRE(audit.step());
  CHECK(audit.integer(0) == 1);
  const auto entry = box.status(reference);
  REQUIRE(entry);
  CHECK(entry->status == outbox::Status::Cancelled);
}

TEST_CASE("services: the real scanner reads a printed form through SANE's pnm backend on its worker thread") {
  const auto& assets = kiosk_test::Assets::get();
  TempDir dir;
  auto config = demo_env(dir.path);
  std::ofstream(dir.path / "dll.conf") << "pnm\n";
  setenv("SANE_CONFIG_DIR", dir.path.c_str(), 1);  // each test case is its own process
  config.set("scanner.device", std::string("pnm:0"));
  config.set("scanner.options", std::vector<std::string>{"filename=" + (dir.path / "page.pgm").string()});
  config.set("scanner.recognizer_idle_seconds", std::int64_t{2});
  auto wired = app::make_services(config, assets.catalogue, assets.translations);
  const auto* scanner = dynamic_cast<app::LibraryScanner*>(wired.services.scanner.get());
  REQUIRE(scanner);
  CHECK(!scanner->recognizer_loaded());  // loaded only when a scan needs it
  // Print a one-page form filled in, as the kiosk does, and lay it on the "glass".
  const forms::Questionnaire* form = nullptr;
  for (const auto& q : assets.catalogue.forms())
    if (!form || q.items.size() < form->items.size()) form = &q;
  REQUIRE(form);
  flow::PrintRequest print;
  print.form_id = form->id;
  print.submission_id = "0123456789abcdef0123456789abcdef";
  print.answers = forms::make_example_answers(*form, 5);
  wired.services.printer->start(print);
  std::optional<flow::PrintResult> printed;
  for (int i = 0; i < 3000 && !printed; ++i)
    if (!(printed = wired.services.printer->poll())) std::this_thread::sleep_for(20ms);
  REQUIRE(printed);
  REQUIRE(printed->outcome == flow::Outcome::Done);
  const auto pages = scanners::import_image_file(printed->document);
  {
    std::ofstream pgm(dir.path / "page.pgm", std::ios::binary);
    pgm << "P5\n" << pages[0].grey.cols << " " << pages[0].grey.rows << "\n255\n";
    for (int y = 0; y < pages[0].grey.rows; ++y)
      pgm.write(reinterpret_cast<const char*>(pages[0].grey.ptr(y)), pages[0].grey.cols);
  }
  flow::ScanRequest scan;
  scan.submission_id = print.submission_id;
  scan.expected_form_id = form->id;
  wired.services.scanner->start(scan);
  std::optional<flow::ScanResult> read;
  for (int i = 0; i < 6000 && !read; ++i)
    if (!(read = wired.services.scanner->poll())) std::this_thread::sleep_for(20ms);
  REQUIRE(read);
  INFO(read->detail);
  REQUIRE(read->outcome == flow::Outcome::Done);
  CHECK(read->form_id == form->id);
  CHECK(read->submission_id == print.submission_id);
  CHECK(!read->fields.empty());
  CHECK(!read->signature_found);  // nobody signed the sheet
  REQUIRE(!read->pages.empty());
  CHECK(std::filesystem::exists(read->pages.front()));
  // Unloaded once the scanner has been idle for scanner.recognizer_idle_seconds.
  CHECK(scanner->recognizer_loaded());
  for (int i = 0; i < 500 && scanner->recognizer_loaded(); ++i) std::this_thread::sleep_for(20ms);
  CHECK(!scanner->recognizer_loaded());

  // An empty glass: the pnm backend cannot open the file; the error becomes a plain message.
  std::filesystem::remove(dir.path / "page.pgm");
  wired.services.scanner->start(scan);
  read.reset();
  for (int i = 0; i < 3000 && !read; ++i)
    if (!(read = wired.services.scanner->poll())) std::this_thread::sleep_for(20ms);
  REQUIRE(read);
  CHECK(read->outcome == flow::Outcome::Failed);
  CHECK(!read->message_key.empty());
  CHECK(assets.translations.has("nb", read->message_key));
}
