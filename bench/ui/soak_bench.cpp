// kiosk_soak_bench: run as
//   xvfb-run -a -s "-screen 0 1920x1080x24" env LIBGL_ALWAYS_SOFTWARE=1 build/bin/kiosk_soak_bench [sessions]
// A day at the library in one process: `sessions` (default 1000) citizen and staff sessions of
// mixed kinds, one after another, through the real flow in the real window (GLFW + OpenGL on
// Mesa, every step drawn), with the kiosk's real services as its main() wires them: printing
// to PDF files (the "paper", emptied after each session like a tray), scanning through SANE's
// pnm backend with recognition in the helper process, the outbox with its encrypted store and
// delivery worker (to a broker that does not answer), read-aloud with espeak-ng, the kiosk's
// heap policy and zero-on-free allocator. Kinds, in turn: abandoned on the task, who, form,
// question and help screens; timed out on a question; a filled form printed; staff sign-in;
// a form filled at home scanned and left on the review screen; the same scanned and sent.
// Reports resident memory, open files, threads, the store and its WAL, and the files under
// the data folders (the store's folder and the kiosk's temporary folders) at the start, after
// 50 sessions, every 100 sessions and at the end, and checks the targets (issue 24): resident
// memory grows at most 2 MB after the first 50 sessions; open files and threads as after the
// first 50; no file left in the temporary folders.
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_env.hpp"
#include "helpers.hpp"  // tests/queue: a private RabbitMQ for --deliver
#include "core/subprocess.hpp"
#include "forms/answers.hpp"
#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_app/memory.hpp"
#include "kiosk_app/session_bus.hpp"
#include "kiosk_app/read_aloud.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_app/window.hpp"

namespace {

using namespace kiosk;
using flow::Clock;
namespace in = flow::intent;
namespace fs = std::filesystem;

long status_kb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::char_traits<char>::length(field)));
  return -1;
}

int open_files() {
  int n = 0;
  if (DIR* d = opendir("/proc/self/fd")) {
    while (const dirent* e = readdir(d))
      if (e->d_name[0] != '.') ++n;
    closedir(d);
  }
  return n - 1;  // the directory stream itself
}

long size_of(const fs::path& p) {
  std::error_code ec;
  const auto size = fs::file_size(p, ec);
  return ec ? 0 : static_cast<long>(size);
}

long files_under(const fs::path& dir) {
  long n = 0;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file(ec)) ++n;
  return n;
}

// Files in the kiosk's own temporary folders: its TMPDIR and its page folder, both private to
// this run (so other programs' files in /tmp are not counted).
long kiosk_temp_files(const std::vector<fs::path>& folders) {
  long n = 0;
  for (const auto& folder : folders) n += files_under(folder);
  return n;
}

struct Sample {
  int sessions = 0;
  long rss_kb = 0;
  int fds = 0;
  long threads = 0;
  long store = 0, wal = 0;
  long store_files = 0, temp_files = 0;
};

class Soak {
 public:
  Soak(flow::Flow& flow, app::FrameLoop& loop, fs::path paper, fs::path glass, forms::Answers written)
      : flow_(flow), loop_(loop), paper_(std::move(paper)), glass_(std::move(glass)), written_(std::move(written)) {}
  // The pages of the sheet the next scanning session brings.
  void set_sheet(std::vector<fs::path> pages) { sheet_pages_ = std::move(pages); }

  // Applies an intent as a touch would, and draws the frames that follow it.
  void act(const flow::Intent& intent) {
    flow_.apply(intent, Clock::now());
    frames(2);
  }
  void frames(int n) {
    for (int i = 0; i < n; ++i) loop_.frame(Clock::now());
  }
  // Draws frames while a worker is busy (print, scan, outbox, PIN check), as the kiosk does.
  void wait_workers() {
    const auto give_up = Clock::now() + std::chrono::minutes(3);
    while ((flow_.screen_model().busy || flow_.staff_checking()) && Clock::now() < give_up) {
      frames(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    frames(2);
  }
  void start_over() {
    act(in::StartOver{});
    // The paper tray: printed forms and receipts are the citizen's to take away.
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(paper_, ec)) fs::remove(e.path(), ec);
  }

  void to_form(const forms::Questionnaire& form) {
    act(in::ChooseLanguage{"nb"});
    act(in::ChooseCategory{form.category});
    act(in::ChooseSelf{});
    if (flow_.screen() == flow::Screen::FormChoice) act(in::ChooseForm{form.id});
  }
  void answer_questions(const forms::Questionnaire& form) {
    act(in::FillIn{});
    act(in::Key{"01018012371"});
    act(in::Next{});
    act(in::Key{"Kari Nordmann"});
    act(in::Next{});
    for (int guard = 0; guard < 30 && flow_.screen() == flow::Screen::Question; ++guard) {
      const auto* item = form.find_item(flow_.current_link_id());
      if (!item) break;
      if (item->type == forms::ItemType::Boolean)
        act(in::AnswerYesNo{item->link_id != "helper"});
      else if (item->type == forms::ItemType::Choice && !item->options.empty())
        act(in::AnswerChoice{item->options.front().code});
      else
        act(in::Skip{});
    }
    // The look back over every answer, then the sheet is printed.
    if (flow_.screen() == flow::Screen::Overview) act(in::PrintForm{form.id, false});
  }
  // A form filled in at home, scanned: true when it reached the review screen.
  bool scan_from_home() {
    act(in::ChooseLanguage{"nb"});
    act(in::SendFilledForm{});
    if (flow_.screen() == flow::Screen::Who) act(in::ChooseSelf{});  // the flow asks for whom first
    // Each page of the sheet on the glass in turn, as long as the kiosk asks for one.
    for (std::size_t page = 0; page < sheet_pages_.size() && flow_.screen() == flow::Screen::Scan; ++page) {
      std::error_code ec;
      fs::copy_file(sheet_pages_[page], glass_, fs::copy_options::overwrite_existing, ec);
      act(in::StartScan{});
      wait_workers();
      if (std::getenv("KIOSK_SOAK_DEBUG")) say_why("after page " + std::to_string(page + 1));
    }
    if (flow_.screen() == flow::Screen::Review) return true;
    say_why("after scanning");
    return false;
  }
  // Where a session went instead, once per place: a benchmark that only counts failures hides
  // their cause.
  void say_why(const std::string& when) {
    if (!told_why_.insert(when).second) return;
    const auto model = flow_.screen_model();
    std::fprintf(stderr, "soak: %s, the screen is %s: %s%s%s\n", when.c_str(),
                 flow::screen_name(flow_.screen()).c_str(), model.title.c_str(), model.error.empty() ? "" : " / ",
                 model.error.c_str());
    if (std::getenv("KIOSK_SOAK_DEBUG"))
      for (const auto& f : flow_.session().read_fields)
        std::fprintf(stderr, "  read %s = '%s' (%.2f%s)\n", f.link_id.c_str(), f.value.c_str(), f.confidence,
                     f.needs_review ? ", asked" : "");
  }

  std::string run(int i, const forms::Questionnaire& form) {
    switch (i % 10) {
      case 0:
        act(in::ChooseLanguage{"nb"});
        start_over();
        return "abandoned on the task screen";
      case 1:
        act(in::ChooseLanguage{"nn"});
        act(in::ChooseCategory{form.category});
        act(in::ReadAloud{});
        start_over();
        return "abandoned on the who screen, read aloud";
      case 2:
        to_form(form);
        start_over();
        return "abandoned on the form screen";
      case 3:
        to_form(form);
        act(in::FillIn{});
        act(in::Key{"01018012371"});
        act(in::Next{});
        act(in::Key{"Kari"});
        start_over();
        return "abandoned on a question, typing";
      case 4: {
        to_form(form);
        act(in::FillIn{});
        act(in::Key{"0101801"});
        // Nobody comes back: the warning, its countdown, then the wipe.
        const auto later = Clock::now() + flow_.options().inactivity_warning + flow_.options().inactivity_countdown;
        flow_.tick(later - std::chrono::seconds(5));
        frames(2);
        flow_.tick(later + std::chrono::seconds(1));
        frames(2);
        return flow_.screen() == flow::Screen::Start ? "timed out" : "timed out: NOT wiped";
      }
      case 5:
        act(in::Help{});
        start_over();
        return "abandoned on the help screen";
      case 6: {
        to_form(form);
        answer_questions(form);
        wait_workers();
        const bool printed = flow_.screen() == flow::Screen::Print;
        start_over();
        return printed ? "filled in and printed" : "filled in: the print screen did NOT come";
      }
      case 7: {
        act(in::OpenStaff{});
        act(in::Key{"1234"});
        act(in::Next{});
        wait_workers();
        const bool in_staff = flow_.staff_unlocked();
        start_over();
        return in_staff ? "staff signed in and out" : "staff sign-in FAILED";
      }
      case 8: {
        const bool review = scan_from_home();
        start_over();
        return review ? "scanned, left on the review screen" : "scanned: the review screen did NOT come";
      }
      default: {
        if (!scan_from_home()) {
          start_over();
          return "sent: the review screen did NOT come";
        }
        // The person checks what was read: right, or corrected to what they wrote (the example
        // answers the sheets were filled with).
        for (int guard = 0;
             guard < 40 && flow_.screen() == flow::Screen::Review && !flow_.session().review_queue.empty(); ++guard) {
          const auto& field = flow_.session().read_fields[flow_.session().review_queue.front()];
          const forms::AnswerValue* wrote = written_.first(field.link_id);
          if (!wrote || wrote->to_display_string() == field.value) {
            act(in::ConfirmRead{true});
            continue;
          }
          const forms::AnswerValue value = *wrote;
          const std::size_t typed = flow_.session().typed.size();
          act(in::ConfirmRead{false});
          if (value.kind == forms::AnswerValue::Kind::Boolean) {
            act(in::AnswerYesNo{value.boolean});
          } else if (value.kind == forms::AnswerValue::Kind::Coding) {
            act(in::AnswerChoice{value.text});
          } else {
            for (std::size_t k = 0; k < typed + field.value.size() + 1; ++k) act(in::Erase{});
            act(in::Key{value.text});
            act(in::Next{});
          }
        }
        act(in::SendIn{});
        wait_workers();
        const bool receipt = flow_.screen() == flow::Screen::Receipt;
        if (!receipt) say_why("after sending");
        wait_workers();  // the receipt is printed
        start_over();
        return receipt ? "scanned and sent (committed to the outbox)" : "sent: the receipt did NOT come";
      }
    }
  }

 private:
  std::set<std::string> told_why_;
  std::vector<fs::path> sheet_pages_;
  flow::Flow& flow_;
  app::FrameLoop& loop_;
  fs::path paper_;
  fs::path glass_;          // the file SANE's pnm backend reads
  forms::Answers written_;  // what the sheets filled at home say
};

void print_sample(const Sample& s) {
  std::printf(
      "  after %4d sessions: resident %7.1f MB, open files %3d, threads %2ld, store %7.1f kB + WAL %7.1f kB, files "
      "in the store folder %ld, in the kiosk's temporary folders %ld\n",
      s.sessions, static_cast<double>(s.rss_kb) / 1024.0, s.fds, s.threads, static_cast<double>(s.store) / 1024.0,
      static_cast<double>(s.wal) / 1024.0, s.store_files, s.temp_files);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  app::limit_heap_retention();          // the kiosk's own heap policy (kiosk/app/src/main.cpp)
  app::avoid_session_bus_autolaunch();  // as the kiosk does (no forked dbus-launch)
  int sessions = 1000;
  bool deliver = false;  // run the delivery service beside the kiosk, as an installed kiosk does
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--deliver")
      deliver = true;
    else
      sessions = std::atoi(argv[i]);
  }
  if (sessions < 1) {
    std::fprintf(stderr,
                 "Usage: kiosk_soak_bench [sessions] [--deliver]  (sessions: a whole number, at least 1; "
                 "--deliver: a private RabbitMQ, platform-sim and `kioskctl queue deliver` run alongside)\n");
    return 2;
  }
  const auto assets = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
  const auto translations = forms::Translations::load_directory(assets / "i18n");
  const auto rules = forms::RepresentationRules::load(assets / "representation.json");
  const auto& form = *catalogue.find("reservasjon-kjernejournal");
  const auto tmp = fs::temp_directory_path() / ("soak-bench-" + std::to_string(getpid()));
  // The kiosk's temporary files and scanned pages go into folders of this run only, so what is
  // left there at the end is the kiosk's own: TMPDIR, and a page folder on the tmpfs /dev/shm.
  const auto kiosk_tmp = tmp / "tmpdir";
  const auto page_dir = fs::path("/dev/shm") / ("soak-bench-pages-" + std::to_string(getpid()));
  fs::create_directories(kiosk_tmp);
  fs::create_directories(page_dir);
  fs::permissions(page_dir, fs::perms::owner_all);
  setenv("TMPDIR", kiosk_tmp.c_str(), 1);
  fs::create_directories(tmp / "paper");
  {
    std::ofstream key(tmp / "key", std::ios::binary);
    key << "benchmark-key-0123456789abcdef";
  }
  // Sheets filled at home, one per sent session (each a submission of its own), made before
  // any thread starts; the scanner reads "page.pgm", a copy of the next one.
  const int sent_sessions = (sessions + 9) / 10;
  std::vector<std::pair<std::string, fs::path>> pages;
  for (int i = 0; i < std::min(sent_sessions, 40); ++i) {
    char id[40];
    std::snprintf(id, sizeof id, "50a4%028d", i);
    pages.emplace_back(id, tmp / ("sheet-" + std::to_string(i) + ".pgm"));
  }
  std::printf("making %zu filled sheets...\n", pages.size());
  std::fflush(stdout);
  if (!bench::make_filled_pages(catalogue, translations, tmp / "key", form.id, pages, true)) {
    std::fprintf(stderr, "the filled sheets could not be made\n");
    return 1;
  }
  // With --deliver, the installed kiosk's other half runs too: the delivery service (`kioskctl
  // queue deliver`, which also checkpoints the store's WAL) sending to a private RabbitMQ, and
  // platform-sim answering as the platform. Without it, submissions stay queued.
  std::unique_ptr<queue_test::RabbitBroker> broker;
  if (deliver) {
    std::printf("starting a private RabbitMQ...\n");
    std::fflush(stdout);
    broker = std::make_unique<queue_test::RabbitBroker>(tmp / "broker");
  }
  if (!(broker ? bench::make_demo_env(tmp / "env", broker->url()) : bench::make_demo_env(tmp / "env"))) {
    std::fprintf(stderr, "kioskctl demo-env failed: no outbox\n");
    return 1;
  }
  Config config = Config::load(tmp / "env" / "kiosk.toml");
  std::ofstream(tmp / "dll.conf") << "pnm\n";
  setenv("SANE_CONFIG_DIR", tmp.c_str(), 1);
  config.set("scanner.page_dir", page_dir.string());
  config.set("scanner.device", std::string("pnm:0"));
  config.set("scanner.options", std::vector<std::string>{"filename=" + (tmp / "page.pgm").string()});
  config.set("ui.print_to_folder", (tmp / "paper").string());
  config.set("print.mac_key_file", (tmp / "key").string());
  config.set("staff.pin_hash", std::string(bench::kStaffPinHash));
  const fs::path store = config.get_path("store.path");

  std::unique_ptr<ChildProcess> platform, delivery;
  if (broker) {
    const auto config_file = (tmp / "env" / "kiosk.toml").string();
    platform = std::make_unique<ChildProcess>(
        program_next_to_this_one("platform-sim"),
        std::vector<std::string>{"serve", "--config", config_file, "--timeout", "100000"}, tmp / "platform-sim.log");
    delivery = std::make_unique<ChildProcess>(program_next_to_this_one("kioskctl"),
                                              std::vector<std::string>{"queue", "deliver", "--config", config_file},
                                              tmp / "delivery.log");
  }

  auto wired = app::make_services(config, catalogue, translations);
  auto speaker = std::make_shared<app::EspeakSpeaker>();
  wired.services.speaker = speaker;
  wired.services.log = [](const std::string& line) { std::fprintf(stderr, "kiosk: %s\n", line.c_str()); };
  flow::Flow flow(catalogue, translations, rules, flow::FlowOptions::from_config(config), wired.services, Clock::now());
  app::Window window(1920, 1080, false);
  app::FrameLoop loop{window, flow, {}};
  for (int i = 0; i < 3; ++i) loop.frame(Clock::now());
  // The sheets are filled with the example answers of seed 7 (bench::make_filled_pages).
  Soak soak(flow, loop, tmp / "paper", tmp / "page.pgm", forms::make_example_answers(form, 7));

  auto sample = [&](int done) {
    Sample s;
    s.sessions = done;
    s.rss_kb = status_kb("VmRSS:");
    s.fds = open_files();
    s.threads = status_kb("Threads:");
    s.store = size_of(store);
    s.wal = size_of(store.string() + "-wal");
    s.store_files = files_under(store.parent_path());
    s.temp_files = kiosk_temp_files({kiosk_tmp, page_dir});
    print_sample(s);
    return s;
  };
  std::printf("%d sessions through the real flow and window (form %s):\n", sessions, form.id.c_str());
  const Sample first = sample(0);
  Sample after50 = first;
  std::map<std::string, int> outcomes;
  int sheet = 0;
  const auto started = Clock::now();
  for (int i = 0; i < sessions; ++i) {
    if (i % 10 == 8 || i % 10 == 9) {
      const auto& first_page = pages[static_cast<size_t>(sheet) % pages.size()].second;
      std::vector<fs::path> sheet_pages;
      for (int page = 1; fs::exists(bench::sheet_page_file(first_page, page)); ++page)
        sheet_pages.push_back(bench::sheet_page_file(first_page, page));
      soak.set_sheet(std::move(sheet_pages));
      if (i % 10 == 9) ++sheet;
    }
    ++outcomes[soak.run(i, form)];
    const int done = i + 1;
    if (done == 50) after50 = sample(done);
    if (done % 100 == 0 && done != sessions) sample(done);
  }
  // Let the last worker results in (a receipt print, the delivery worker's retries); with the
  // delivery service, until the WAL it checkpoints has settled (at most a minute).
  for (int i = 0; i < (broker ? 6000 : 20); ++i) {
    loop.frame(Clock::now());
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (broker && i >= 500 && i % 100 == 0 && size_of(store.string() + "-wal") == 0) break;
  }
  const Sample last = sample(sessions);
  const double minutes = std::chrono::duration<double>(Clock::now() - started).count() / 60.0;
  std::printf("sessions by kind and outcome (%.1f min):\n", minutes);
  for (const auto& [what, n] : outcomes) std::printf("  %5d  %s\n", n, what.c_str());
  const Sample& base = sessions >= 50 ? after50 : first;
  const double grew_mb = static_cast<double>(last.rss_kb - base.rss_kb) / 1024.0;
  std::printf("targets (issue 24), against the sample after %d sessions:\n", base.sessions);
  std::printf("  resident memory grew %.2f MB (target <= 2 MB): %s\n", grew_mb, grew_mb <= 2.0 ? "met" : "NOT met");
  std::printf("  open files %d -> %d: %s\n", base.fds, last.fds, base.fds == last.fds ? "constant" : "NOT constant");
  std::printf("  threads %ld -> %ld: %s\n", base.threads, last.threads,
              base.threads == last.threads ? "constant" : "NOT constant");
  std::printf("  store %+.1f kB since the start (WAL %.1f kB at the end), files in the store folder %ld -> %ld\n",
              static_cast<double>(last.store - first.store) / 1024.0, static_cast<double>(last.wal) / 1024.0,
              first.store_files, last.store_files);
  std::printf("  files in the kiosk's temporary folders at the end: %ld (target 0): %s\n", last.temp_files,
              last.temp_files == 0 ? "met" : "NOT met");
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::remove_all(page_dir, ec);
  return 0;
}
