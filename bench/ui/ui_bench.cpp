// kiosk_ui_bench: run as
//   xvfb-run -a -s "-screen 0 1920x1080x24" env LIBGL_ALWAYS_SOFTWARE=1 build/bin/kiosk_ui_bench [frames]
// Measures (1) cold start to first frame: from process start (before fonts, window and
// GL set-up) to the first swapped frame; (2) CPU time of the UI thread per frame on the
// busiest screen (the letters keyboard: ~45 buttons), idle and while the real print, scan
// and outbox services work on their worker threads (a form PDF rendered, a printed page
// scanned through SANE's pnm backend and recognised, a submission signed, encrypted and
// committed to the outbox, with the delivery worker running); (3) resident memory.
// Yardstick, same run: an empty ImGui frame in the same window.
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <imgui.h>

#include "forms/answers.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_app/window.hpp"
#include "scanners/image.hpp"

namespace {

const auto g_process_start = std::chrono::steady_clock::now();

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

long rss_kb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

struct Stats {
  double median, p99, max;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))]; };
  return {at(0.5), at(0.99), v.back()};
}

}  // namespace

int main(int argc, char** argv) {
  const int frames = argc > 1 ? std::max(50, std::atoi(argv[1])) : 600;
  using namespace kiosk;
  const auto assets = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
  const auto translations = forms::Translations::load_directory(assets / "i18n");
  const auto rules = forms::RepresentationRules::load(assets / "representation.json");
  Config config;
  const auto tmp = std::filesystem::temp_directory_path() / ("kiosk-ui-bench-" + std::to_string(getpid()));
  std::filesystem::create_directories(tmp);
  // An outbox of its own (TEST certificates from `kioskctl demo-env`, next to this program);
  // its broker is a port nobody listens on, so the delivery worker keeps reconnecting.
  const auto kioskctl = std::filesystem::read_symlink("/proc/self/exe").parent_path() / "kioskctl";
  const std::string env_cmd =
      kioskctl.string() + " demo-env --out " + (tmp / "env").string() + " --broker amqp://127.0.0.1:9 > /dev/null";
  // Benchmark scaffolding (another process making TEST certificates): not part of the
  // kiosk's start, so its time is taken off the cold-start figure.
  const auto setup_start = std::chrono::steady_clock::now();
  const bool have_outbox = std::system(env_cmd.c_str()) == 0;
  const double setup_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - setup_start).count();
  if (have_outbox) config = Config::load(tmp / "env" / "kiosk.toml");
  // The scanner: SANE's pnm backend reading a printed page.
  std::ofstream(tmp / "dll.conf") << "pnm\n";
  setenv("SANE_CONFIG_DIR", tmp.c_str(), 1);
  config.set("scanner.device", std::string("pnm:0"));
  config.set("scanner.options", std::vector<std::string>{"filename=" + (tmp / "page.pgm").string()});
  config.set("ui.print_to_folder", tmp.string());
  {
    std::ofstream key(tmp / "key", std::ios::binary);
    key << "benchmark-key-0123456789abcdef";
  }
  config.set("print.mac_key_file", (tmp / "key").string());
  auto wired = app::make_services(config, catalogue, translations);
  const auto now = flow::Clock::now();
  flow::Flow flow(catalogue, translations, rules, flow::FlowOptions{}, wired.services, now);

  app::Window window(1920, 1080, false);
  app::FrameLoop loop{window, flow, {}};
  loop.frame(now);
  const double cold_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - g_process_start).count() - setup_ms;
  const long rss_first_frame_kb = rss_kb();

  // The busiest screen: a name question with the letters keyboard.
  namespace in = flow::intent;
  const auto& form = *catalogue.find("reservasjon-kjernejournal");
  flow.apply(in::ChooseLanguage{"nb"}, now);
  flow.apply(in::ChooseCategory{form.category}, now);
  flow.apply(in::ChooseSelf{}, now);
  if (flow.screen() == flow::Screen::FormChoice) flow.apply(in::ChooseForm{form.id}, now);
  flow.apply(in::FillIn{}, now);
  flow.apply(in::Key{"01018012371"}, now);
  flow.apply(in::Next{}, now);
  flow.apply(in::Key{"Kari Nordmann"}, now);
  for (int i = 0; i < 30; ++i) loop.frame(now);
  std::vector<double> busy;
  for (int i = 0; i < frames; ++i) {
    const double t0 = thread_cpu_ms();
    loop.frame(now);
    busy.push_back(thread_cpu_ms() - t0);
  }
  const long rss_idle_kb = rss_kb();
  // A printed page for the scanner (first page of the form, as PGM).
  {
    flow::PrintRequest req;
    req.form_id = form.id;
    req.submission_id = "benchpage0000000000000000000000000";
    wired.services.printer->start(req);
    std::optional<flow::PrintResult> r;
    while (!(r = wired.services.printer->poll())) usleep(10000);
    if (!r->document.empty()) {
      const auto pages = scanners::import_image_file(r->document);
      std::ofstream pgm(tmp / "page.pgm", std::ios::binary);
      pgm << "P5\n" << pages[0].grey.cols << " " << pages[0].grey.rows << "\n255\n";
      for (int y = 0; y < pages[0].grey.rows; ++y)
        pgm.write(reinterpret_cast<const char*>(pages[0].grey.ptr(y)), pages[0].grey.cols);
    }
  }
  // The same screen while the workers print, scan and commit (the UI thread must not wait).
  std::vector<double> while_working, wall_working;
  int printed = 0, scanned = 0, committed = 0;
  for (int i = 0; i < frames; ++i) {
    if (i % 60 == 0) {
      flow::PrintRequest req;
      req.form_id = form.id;
      req.submission_id = "bench" + std::to_string(i) + "0000000000000000";
      wired.services.printer->start(req);
      flow::ScanRequest scan;
      scan.expected_form_id = form.id;
      wired.services.scanner->start(scan);
      flow::Submission submission;
      submission.form_id = form.id;
      submission.language = "nb";
      submission.answers = forms::make_example_answers(form, static_cast<unsigned>(i));
      wired.services.outbox->commit(std::move(submission));
    }
    while (wired.services.printer->poll()) ++printed;
    while (wired.services.scanner->poll()) ++scanned;
    while (auto r = wired.services.outbox->poll()) committed += r->outcome == flow::Outcome::Done ? 1 : 0;
    const auto wall0 = std::chrono::steady_clock::now();
    const double t0 = thread_cpu_ms();
    loop.frame(now);
    while_working.push_back(thread_cpu_ms() - t0);
    wall_working.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - wall0).count());
  }
  // Yardstick: an empty ImGui frame in the same window.
  flow::ScreenModel empty_model;
  std::vector<double> empty;
  for (int i = 0; i < frames; ++i) {
    const double t0 = thread_cpu_ms();
    window.frame(empty_model);
    empty.push_back(thread_cpu_ms() - t0);
  }
  const auto b = stats(busy), p = stats(while_working), w = stats(wall_working), e = stats(empty);
  std::printf("cold start to first frame: %.0f ms\n", cold_ms);
  std::printf("busiest screen (letters keyboard), CPU ms/frame over %d frames: median %.2f, p99 %.2f, max %.2f\n",
              frames, b.median, b.p99, b.max);
  std::printf(
      "same screen while print/scan/outbox workers run (%d printed, %d scanned, %d committed%s): CPU ms/frame median "
      "%.2f, p99 %.2f, max %.2f; wall ms/frame median %.2f, p99 %.2f\n",
      printed, scanned, committed, have_outbox ? "" : ", no outbox: demo-env failed", p.median, p.p99, p.max, w.median,
      w.p99);
  std::printf("yardstick, empty ImGui frame: median %.2f, p99 %.2f\n", e.median, e.p99);
  std::printf(
      "resident memory: %.1f MB at the first frame, %.1f MB after the busy screen, %.1f MB after the workers "
      "(recogniser with Tesseract and the digit model loaded, outbox and delivery worker open)\n",
      static_cast<double>(rss_first_frame_kb) / 1024.0, static_cast<double>(rss_idle_kb) / 1024.0,
      static_cast<double>(rss_kb()) / 1024.0);
  std::filesystem::remove_all(tmp);
  return 0;
}
