// Issue 15: printed forms do not stay in the CUPS spool. The kiosk's real print service prints
// a filled-in form through a private cupsd (tests/installer/private_cups.hpp) and its job's
// spooled document (d*) and control file with the job history (c*) are gone once it reports
// the form printed; CUPS itself keeps both by default, as the first job shows.
#include <doctest/doctest.h>

#include <cctype>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../../kiosk/app/src/print_service.hpp"
#include "config.hpp"
#include "kiosk_test_support.hpp"
#include "print/printer.hpp"
#include "private_cups.hpp"
#include "test_support.hpp"

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

// The job files in the private cupsd's spool: c00001 (control, history), d00001-001 (document).
std::vector<std::string> job_files(const fs::path& spool) {
  std::vector<std::string> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(spool, ec)) {
    const auto name = entry.path().filename().string();
    if (name.size() > 1 && (name[0] == 'c' || name[0] == 'd') && std::isdigit(static_cast<unsigned char>(name[1])))
      out.push_back(name);
  }
  return out;
}

}  // namespace

TEST_CASE("print spool: the kiosk's printed form leaves no job file or history in the CUPS spool") {
  kiosk_test::PrivateCups cups;
  const fs::path spool = cups.printed().parent_path().parent_path() / "spool";
  REQUIRE(fs::is_directory(spool));

  // CUPS on its own keeps a finished job's document and history (PreserveJobFiles,
  // PreserveJobHistory): a job printed without the kiosk's purge stays in the spool.
  {
    auto plain = print::PrintJob::start(print::PrinterTarget{"", "Kiosk_A4"}, "%PDF-1.4\n%%EOF\n", "not purged");
    REQUIRE(plain->wait_for(60s));
    REQUIRE(plain->status().state == print::JobState::Completed);
  }
  CHECK(!job_files(spool).empty());

  // The kiosk prints a filled-in form to the real queue.
  const auto& assets = kiosk_test::Assets::get();
  kiosk_test::TempDir dir;
  kiosk_test::write_file(dir / "qr.key", "spool-test-key-0123456789abcdef!");
  kiosk::Config config;
  config.set("printer.queue", std::string("Kiosk_A4"));
  config.set("print.mac_key_file", (dir / "qr.key").string());
  const forms::Questionnaire* form = nullptr;
  for (const auto& q : assets.catalogue.forms())
    if (!form || q.items.size() < form->items.size()) form = &q;
  REQUIRE(form);
  kiosk::app::LibraryPrinter printer(config, assets.catalogue, assets.translations);
  kiosk::flow::PrintRequest request;
  request.form_id = form->id;
  request.submission_id = "0123456789abcdef0123456789abcdef";
  request.answers = forms::make_example_answers(*form, 3);
  printer.start(request);
  std::optional<kiosk::flow::PrintResult> printed;
  for (int i = 0; i < 3000 && !printed; ++i)
    if (!(printed = printer.poll())) std::this_thread::sleep_for(20ms);
  REQUIRE(printed);
  INFO(printed->detail);
  REQUIRE(printed->outcome == kiosk::flow::Outcome::Done);
  CHECK(printed->detail.find("purged") != std::string::npos);
  CHECK(fs::file_size(cups.printed()) > 1000);  // the form reached the printer
  // Nothing of it is left, and the job the earlier run left behind was purged before it.
  const auto left = job_files(spool);
  for (const auto& name : left) INFO(name);
  CHECK(left.empty());
}
