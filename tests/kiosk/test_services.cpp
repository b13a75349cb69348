// The kiosk's real services as the shipped kiosk wires them (kiosk_app make_services): the
// outbox commits on its worker thread into a real store (TEST certificates from the real
// `kioskctl demo-env`), staff list and cancel through the screens, and the outbox audits it.
// The broker is a port nobody listens on and no delivery worker runs (the kiosk only commits;
// the delivery unit sends), so the message stays queued. The scanner reads a printed form through SANE's pnm backend
// (private SANE_CONFIG_DIR).
#include <doctest/doctest.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "forms/representation.hpp"
#include "config.hpp"
#include "private_folder.hpp"
#include "../../kiosk/app/src/print_service.hpp"
#include "../../kiosk/app/src/scan_service.hpp"  // the recogniser's lifetime
#include "store/held_sheets.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_services_support.hpp"
#include "kiosk_test_support.hpp"
#include "kiosk_ui/headless.hpp"
#include "outbox/outbox.hpp"
#include "print/qr_key_files.hpp"
#include "scoped_env.hpp"
#include "scanners/image.hpp"
#include "skip.hpp"
#include "store/delivery_state.hpp"
#include "store/store.hpp"

using namespace kiosk;
using flow::Clock;
using flow::Screen;
using namespace std::chrono_literals;

using kiosk_test::demo_env;
using kiosk_test::frames_until;
using kiosk_test::TempDir;

namespace {

// A worker's result (print, scan, outbox): polled every 20 ms, at most `tries` times.
template <typename Service>
auto poll_until_done(Service& service, int tries) {
  auto result = service.poll();
  for (int i = 1; i < tries && !result; ++i) {
    std::this_thread::sleep_for(20ms);
    result = service.poll();
  }
  return result;
}

}  // namespace

TEST_CASE("services: the real outbox commits on its worker thread, staff list, reprint and cancel it (audited)") {
  const auto& assets = kiosk_test::Assets::get();
  TempDir dir{"kiosk-services"};
  auto config = demo_env(dir.path, "services-test-key-0123456789abcdef");
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
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
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
  // Audited in the store as this staff session ("staff-" and a random reference).
  const std::string actor = f.staff_actor();
  REQUIRE(actor.rfind("staff-", 0) == 0);
  for (const char* action : {"staff-sign-in", "cancel", "reprint-receipt"}) {
    auto audit = box.store().db().prepare("SELECT COUNT(*) FROM audit_log WHERE action=? AND actor=?");
    audit.bind(1, action).bind(2, actor);
    REQUIRE(audit.step());
    CHECK_MESSAGE(audit.integer(0) == 1, action);
  }
  const auto entry = box.status(reference);
  REQUIRE(entry);
  CHECK(entry->status == outbox::Status::Cancelled);
}

namespace {
flow::StaffResult staff_list(flow::OutboxService& outbox) {
  outbox.staff(flow::StaffRequest{flow::StaffRequest::Kind::List, "", "staff-test"});
  for (int i = 0; i < 3000; ++i) {
    if (auto r = outbox.poll_staff()) return *r;
    std::this_thread::sleep_for(20ms);
  }
  FAIL("no answer from the outbox");
  return {};
}
}  // namespace

TEST_CASE(
    "services: the kiosk only commits - no signing or decryption key, no delivery worker - and staff hear when sending "
    "is not running") {
  const auto& assets = kiosk_test::Assets::get();
  TempDir dir{"kiosk-services-sending"};
  auto config = demo_env(dir.path, "services-test-key-0123456789abcdef");
  // The touch-screen process holds nothing that sending needs: commits work without those files.
  for (const char* key : {"security.signing_key", "security.signing_certificate",
                          "security.platform_encryption_certificate", "security.decryption_key",
                          "security.decryption_certificate", "security.legacy_decryption_key", "broker.tls_client_key"})
    config.set(key, (dir.path / "not-on-this-process.pem").string());
  auto wired = app::make_services(config, assets.catalogue, assets.translations);
  const auto& form = assets.catalogue.forms().front();
  flow::Submission submission;
  submission.form_id = form.id;
  submission.language = "nb";
  submission.answers = forms::make_example_answers(form, 4);
  wired.services.outbox->commit(std::move(submission));
  std::optional<flow::OutboxResult> result;
  for (int i = 0; i < 3000 && !result; ++i) {
    result = wired.services.outbox->poll();
    if (!result) std::this_thread::sleep_for(20ms);
  }
  REQUIRE(result);
  INFO(result->detail);
  REQUIRE(result->outcome == flow::Outcome::Done);

  // No worker was started by the kiosk: nobody wrote a sign of life, and staff are told so.
  outbox::Outbox box(config);
  CHECK_FALSE(store::latest_worker_beat(box.store().db()));
  auto never = staff_list(*wired.services.outbox);
  CHECK(never.sending_stopped);
  CHECK(never.sending_last_run.empty());

  flow::FlowOptions options;
  options.staff_pin_hash = flow::StaffLock::hash_pin("2580", true);
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, wired.services, Clock::now());
  ui::HeadlessUi ui;
  REQUIRE(ui.touch(f, "staff.open", Clock::now()));
  for (const char* k : {"key.2", "key.5", "key.8", "key.0"}) REQUIRE(ui.touch(f, k, Clock::now()));
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  REQUIRE(ui.touch(f, "choice.staff.queue", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return !f.screen_model().busy; }));
  const auto& t = assets.translations;
  CHECK_MESSAGE(ui.last().all_text().find(t.text("nb", "ui.staff.sending-never")) != std::string::npos,
                ui.last().all_text());

  // The delivery worker runs (its sign of life is fresh): nothing to say.
  store::WorkerBeat beat{"test-host/1/worker", store::now_ms(), store::now_ms(), store::now_ms(), ""};
  store::record_worker_beat(box.store().db(), beat);
  CHECK_FALSE(staff_list(*wired.services.outbox).sending_stopped);
  // It stopped 10 minutes ago: staff see since when, in the kiosk's time.
  beat.last_run_ms = store::now_ms() - 10 * 60 * 1000;
  store::record_worker_beat(box.store().db(), beat);
  auto stopped = staff_list(*wired.services.outbox);
  CHECK(stopped.sending_stopped);
  CHECK(stopped.sending_last_run.size() == 20);  // 2026-12-07T17:01:02Z
  // The queue screen opened again shows it, with the time filled in.
  REQUIRE(ui.touch(f, "nav.back", Clock::now()));
  REQUIRE(ui.touch(f, "choice.staff.queue", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return !f.screen_model().busy; }));
  const std::string nb = t.text("nb", "ui.staff.sending-stopped");
  const std::string before_time = nb.substr(0, nb.find("{since}"));
  REQUIRE(before_time.rfind("Sendingen går ikke", 0) == 0);
  const std::string shown = ui.last().all_text();
  CHECK_MESSAGE(shown.find(before_time) != std::string::npos, shown);
  CHECK(shown.find("{since}") == std::string::npos);
}

TEST_CASE("services: the real scanner reads a printed form through SANE's pnm backend on its worker thread") {
  const auto& assets = kiosk_test::Assets::get();
  TempDir dir{"kiosk-services"};
  auto config = demo_env(dir.path, "services-test-key-0123456789abcdef");
  std::ofstream(dir.path / "dll.conf") << "pnm\n";
  const kiosk_test::ScopedEnv sane_config("SANE_CONFIG_DIR", dir.path.string());
  config.set("scanner.device", std::string("pnm:0"));
  config.set("scanner.options", std::vector<std::string>{"filename=" + (dir.path / "page.pgm").string()});
  config.set("scanner.recognizer_idle_seconds", std::int64_t{2});
  config.set("scanner.recognize_in_helper", false);  // this process: the recogniser's unloading is checked
  auto wired = app::make_services(config, assets.catalogue, assets.translations);
  const auto* scanner = dynamic_cast<app::LibraryScanner*>(wired.services.scanner.get());
  REQUIRE(scanner);
  CHECK(scanner->helper_program().empty());
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
  auto printed = poll_until_done(*wired.services.printer, 3000);
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
  auto read = poll_until_done(*wired.services.scanner, 6000);
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

  // The same sheet recognised in the helper process (the kiosk's default): the same fields,
  // values and review crops come back, nothing is loaded here, and the helper's files go.
  {
    config.set("scanner.recognize_in_helper", true);
    app::LibraryScanner helped(config, assets.catalogue, assets.translations);
    REQUIRE(helped.helper_program().filename() == "kiosk-recognize");
    helped.start(scan);
    auto again = poll_until_done(helped, 6000);
    REQUIRE(again);
    INFO(again->detail);
    REQUIRE(again->outcome == flow::Outcome::Done);
    CHECK(!helped.recognizer_loaded());
    CHECK(helped.last_helper_peak_kb() > 10 * 1024);  // the helper loaded the recogniser, not this process
    CHECK(again->form_id == read->form_id);
    CHECK(again->submission_id == read->submission_id);
    CHECK(again->signature_found == read->signature_found);
    CHECK(again->page_count == read->page_count);
    CHECK(again->pages_found == read->pages_found);
    REQUIRE(again->fields.size() == read->fields.size());
    for (size_t i = 0; i < read->fields.size(); ++i) {
      const auto& here = read->fields[i];
      const auto& there = again->fields[i];
      INFO(here.link_id);
      CHECK(there.link_id == here.link_id);
      CHECK(there.value == here.value);
      CHECK(there.needs_review == here.needs_review);
      CHECK(there.confidence == doctest::Approx(here.confidence).epsilon(0.002));
      CHECK(there.crop_width == here.crop_width);
      CHECK(there.crop_height == here.crop_height);
      CHECK(there.crop_grey == here.crop_grey);
    }
    // Only the scanned page stays in the private folder (no crops, settings or log).
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(helped.folder())) {
      INFO(entry.path().string());
      CHECK(entry.path().extension() == ".png");
      CHECK(entry.path().filename().string().find("-page1.png") != std::string::npos);
      ++files;
    }
    CHECK(files == 1);
    // The same sheet while another submission is expected (a stranger's page left on the glass)
    // never joins it: refused in plain words, its page deleted at once.
    auto other = scan;
    other.submission_id = "fedcba9876543210fedcba9876543210";
    helped.start(other);
    auto refused = poll_until_done(helped, 6000);
    REQUIRE(refused);
    INFO(refused->detail);
    CHECK(refused->outcome == flow::Outcome::Failed);
    CHECK(refused->message_key == "ui.scan.other-sheet");
    CHECK(refused->pages.empty());
    CHECK(refused->fields.empty());
    files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(helped.folder())) {
      INFO(entry.path().string());
      ++files;
    }
    CHECK(files == 0);  // the refused page is gone (the earlier sheet's went when this other submission's scan began)
  }

  // The same sheet at another kiosk (its own QR key), in the helper as the kiosk does it: read,
  // and marked for staff review, not refused. Once that kiosk has this one's key as an operator
  // key (kioskctl keys import-qr), the sheet is trusted there.
  {
    auto other = config;
    std::filesystem::create_directories(dir.path / "other");
    std::ofstream(dir.path / "other" / "qr.key", std::ios::binary) << "another-kiosks-key-0123456789abcdef";
    other.set("print.mac_key_file", (dir.path / "other" / "qr.key").string());
    other.set("scanner.recognize_in_helper", true);
    auto scan_at_other_kiosk = [&] {
      app::LibraryScanner elsewhere(other, assets.catalogue, assets.translations);
      elsewhere.start(scan);
      auto result = poll_until_done(elsewhere, 6000);
      REQUIRE(result);
      return *result;
    };
    auto unknown = scan_at_other_kiosk();
    INFO(unknown.detail);
    REQUIRE(unknown.outcome == flow::Outcome::Done);
    CHECK(unknown.key_problem == "qr-unknown-key");
    CHECK(unknown.submission_id == print.submission_id);
    CHECK(unknown.fields.size() == read->fields.size());
    print::import_qr_operator_key(dir.path / "other" / "qr.key", dir.path / "qr.key");
    auto trusted = scan_at_other_kiosk();
    INFO(trusted.detail);
    REQUIRE(trusted.outcome == flow::Outcome::Done);
    CHECK(trusted.key_problem == "");
  }

  // An empty glass: the pnm backend cannot open the file; the error becomes a plain message.
  std::filesystem::remove(dir.path / "page.pgm");
  wired.services.scanner->start(scan);
  read.reset();
  read = poll_until_done(*wired.services.scanner, 3000);
  REQUIRE(read);
  CHECK(read->outcome == flow::Outcome::Failed);
  CHECK(!read->message_key.empty());
  CHECK(assets.translations.has("nb", read->message_key));
}

namespace {

// A small valid PNG (4 x 4 grey), as a scanned page.
const std::vector<unsigned char> kPng = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52, 0x00, 0x00,
    0x00, 0x04, 0x00, 0x00, 0x00, 0x04, 0x08, 0x00, 0x00, 0x00, 0x00, 0x8c, 0x9a, 0xc1, 0xa2, 0x00, 0x00, 0x00,
    0x0e, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x38, 0x01, 0x04, 0x0c, 0xa8, 0x04, 0x00, 0x7d, 0x14, 0x0c,
    0x81, 0xab, 0x88, 0xff, 0x10, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82};

std::string file_text(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::int64_t count(outbox::Outbox& box, const std::string& sql) {
  auto st = box.store().db().prepare(sql);
  REQUIRE(st.step());
  return st.integer(0);
}

}  // namespace

TEST_CASE(
    "services: sheets held for staff review are sealed in the store, survive a restart, and every decision is "
    "audited") {
  const auto& assets = kiosk_test::Assets::get();
  TempDir dir{"kiosk-services"};
  auto config = demo_env(dir.path, "services-test-key-0123456789abcdef");
  const auto& form = assets.catalogue.forms().front();
  auto answers = forms::make_example_answers(form, 17);
  // Filled in for oneself, as the person also says on the screen ("for me"): a sheet that says
  // otherwise about who fills it in goes to staff as differing (issue 17 step 2).
  forms::answer_representation_items(form, forms::WhoAnswers{}, answers);
  for (const auto* item : form.all_items())
    if (!forms::is_enabled(*item, answers)) answers.clear(item->link_id);
  // The identity number on the sheet: it must never be readable in the store or its audit.
  std::string identity;
  for (const auto* item : form.all_items())
    if (item->input_kind == forms::InputKind::IdentityNumber)
      if (const auto* v = answers.first(item->link_id)) identity = v->text;
  REQUIRE(identity.size() == 11);
  auto scanner = std::make_shared<ui::ScriptedScanner>();
  auto scanned_page = [&](const std::string& name) {
    const auto file = dir.path / name;
    std::ofstream(file, std::ios::binary).write(reinterpret_cast<const char*>(kPng.data()), kPng.size());
    return file;
  };
  scanner->result = ui::ScriptedScanner::read_back(form, answers, true);
  flow::FlowOptions options;
  options.staff_pin_hash = flow::StaffLock::hash_pin("2580", true);
  std::vector<std::string> references;
  {
    // Two citizens leave their sheets for staff; then the kiosk is restarted.
    auto wired = app::make_services(config, assets.catalogue, assets.translations);
    wired.services.scanner = scanner;
    flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, wired.services, Clock::now());
    ui::HeadlessUi ui;
    for (int person = 0; person < 2; ++person) {
      const auto page = scanned_page("page" + std::to_string(person) + ".png");
      scanner->result.pages = {page};
      REQUIRE(ui.touch(f, "choice.language.nb", Clock::now()));
      f.apply(flow::intent::SendFilledForm{}, Clock::now());
      REQUIRE(ui.touch(f, "choice.self", Clock::now()));
      REQUIRE(ui.touch(f, "choice.scan", Clock::now()));
      REQUIRE(frames_until(f, ui, [&] { return f.screen() == Screen::Review; }));
      REQUIRE(ui.touch(f, "choice.leave-for-staff", Clock::now()));
      REQUIRE(frames_until(f, ui, [&] { return f.screen() == Screen::Receipt || !f.screen_model().error.empty(); }));
      INFO(ui.last().all_text());
      REQUIRE(f.screen() == Screen::Receipt);
      references.push_back(f.session().held_reference);
      CHECK(!std::filesystem::exists(page));  // the plain page file is gone: it is sealed in the store
      REQUIRE(ui.touch(f, "choice.finish", Clock::now()));
    }
  }
  {
    outbox::Outbox box(config);
    store::HeldSheets held(box.store());
    REQUIRE(held.list().size() == 2);
    CHECK(held.list()[0].source == "kiosk");
    CHECK(held.list()[0].fields_to_check == 1);
    box.store().checkpoint();
  }
  {
    // Admins list the waiting sheets with kioskctl: reference, form, when, values to check;
    // nothing personal (the answers stay sealed).
    const auto kioskctl = std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl";
    const auto toml = (dir.path / "env" / "kiosk.toml").string();
    const auto listed = dir.path / "held.json";
    REQUIRE(std::system(
                (kioskctl + " held list --json --lang nb --config " + toml + " > " + listed.string()).c_str()) == 0);
    const auto json = nlohmann::json::parse(file_text(listed));
    REQUIRE(json.at("held").size() == 2);
    for (size_t k = 0; k < 2; ++k) {
      const auto& row = json["held"][k];
      CHECK(row.at("reference") == references[k]);  // oldest first
      CHECK(row.at("form") == form.id);
      CHECK(row.at("title") == form.title.get("nb"));
      CHECK(row.at("source") == "kiosk");
      CHECK(row.at("fieldsToCheck") == 1);
      CHECK(!row.at("created").get<std::string>().empty());
    }
    CHECK(file_text(listed).find(identity) == std::string::npos);
    const auto text = dir.path / "held.txt";
    REQUIRE(std::system((kioskctl + " held list --config " + toml + " > " + text.string()).c_str()) == 0);
    CHECK(file_text(text).find(references[1]) != std::string::npos);
    CHECK(file_text(text).find(identity) == std::string::npos);
    // A store that is not there is said plainly (exit 4), and not created.
    const auto missing = dir.path / "nowhere.db";
    const int rc = std::system((kioskctl + " held list --store " + missing.string() + " 2> /dev/null").c_str());
    CHECK(WIFEXITED(rc));
    CHECK(WEXITSTATUS(rc) == 4);
    CHECK(!std::filesystem::exists(missing));
  }
  // Sealed: the identity number is in no file of the store (database and WAL).
  for (const auto& entry : std::filesystem::directory_iterator(config.get_path("store.path").parent_path()))
    if (entry.is_regular_file())
      CHECK_MESSAGE(file_text(entry.path()).find(identity) == std::string::npos, entry.path().filename().string());

  // After the restart: staff reject the first sheet and accept the second, which is sent.
  auto wired = app::make_services(config, assets.catalogue, assets.translations);
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, options, wired.services, Clock::now());
  ui::HeadlessUi ui;
  REQUIRE(ui.touch(f, "staff.open", Clock::now()));
  for (const char* k : {"key.2", "key.5", "key.8", "key.0"}) REQUIRE(ui.touch(f, k, Clock::now()));
  REQUIRE(ui.touch(f, "choice.next", Clock::now()));
  REQUIRE(kiosk_test::pin_checked(f, ui, Clock::now()));
  const std::string actor = f.staff_actor();
  REQUIRE(ui.touch(f, "choice.staff.review", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return !f.screen_model().busy; }));
  // The list, oldest first: staff pick the first sheet and reject it, then pick the second.
  REQUIRE(ui.touch(f, "row.held.0", Clock::now()));
  CHECK(ui.last().all_text().find(references[0]) != std::string::npos);
  REQUIRE(ui.touch(f, "choice.staff.reject-held", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return !f.screen_model().busy && ui.last().find("row.held.0"); }));
  CHECK(!ui.last().find("row.held.1"));
  REQUIRE(ui.touch(f, "row.held.0", Clock::now()));
  CHECK(ui.last().all_text().find(references[1]) != std::string::npos);
  REQUIRE(ui.touch(f, "choice.staff.open-held", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return f.screen() == Screen::Review; }));
  CHECK(ui.last().find("crop") == nullptr);  // the scripted sheet has no crop; values are shown
  while (f.screen() == Screen::Review && ui.touch(f, "choice.correct", Clock::now())) {
  }
  REQUIRE(ui.touch(f, "choice.send", Clock::now()));
  REQUIRE(frames_until(f, ui, [&] { return f.screen() == Screen::Receipt || !f.screen_model().error.empty(); }));
  INFO(ui.last().all_text());
  REQUIRE(f.screen() == Screen::Receipt);
  const std::string sent = f.session().receipt_reference;
  REQUIRE(ui.touch(f, "choice.finish", Clock::now()));  // signs staff out

  outbox::Outbox box(config);  // a second connection, as kioskctl would open
  // The sign-out is written by the outbox's worker thread: wait for it.
  for (int i = 0; i < 500 && count(box, "SELECT COUNT(*) FROM audit_log WHERE action='staff-sign-out'") == 0; ++i)
    std::this_thread::sleep_for(20ms);
  CHECK(store::HeldSheets(box.store()).list().empty());
  CHECK(count(box, "SELECT COUNT(*) FROM held_pages") == 0);
  const auto entry = box.status(sent);
  REQUIRE(entry);
  CHECK(box.page_images(sent).size() == 1);  // the held page went with the submission
  struct Expect {
    const char* action;
    std::string actor, reference;
  };
  for (const auto& e : std::vector<Expect>{{"hold", "kiosk", references[0]},
                                           {"hold", "kiosk", references[1]},
                                           {"staff-sign-in", actor, ""},
                                           {"review-reject-sheet", actor, references[0]},
                                           {"review-open", actor, references[1]},
                                           {"review-accept", actor, references[1]},
                                           {"review-sent", actor, references[1]},
                                           {"commit", actor, sent},
                                           {"staff-sign-out", actor, ""}}) {
    auto st = box.store().db().prepare("SELECT COUNT(*) FROM audit_log WHERE action=? AND actor=? AND reference=?");
    st.bind(1, e.action).bind(2, e.actor).bind(3, e.reference);
    REQUIRE(st.step());
    CHECK_MESSAGE(st.integer(0) >= 1, e.action << " by " << e.actor << " for '" << e.reference << "'");
  }
  // Who, what, when, which reference: never the identity number or an answer.
  auto all =
      box.store().db().prepare("SELECT at, actor, action, COALESCE(reference,''), COALESCE(detail,'') FROM audit_log");
  while (all.step())
    for (int c = 0; c < 5; ++c) CHECK(all.text(c).find(identity) == std::string::npos);
}

// ---- Issue 15: scanned pages never in plain form on disk ----

namespace {

// A tmpfs mounted on a folder of the test (root only, like CI), unmounted again at the end.
struct TmpfsMount {
  std::filesystem::path at;
  bool mounted = false;
  explicit TmpfsMount(std::filesystem::path folder) : at(std::move(folder)) {
    std::filesystem::create_directories(at);
    mounted = geteuid() == 0 && ::mount("tmpfs", at.c_str(), "tmpfs", MS_NOSUID | MS_NODEV, "size=64m,mode=0755") == 0;
  }
  ~TmpfsMount() {
    if (mounted) ::umount2(at.c_str(), MNT_DETACH);
  }
  TmpfsMount(const TmpfsMount&) = delete;
  TmpfsMount& operator=(const TmpfsMount&) = delete;
};

// Every file under `folder` (the scanner's private folder inside it included).
std::vector<std::string> files_under(const std::filesystem::path& folder) {
  std::vector<std::string> out;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(folder, ec); !ec && it != decltype(it)();
       it.increment(ec))
    if (!it->is_directory()) out.push_back(it->path().string());
  return out;
}

// Prints the smallest form filled in (print_to_folder) and lays it on the pnm backend's glass.
const forms::Questionnaire& print_onto_glass(const kiosk::Config& config, const std::filesystem::path& dir,
                                             const std::string& submission_id) {
  const auto& assets = kiosk_test::Assets::get();
  const forms::Questionnaire* form = nullptr;
  for (const auto& q : assets.catalogue.forms())
    if (!form || q.items.size() < form->items.size()) form = &q;
  REQUIRE(form);
  app::LibraryPrinter printer(config, assets.catalogue, assets.translations);
  flow::PrintRequest print;
  print.form_id = form->id;
  print.submission_id = submission_id;
  print.answers = forms::make_example_answers(*form, 5);
  printer.start(print);
  auto printed = poll_until_done(printer, 3000);
  REQUIRE(printed);
  REQUIRE(printed->outcome == flow::Outcome::Done);
  const auto pages = scanners::import_image_file(printed->document);
  std::filesystem::remove(printed->document);
  std::ofstream pgm(dir / "page.pgm", std::ios::binary);
  pgm << "P5\n" << pages[0].grey.cols << " " << pages[0].grey.rows << "\n255\n";
  for (int y = 0; y < pages[0].grey.rows; ++y)
    pgm.write(reinterpret_cast<const char*>(pages[0].grey.ptr(y)), pages[0].grey.cols);
  return *form;
}

// The scanner on SANE's pnm backend with its pages on `page_dir`.
kiosk::Config pnm_config(const std::filesystem::path& dir, const std::filesystem::path& page_dir) {
  auto config = demo_env(dir, "services-test-key-0123456789abcdef");
  std::ofstream(dir / "dll.conf") << "pnm\n";
  setenv("SANE_CONFIG_DIR", dir.c_str(), 1);  // each test case is its own process
  config.set("scanner.device", std::string("pnm:0"));
  config.set("scanner.options", std::vector<std::string>{"filename=" + (dir / "page.pgm").string()});
  config.set("scanner.page_dir", page_dir.string());
  return config;
}

}  // namespace

TEST_CASE("scan privacy: a wipe removes the session's scanned pages at once, and a late scan result is discarded") {
  const auto& assets = kiosk_test::Assets::get();
  TempDir dir{"kiosk-services"};
  TmpfsMount memory(dir.path / "pages");
  if (!memory.mounted) {
    kiosk_test::skip("needs root to mount a tmpfs for the scanned pages");
    return;
  }
  auto config = pnm_config(dir.path, memory.at);
  print_onto_glass(config, dir.path, "0123456789abcdef0123456789abcdef");
  auto wired = app::make_services(config, assets.catalogue, assets.translations);
  std::vector<std::string> log;
  wired.services.log = [&](const std::string& line) { log.push_back(line); };
  const auto* scanner = dynamic_cast<app::LibraryScanner*>(wired.services.scanner.get());
  REQUIRE(scanner);
  flow::Flow f(assets.catalogue, assets.translations, assets.rules, {}, wired.services, Clock::now());
  ui::HeadlessUi ui;
  auto to_scan = [&] {
    REQUIRE(ui.touch(f, "choice.language.nb", Clock::now()));
    f.apply(flow::intent::SendFilledForm{}, Clock::now());
    REQUIRE(ui.touch(f, "choice.self", Clock::now()));
    REQUIRE(ui.touch(f, "choice.scan", Clock::now()));  // the scan starts on the worker thread
    REQUIRE(f.screen() == Screen::Scan);
  };
  auto logged = [&](const std::string& text) {
    return std::any_of(log.begin(), log.end(), [&](const std::string& l) { return l.find(text) != std::string::npos; });
  };

  // 1. The person walks away while the sheet is being read: "start again" wipes the session.
  //    The result that comes afterwards is dropped and its page deleted.
  to_scan();
  f.apply(flow::intent::StartOver{}, Clock::now());
  REQUIRE(f.screen() == Screen::Start);
  REQUIRE(frames_until(f, ui, [&] { return logged("discarded"); }));
  CHECK(f.screen() == Screen::Start);
  CHECK(files_under(memory.at).empty());

  // 2. The next person's scan finds an empty glass: they see that failure, never the
  //    previous person's sheet (today the old result was taken as theirs).
  std::filesystem::rename(dir.path / "page.pgm", dir.path / "kept.pgm");
  to_scan();
  REQUIRE(frames_until(f, ui, [&] { return !f.screen_model().error.empty() || f.screen() != Screen::Scan; }));
  CHECK(f.screen() == Screen::Scan);
  CHECK(f.session().read_fields.empty());
  CHECK(f.session().pages.empty());

  // 3. A sheet read completely: its page is in the memory folder until the session is wiped
  //    (the inactivity timer here), then gone at once, not at the next scan.
  std::filesystem::rename(dir.path / "kept.pgm", dir.path / "page.pgm");
  f.apply(flow::intent::StartOver{}, Clock::now());
  to_scan();
  REQUIRE(frames_until(f, ui, [&] { return f.screen() != Screen::Scan || !f.screen_model().error.empty(); }));
  INFO(ui.last().all_text());
  REQUIRE(!f.session().pages.empty());
  for (const auto& page : f.session().pages) {
    CHECK(std::filesystem::exists(page));
    CHECK(page.string().rfind(memory.at.string(), 0) == 0);
  }
  CHECK(!files_under(memory.at).empty());
  f.tick(Clock::now() + 24h);
  CHECK(f.screen() == Screen::Start);
  CHECK(files_under(memory.at).empty());
}

TEST_CASE("scan privacy: the scanner refuses a page folder that is not in memory, with a plain message") {
  const auto& assets = kiosk_test::Assets::get();
  TempDir dir{"kiosk-services"};
  // The build tree is on disk (never a tmpfs on a build machine).
  const auto on_disk = std::filesystem::path(KIOSK_BINARY_DIR) / ("scan-pages-" + std::to_string(getpid()));
  std::filesystem::create_directories(on_disk);
  struct Remove {
    std::filesystem::path p;
    ~Remove() {
      std::error_code ec;
      std::filesystem::remove_all(p, ec);
    }
  } remove{on_disk};
  if (kiosk::memory_folder_problem(on_disk).empty()) {
    kiosk_test::skip("the build tree is on tmpfs here: no folder on disk to refuse");
    return;
  }
  auto config = pnm_config(dir.path, on_disk);
  std::ofstream(dir.path / "page.pgm", std::ios::binary) << "P5\n8 8\n255\n" << std::string(64, '\xff');
  {
    app::LibraryScanner scanner(config, assets.catalogue, assets.translations);
    scanner.start(flow::ScanRequest{});
    auto read = poll_until_done(scanner, 3000);
    REQUIRE(read);
    INFO(read->detail);
    CHECK(read->outcome == flow::Outcome::Failed);
    CHECK(read->message_key == "ui.scan.unavailable");
    CHECK(assets.translations.has("nb", read->message_key));
    CHECK(read->detail.find("not in memory") != std::string::npos);
    CHECK(read->pages.empty());
    CHECK(files_under(on_disk).empty());  // not even the private folder was made there
  }
  // scanner.pages_on_disk (development): the same folder is used.
  config.set("scanner.pages_on_disk", true);
  app::LibraryScanner scanner(config, assets.catalogue, assets.translations);
  scanner.start(flow::ScanRequest{});
  auto read = poll_until_done(scanner, 3000);
  REQUIRE(read);
  INFO(read->detail);
  CHECK(read->detail.find("not in memory") == std::string::npos);
  CHECK(scanner.folder().parent_path() == on_disk);
}

TEST_CASE(
    "scan: a pre-filled sheet scanned back unchanged is verified, not read, in the kiosk and in kiosk-recognize") {
  const auto& assets = kiosk_test::Assets::get();
  TempDir dir{"kiosk-services"};
  auto config = pnm_config(dir.path, dir.path / "pages");
  config.set("scanner.pages_on_disk", true);  // the page folder's privacy is tested above
  std::filesystem::create_directories(dir.path / "pages");
  const std::string submission = "0123456789abcdef0123456789abcdef";
  const auto& form = print_onto_glass(config, dir.path, submission);
  flow::ScanRequest scan;
  scan.submission_id = submission;
  scan.expected_form_id = form.id;
  scan.printed = forms::make_example_answers(form, 5);  // what print_onto_glass printed
  for (const bool helper : {false, true}) {
    INFO("in the kiosk-recognize helper: " << helper);
    config.set("scanner.recognize_in_helper", helper);
    app::LibraryScanner scanner(config, assets.catalogue, assets.translations);
    scanner.start(scan);
    auto read = poll_until_done(scanner, 6000);
    REQUIRE(read);
    INFO(read->detail);
    REQUIRE(read->outcome == flow::Outcome::Done);
    int printed = 0;
    for (const auto& f : read->fields) {
      INFO(f.link_id << " = " << f.value << " (" << f.reason << ")");
      CHECK(!f.needs_review);
      if (f.printed) ++printed;
    }
    CHECK(printed >= 2);
    CHECK(read->detail.find(" 0 to confirm") != std::string::npos);
  }
  // The back of the sheet (no ink at all): said so in plain words, not "we did not recognise the form".
  {
    std::ofstream pgm(dir.path / "page.pgm", std::ios::binary);
    pgm << "P5\n1240 1754\n255\n" << std::string(static_cast<size_t>(1240) * 1754, '\xf6');
  }
  app::LibraryScanner scanner(config, assets.catalogue, assets.translations);
  scanner.start(scan);
  auto read = poll_until_done(scanner, 6000);
  REQUIRE(read);
  INFO(read->detail);
  CHECK(read->outcome == flow::Outcome::Failed);
  CHECK(read->message_key == "ui.scan.blank-page");
  for (const char* lang : {"nb", "nn", "en"}) CHECK(assets.translations.has(lang, read->message_key));
}
