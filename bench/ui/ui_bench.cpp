// kiosk_ui_bench: run as
//   xvfb-run -a -s "-screen 0 1920x1080x24" env LIBGL_ALWAYS_SOFTWARE=1 build/bin/kiosk_ui_bench [frames] [starts]
// Measures (1) cold start: the real `kiosk` program (next to this one) is started `starts`
// times (default 5) with a demo configuration; for each start, the wall time from spawning
// it to its "first frame" log line (written right after the first frame is swapped), its
// CPU time and resident memory at that moment; (2) in this process, set up as the kiosk's
// main() sets itself up (the real print, scan and outbox services, read-aloud with espeak-ng
// and SDL audio, the kiosk's heap policy and zero-on-free allocator), CPU time of the UI
// thread per frame on the busiest screen (the letters keyboard: ~45 buttons), idle and while
// the real services work on their worker threads (a form PDF rendered, a filled page scanned
// through SANE's pnm backend and recognised, a submission signed, encrypted and committed to
// the outbox, with the delivery worker running); (3) the peak resident memory (kernel VmHWM)
// of each phase of a session: the first frame, the busiest screen read aloud, printing,
// scanning and committing each alone, the three together, and the resident memory after the
// scans (recogniser idle time 3 s here).
// Yardstick, same run: an empty ImGui frame in the same window.
// KIOSK_UI_BENCH_KEEP_PAGE=FILE.png keeps a copy of the filled page the scans read.
// KIOSK_UI_BENCH_SMAPS=1 also prints where the resident memory is (/proc/self/smaps, by
// mapping) on the busiest screen, at the highest sample while the workers ran, and after.
// KIOSK_UI_BENCH_IN_PROCESS=1 recognises in this process instead of the helper (to compare).
#include <malloc.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <imgui.h>

#include "forms/answers.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_app/memory.hpp"
#include "kiosk_app/session_bus.hpp"
#include "kiosk_app/read_aloud.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_app/window.hpp"
#include "../../kiosk/app/src/scan_service.hpp"  // recognizer_loaded()
#include "bench_env.hpp"

extern char** environ;

namespace {

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

long status_kb(const char* field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(field, 0) == 0) return std::stol(line.substr(std::char_traits<char>::length(field)));
  return 0;
}

long rss_kb() {
  return status_kb("VmRSS:");
}

// The kernel's high-water mark of resident memory (VmHWM) from now on: every moment counts,
// not only the moments the frame loop samples. False when the kernel does not allow it.
bool reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
  clear.flush();
  return static_cast<bool>(clear);
}

double mb(long kb) {
  return static_cast<double>(kb) / 1024.0;
}

// The peak of one phase of the session: the kernel's VmHWM since reset_peak_rss().
struct Phase {
  std::string name;
  long peak_kb = 0;
  std::string split_at_end;  // rss_split() when the phase ended
};

// Resident memory split the kernel's way: private and anonymous (heap, buffers), pages of
// files (shared libraries' code and data), shared memory (the X image).
std::string rss_split() {
  char buffer[160];
  std::snprintf(buffer, sizeof buffer, "anonymous %.1f MB, file-backed %.1f MB, shared memory %.1f MB",
                mb(status_kb("RssAnon:")), mb(status_kb("RssFile:")), mb(status_kb("RssShmem:")));
  return buffer;
}

// Resident memory by mapping, from /proc/self/smaps: file-backed mappings summed per file
// (code and data of each shared library), anonymous ones listed one by one with their size
// (a thread stack is 8 MB plus a guard page, a glibc arena reserves 64 MB, llvmpipe's
// buffers and textures are plain anonymous mappings), the heap and stacks by their names.
std::string smaps_summary(double min_mb = 0.5) {
  std::ifstream in("/proc/self/smaps");
  struct Entry {
    long rss_kb = 0, size_kb = 0, anon_kb = 0;
    int count = 0;
  };
  std::map<std::string, Entry> by_name;
  std::string line, current;
  long total_kb = 0, anon_total_kb = 0;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::isxdigit(static_cast<unsigned char>(line[0])) && line.find('-') < line.find(' ')) {
      // "start-end perms offset dev inode [path]"
      std::istringstream header(line);
      std::string range, perms, offset, dev, inode, path;
      header >> range >> perms >> offset >> dev >> inode;
      std::getline(header, path);
      path.erase(0, path.find_first_not_of(' '));
      current = path.empty() ? "[anon " + perms + "] @" + range.substr(0, range.find('-')) : path;
      continue;
    }
    long kb = 0;
    if (std::sscanf(line.c_str(), "Size: %ld kB", &kb) == 1) {
      by_name[current].size_kb += kb;
      by_name[current].count += 1;
    } else if (std::sscanf(line.c_str(), "Rss: %ld kB", &kb) == 1) {
      by_name[current].rss_kb += kb;
      total_kb += kb;
    } else if (std::sscanf(line.c_str(), "Anonymous: %ld kB", &kb) == 1) {
      by_name[current].anon_kb += kb;
      anon_total_kb += kb;
    }
  }
  std::vector<std::pair<std::string, Entry>> sorted(by_name.begin(), by_name.end());
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.second.rss_kb > b.second.rss_kb; });
  char buffer[512];
  std::snprintf(buffer, sizeof buffer, "    total Rss %.1f MB, of it anonymous %.1f MB\n",
                static_cast<double>(total_kb) / 1024.0, static_cast<double>(anon_total_kb) / 1024.0);
  std::string out = buffer;
  // glibc's own count: bytes in use against free bytes it keeps, over all arenas.
  const struct mallinfo2 heap = mallinfo2();
  std::snprintf(buffer, sizeof buffer,
                "    malloc: %.1f MB in use, %.1f MB free kept in the arenas (%.1f MB arena, %.1f MB in %zu mmapped "
                "blocks)\n",
                static_cast<double>(heap.uordblks) / 1048576.0, static_cast<double>(heap.fordblks) / 1048576.0,
                static_cast<double>(heap.arena) / 1048576.0, static_cast<double>(heap.hblkhd) / 1048576.0, heap.hblks);
  out += buffer;
  long small_kb = 0;
  for (const auto& [name, e] : sorted) {
    if (static_cast<double>(e.rss_kb) / 1024.0 < min_mb) {
      small_kb += e.rss_kb;
      continue;
    }
    std::snprintf(buffer, sizeof buffer, "    %7.1f MB Rss (%5.1f anon) of %8.1f MB mapped  %s\n",
                  static_cast<double>(e.rss_kb) / 1024.0, static_cast<double>(e.anon_kb) / 1024.0,
                  static_cast<double>(e.size_kb) / 1024.0, name.c_str());
    out += buffer;
  }
  std::snprintf(buffer, sizeof buffer, "    %7.1f MB Rss in smaller mappings\n",
                static_cast<double>(small_kb) / 1024.0);
  return out + buffer;
}

struct Stats {
  double median, p99, max;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))]; };
  return {at(0.5), at(0.99), v.back()};
}

struct ColdStart {
  double wall_ms = 0;                               // spawn to the first-frame line, as seen from here
  double cpu_ms = 0, resident_mb = 0, main_ms = 0;  // as the kiosk reports them
};

// Starts the kiosk, waits for its first frame, stops it with SIGTERM.
std::optional<ColdStart> cold_start(const std::filesystem::path& kiosk, const std::filesystem::path& config) {
  const auto spawned = std::chrono::steady_clock::now();
  const auto child = bench::spawn_kiosk_windowed(kiosk, config);
  if (!child) return std::nullopt;
  const pid_t pid = child->pid;
  const int stderr_fd = child->stderr_fd;
  std::optional<ColdStart> result;
  std::string text;
  char buffer[4096];
  for (;;) {
    const ssize_t n = read(stderr_fd, buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    const auto at = text.find("kiosk: first frame after ");
    if (at != std::string::npos && text.find('\n', at) != std::string::npos) {
      ColdStart c;
      c.wall_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - spawned).count();
      if (std::sscanf(text.c_str() + at, "kiosk: first frame after %lf ms (%lf ms CPU), %lf MB resident", &c.main_ms,
                      &c.cpu_ms, &c.resident_mb) == 3)
        result = c;
      break;
    }
  }
  kill(pid, SIGTERM);
  // Drain the rest so the kiosk never blocks on a full pipe while it stops.
  while (read(stderr_fd, buffer, sizeof buffer) > 0) {
  }
  close(stderr_fd);
  int status = 0;
  waitpid(pid, &status, 0);
  if (!result) std::fprintf(stderr, "the kiosk did not report a first frame:\n%s\n", text.c_str());
  return result;
}

void print_spread(const char* what, std::vector<double> v, const char* unit) {
  std::printf("  %s, each start:", what);
  for (double x : v) std::printf(" %.0f", x);
  std::sort(v.begin(), v.end());
  std::printf(" %s; median %.0f, min %.0f, max %.0f\n", unit, v[v.size() / 2], v.front(), v.back());
}

}  // namespace

int main(int argc, char** argv) {
  kiosk::app::limit_heap_retention();          // the kiosk's own heap policy (kiosk/app/src/main.cpp)
  kiosk::app::avoid_session_bus_autolaunch();  // as the kiosk does (no forked dbus-launch)
  const int frames = argc > 1 ? std::max(50, std::atoi(argv[1])) : 600;
  const int starts = argc > 2 ? std::max(1, std::atoi(argv[2])) : 5;
  using namespace kiosk;
  const auto assets = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
  const auto translations = forms::Translations::load_directory(assets / "i18n");
  const auto rules = forms::RepresentationRules::load(assets / "representation.json");
  Config config;
  const auto tmp = std::filesystem::temp_directory_path() / ("kiosk-ui-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(tmp);
  {
    std::ofstream key(tmp / "key", std::ios::binary);
    key << "benchmark-key-0123456789abcdef";
  }
  const auto& form = *catalogue.find("reservasjon-kjernejournal");
  // The page the scanner reads: the form's first page filled in like a person would, at
  // 300 dpi, so the scans run the whole recogniser: QR code, marks, digit networks and
  // Tesseract on the letter boxes.
  {
    std::vector<std::pair<std::string, std::filesystem::path>> pages{
        {"benchpage0000000000000000000000000", tmp / "page.pgm"}};
    // A copy to look at or to profile the recogniser on alone (`kioskctl recognize FILE`).
    if (const char* keep = std::getenv("KIOSK_UI_BENCH_KEEP_PAGE")) pages.emplace_back(pages.front().first, keep);
    if (!bench::make_filled_pages(catalogue, translations, tmp / "key", form.id, pages)) {
      std::fprintf(stderr, "the filled page could not be made\n");
      return 1;
    }
  }
  // An outbox of its own (TEST certificates from `kioskctl demo-env`, next to this program);
  // its broker is a port nobody listens on, so the delivery worker keeps reconnecting.
  const auto bin = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  const bool have_outbox = bench::make_demo_env(tmp / "env");
  if (have_outbox) config = Config::load(tmp / "env" / "kiosk.toml");

  // (1) Cold starts of the real kiosk. A staff PIN hash (PIN 1234, libsodium's cheapest
  // Argon2id) so it goes straight to the start screen instead of the first-run setup.
  std::vector<double> start_wall, start_main, start_cpu, start_mb;
  if (have_outbox) {
    std::ofstream(tmp / "env" / "kiosk.toml", std::ios::app)
        << "\n[staff]\npin_hash = \"" << bench::kStaffPinHash << "\"\n";
    for (int i = 0; i < starts; ++i)
      if (auto c = cold_start(bin / "kiosk", tmp / "env" / "kiosk.toml")) {
        start_wall.push_back(c->wall_ms);
        start_main.push_back(c->main_ms);
        start_cpu.push_back(c->cpu_ms);
        start_mb.push_back(c->resident_mb);
      }
  }

  // (2) and (3) in this process, set up as the kiosk's main() does: the real print, scan and
  // outbox services and read-aloud (espeak-ng + SDL audio), with the kiosk's heap policy and
  // its zero-on-free allocator (linked in). The scanner: SANE's pnm backend reading the page.
  std::ofstream(tmp / "dll.conf") << "pnm\n";
  setenv("SANE_CONFIG_DIR", tmp.c_str(), 1);
  config.set("scanner.device", std::string("pnm:0"));
  config.set("scanner.options", std::vector<std::string>{"filename=" + (tmp / "page.pgm").string()});
  config.set("scanner.recognizer_idle_seconds", std::int64_t{3});
  // KIOSK_UI_BENCH_IN_PROCESS=1: the recogniser in this process, as before session 5 (to compare).
  if (std::getenv("KIOSK_UI_BENCH_IN_PROCESS")) config.set("scanner.recognize_in_helper", false);
  config.set("ui.print_to_folder", tmp.string());
  config.set("print.mac_key_file", (tmp / "key").string());
  auto wired = app::make_services(config, catalogue, translations);
  auto speaker = std::make_shared<app::EspeakSpeaker>();
  wired.services.speaker = speaker;
  const auto* scanner = dynamic_cast<const app::LibraryScanner*>(wired.services.scanner.get());
  const auto now = flow::Clock::now();
  flow::Flow flow(catalogue, translations, rules, flow::FlowOptions{}, wired.services, now);

  std::vector<Phase> phases;
  app::Window window(1920, 1080, false);
  app::FrameLoop loop{window, flow, {}};
  loop.frame(now);
  phases.push_back({"start to the first frame", status_kb("VmHWM:"), rss_split()});
  const bool peak_reset = reset_peak_rss();

  // The busiest screen: a name question with the letters keyboard, read aloud once.
  namespace in = flow::intent;
  flow.apply(in::ChooseLanguage{"nb"}, now);
  flow.apply(in::ChooseCategory{form.category}, now);
  flow.apply(in::ChooseSelf{}, now);
  if (flow.screen() == flow::Screen::FormChoice) flow.apply(in::ChooseForm{form.id}, now);
  flow.apply(in::FillIn{}, now);
  flow.apply(in::Key{"01018012371"}, now);
  flow.apply(in::Next{}, now);
  flow.apply(in::Key{"Kari Nordmann"}, now);
  flow.apply(in::ReadAloud{}, now);
  speaker->wait_idle();
  for (int i = 0; i < 30; ++i) loop.frame(now);
  std::vector<double> busy;
  for (int i = 0; i < frames; ++i) {
    const double t0 = thread_cpu_ms();
    loop.frame(now);
    busy.push_back(thread_cpu_ms() - t0);
  }
  const long rss_busy_kb = rss_kb();
  if (peak_reset) phases.push_back({"busiest screen, read aloud once", status_kb("VmHWM:"), rss_split()});
  const bool smaps = std::getenv("KIOSK_UI_BENCH_SMAPS") != nullptr;
  std::string smaps_busy, smaps_peak, smaps_after;
  if (smaps) smaps_busy = smaps_summary();

  int printed = 0, scanned = 0, committed = 0;
  std::string scan_detail;  // what the last scan read (shows the recogniser ran)
  long helper_peak_kb = 0;  // the recognition helper's own peak (scanner.recognize_in_helper)
  std::vector<std::chrono::steady_clock::time_point> scan_started;
  std::vector<double> scan_seconds;  // from start() to the result (the worker runs one scan at a time)

  auto start_print = [&](int i) {
    flow::PrintRequest req;
    req.form_id = form.id;
    req.submission_id = "bench" + std::to_string(i) + "0000000000000000";
    wired.services.printer->start(req);
  };
  auto start_scan = [&] {
    flow::ScanRequest scan;
    scan.expected_form_id = form.id;
    // One submission's sheets: a scan for a new person would clear the scan folder, here
    // while the previous sheet may still wait for its commit (the scans queue up).
    scan.submission_id = "benchsession0000000000000000000000";
    wired.services.scanner->start(scan);
    scan_started.push_back(std::chrono::steady_clock::now());
  };
  // A submission as a session sends it: the answers and the scanned page files, which the
  // outbox reads, seals into the encrypted store and then removes.
  int commits_started = 0, commits_answered = 0;
  std::string commit_failure;  // the last commit that failed, if any
  auto start_commit = [&](int i, std::vector<std::filesystem::path> pages) {
    flow::Submission submission;
    submission.form_id = form.id;
    submission.language = "nb";
    submission.answers = forms::make_example_answers(form, static_cast<unsigned>(i));
    submission.pages = std::move(pages);
    wired.services.outbox->commit(std::move(submission));
    ++commits_started;
  };
  std::vector<std::filesystem::path> last_pages;  // of the last scan, not yet committed
  bool commit_after_scan = false;                 // as in a session: each scanned sheet is sent
  int commits_with_pages = 0;
  auto poll_all = [&] {
    while (auto r = wired.services.scanner->poll()) {
      if (static_cast<size_t>(scanned) < scan_started.size())
        scan_seconds.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - scan_started[static_cast<size_t>(scanned)])
                .count());
      ++scanned;
      scan_detail = r->detail;
      last_pages = r->pages;
      if (scanner) helper_peak_kb = std::max(helper_peak_kb, scanner->last_helper_peak_kb());
      if (commit_after_scan && !last_pages.empty()) {
        ++commits_with_pages;
        start_commit(scanned, std::move(last_pages));
        last_pages.clear();
      }
    }
    while (wired.services.printer->poll()) ++printed;
    while (auto r = wired.services.outbox->poll()) {
      ++commits_answered;
      committed += r->outcome == flow::Outcome::Done ? 1 : 0;
      if (r->outcome != flow::Outcome::Done) commit_failure = r->detail;
    }
  };
  // One service alone, drawing frames until it answers: that phase's own peak.
  auto alone = [&](const char* name, int& counter, const std::function<void()>& start) {
    if (peak_reset) reset_peak_rss();
    const int before = counter;
    start();
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
    while (counter == before && std::chrono::steady_clock::now() < give_up) {
      poll_all();
      loop.frame(now);
    }
    if (peak_reset) phases.push_back({name, status_kb("VmHWM:"), rss_split()});
  };
  alone("printing a form (PDF rendered)", printed, [&] { start_print(1); });
  alone("scanning a filled page and reading it", scanned, start_scan);
  alone("committing the scanned sheet (read, signed, encrypted, stored)", commits_answered, [&] {
    if (!last_pages.empty()) ++commits_with_pages;
    start_commit(1, std::move(last_pages));
    last_pages.clear();
  });

  // The same screen while the workers print, scan and commit (the UI thread must not wait):
  // every 60 frames a form is printed and a sheet scanned; each scanned sheet is committed.
  std::vector<double> while_working, wall_working;
  long rss_working_peak_kb = 0;
  commit_after_scan = true;
  if (peak_reset) reset_peak_rss();
  for (int i = 0; i < frames; ++i) {
    if (i % 60 == 0) {
      start_print(i);
      start_scan();
    }
    poll_all();
    const auto wall0 = std::chrono::steady_clock::now();
    const double t0 = thread_cpu_ms();
    loop.frame(now);
    while_working.push_back(thread_cpu_ms() - t0);
    wall_working.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count());
    const long rss_now_kb = rss_kb();
    if (smaps && rss_now_kb > rss_working_peak_kb + 1024) smaps_peak = smaps_summary();
    rss_working_peak_kb = std::max(rss_working_peak_kb, rss_now_kb);
  }
  // Let the last scans finish, then wait (drawing frames) until the recogniser is unloaded.
  const int scans_started = static_cast<int>(scan_started.size());
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while ((scanned < scans_started || commits_answered < commits_started || (scanner && scanner->recognizer_loaded())) &&
         std::chrono::steady_clock::now() < give_up) {
    poll_all();
    loop.frame(now);
    const long rss_now_kb = rss_kb();
    if (smaps && rss_now_kb > rss_working_peak_kb + 1024) smaps_peak = smaps_summary();
    rss_working_peak_kb = std::max(rss_working_peak_kb, rss_now_kb);
  }
  if (peak_reset)
    phases.push_back(
        {"print + scan every 60 frames, each sheet committed, to the last result", status_kb("VmHWM:"), rss_split()});
  const bool unloaded = scanner && !scanner->recognizer_loaded();
  const long rss_after_kb = rss_kb();
  const std::string split_after = rss_split();
  if (smaps) smaps_after = smaps_summary();
  // Yardstick: an empty ImGui frame in the same window.
  flow::ScreenModel empty_model;
  std::vector<double> empty;
  for (int i = 0; i < frames; ++i) {
    const double t0 = thread_cpu_ms();
    window.frame(empty_model);
    empty.push_back(thread_cpu_ms() - t0);
  }
  const auto b = stats(busy), p = stats(while_working), w = stats(wall_working), e = stats(empty);
  if (start_wall.empty()) {
    std::printf("cold start: not measured (the kiosk did not start; see above)\n");
  } else {
    std::printf("cold start of build/bin/kiosk to its first frame, %zu starts:\n", start_wall.size());
    print_spread("wall time from spawn", start_wall, "ms");
    print_spread("wall time from main()", start_main, "ms");
    print_spread("CPU time (all threads)", start_cpu, "ms");
    print_spread("resident memory at the first frame", start_mb, "MB");
  }
  std::printf("busiest screen (letters keyboard), CPU ms/frame over %d frames: median %.2f, p99 %.2f, max %.2f\n",
              frames, b.median, b.p99, b.max);
  std::printf(
      "same screen while print/scan/outbox workers run (%d printed, %d scanned, %d committed, %d of them with the "
      "scanned page%s): CPU ms/frame median %.2f, p99 %.2f, max %.2f; wall ms/frame median %.2f, p99 %.2f\n",
      printed, scanned, committed, commits_with_pages, have_outbox ? "" : ", no outbox: demo-env failed", p.median,
      p.p99, p.max, w.median, w.p99);
  std::printf("last scan: %s\n", scan_detail.c_str());
  if (!commit_failure.empty()) std::printf("a commit failed: %s\n", commit_failure.c_str());
  if (!scan_seconds.empty()) {
    const auto took = stats(scan_seconds);
    std::printf("scan to result (SANE, page file, recognition), wall s: median %.2f, max %.2f over %zu scans\n",
                took.median, took.max, scan_seconds.size());
  }
  std::printf("yardstick, empty ImGui frame: median %.2f, p99 %.2f\n", e.median, e.p99);
  std::printf("read aloud: %s, %s\n", speaker->has_voice_engine() ? "espeak-ng loaded" : "espeak-ng NOT loaded",
              speaker->has_audio_device() ? "audio device open" : "no audio device (silent, as under Xvfb)");
  std::printf(
      "resident memory of this process (the kiosk's configuration), peak of each phase (kernel VmHWM, reset at the "
      "start of each phase):\n");
  long session_peak_kb = 0;
  for (const auto& phase : phases) {
    std::printf("  %6.1f MB  %s (at its end: %s)\n", mb(phase.peak_kb), phase.name.c_str(), phase.split_at_end.c_str());
    session_peak_kb = std::max(session_peak_kb, phase.peak_kb);
  }
  if (peak_reset)
    std::printf("  %6.1f MB  WHOLE SESSION (highest of the phases above; target < 150 MB)\n", mb(session_peak_kb));
  else
    std::printf("  (peaks per phase not measured: /proc/self/clear_refs not writable)\n");
  std::printf(
      "resident memory now (VmRSS): %.1f MB on the busiest screen, %.1f MB at the highest frame sample while the "
      "workers ran, %.1f MB after the scans %s; %s\n",
      mb(rss_busy_kb), mb(rss_working_peak_kb), mb(rss_after_kb),
      unloaded ? "with the recogniser unloaded (outbox and delivery worker open)" : "(the recogniser was NOT unloaded)",
      split_after.c_str());
  if (scanner && !scanner->helper_program().empty())
    std::printf(
        "recognition ran in helper processes (%s recognize): their peak resident memory %.1f MB; both processes "
        "together at most %.1f MB (this process's whole-session peak + the helper's peak)\n",
        scanner->helper_program().c_str(), mb(helper_peak_kb), mb(session_peak_kb + helper_peak_kb));
  else
    std::printf("recognition ran in this process\n");
  if (smaps)
    std::printf(
        "where the resident memory is (/proc/self/smaps):\n  on the busiest screen:\n%s  at the highest "
        "sample while the workers ran:\n%s  after the scans:\n%s",
        smaps_busy.c_str(), smaps_peak.c_str(), smaps_after.c_str());
  std::filesystem::remove_all(tmp);
  return 0;
}
