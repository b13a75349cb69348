// kiosk_ui_bench: run as
//   xvfb-run -a -s "-screen 0 1920x1080x24" env LIBGL_ALWAYS_SOFTWARE=1 build/bin/kiosk_ui_bench [frames]
// Measures (1) cold start to first frame: from process start (before fonts, window and
// GL set-up) to the first swapped frame; (2) CPU time of the UI thread per frame on the
// busiest screen (the letters keyboard: ~45 buttons), idle and while a print job renders
// a PDF on its worker thread; (3) resident memory. Yardstick, same run: an empty ImGui
// frame in the same window.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <imgui.h>

#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_app/window.hpp"

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
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - g_process_start).count();

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
  // The same screen while a worker renders form PDFs (the UI thread must not wait).
  std::vector<double> while_printing;
  int printed = 0;
  for (int i = 0; i < frames; ++i) {
    if (i % 60 == 0) {
      flow::PrintRequest req;
      req.form_id = form.id;
      req.submission_id = "bench" + std::to_string(i) + "0000000000000000";
      wired.services.printer->start(req);
    }
    while (wired.services.printer->poll()) ++printed;
    const double t0 = thread_cpu_ms();
    loop.frame(now);
    while_printing.push_back(thread_cpu_ms() - t0);
  }
  // Yardstick: an empty ImGui frame in the same window.
  flow::ScreenModel empty_model;
  std::vector<double> empty;
  for (int i = 0; i < frames; ++i) {
    const double t0 = thread_cpu_ms();
    window.frame(empty_model);
    empty.push_back(thread_cpu_ms() - t0);
  }
  const auto b = stats(busy), p = stats(while_printing), e = stats(empty);
  std::printf("cold start to first frame: %.0f ms\n", cold_ms);
  std::printf("busiest screen (letters keyboard), CPU ms/frame over %d frames: median %.2f, p99 %.2f, max %.2f\n",
              frames, b.median, b.p99, b.max);
  std::printf("same screen while PDFs render on the worker (%d printed): median %.2f, p99 %.2f, max %.2f\n", printed,
              p.median, p.p99, p.max);
  std::printf("yardstick, empty ImGui frame: median %.2f, p99 %.2f\n", e.median, e.p99);
  std::printf("resident memory: %.1f MB\n", static_cast<double>(rss_kb()) / 1024.0);
  std::filesystem::remove_all(tmp);
  return 0;
}
