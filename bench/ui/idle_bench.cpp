// kiosk_idle_bench: run as
//   xvfb-run -a -s "-screen 0 1920x1080x24" env LIBGL_ALWAYS_SOFTWARE=1 build/bin/kiosk_idle_bench [seconds] [starts]
// or inside `cage` (WLR_BACKENDS=headless; the kiosk then draws through Xwayland).
// Measures (1) the real `kiosk` program (next to this one, demo configuration) idle at its
// start screen: CPU time of the kiosk process itself (utime + stime from /proc/PID/stat, all
// its threads) over `seconds` (default 60), `starts` times (default 3). CPU time of the process
// is what it costs, whatever else runs on the machine; (2) in this process, the kiosk's own
// loop (PacedLoop) in a real window: frames drawn per minute idle at the start screen and
// while a person taps through a session (real X events from xdotool, one tap a second), and
// the time from each tap to the next frame on screen; (3) yardstick in the same run: the loop
// before issue 24, drawing frame after frame (CPU of this thread and frames per minute).
#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_env.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_app/window.hpp"
#include "kiosk_ui/scripted_services.hpp"

extern char** environ;

namespace {

using namespace kiosk;
using flow::Clock;
namespace fs = std::filesystem;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// utime + stime of a process, in seconds (all its threads).
std::optional<double> process_cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(text.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  // After the name: state (3) ... utime is field 14, stime 15.
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Starts the kiosk, waits for its first frame, measures its CPU over `seconds` at the start
// screen, stops it with SIGTERM. Returns the share of one core in percent.
std::optional<double> kiosk_idle_percent(const fs::path& kiosk, const fs::path& config, int seconds) {
  const auto spawned = bench::spawn_kiosk_windowed(kiosk, config);
  if (!spawned) return std::nullopt;
  const pid_t pid = spawned->pid;
  const int stderr_fd = spawned->stderr_fd;
  std::string text;
  char buffer[4096];
  bool started = false;
  while (!started) {
    const ssize_t n = read(stderr_fd, buffer, sizeof buffer);
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    started = text.find("kiosk: first frame after ") != std::string::npos;
  }
  // The rest of its log goes to a reader thread, so the kiosk never blocks on a full pipe.
  auto drain = std::async(std::launch::async, [fd = stderr_fd] {
    char b[4096];
    while (read(fd, b, sizeof b) > 0) {
    }
  });
  std::optional<double> percent;
  if (started) {
    std::this_thread::sleep_for(std::chrono::seconds(2));  // the first frames settle
    const auto before = process_cpu_seconds(pid);
    const auto t0 = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(seconds));
    const auto after = process_cpu_seconds(pid);
    const double wall = std::chrono::duration<double>(Clock::now() - t0).count();
    if (before && after) percent = (*after - *before) / wall * 100.0;
  } else {
    std::fprintf(stderr, "the kiosk did not report a first frame:\n%s\n", text.c_str());
  }
  kill(pid, SIGTERM);
  int status = 0;
  waitpid(pid, &status, 0);
  drain.get();
  close(stderr_fd);
  return percent;
}

struct Spread {
  double median, min, max;
};

Spread spread(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 60;
  const int starts = argc > 2 ? std::atoi(argv[2]) : 3;
  if (seconds < 5 || starts < 1) {
    std::fprintf(stderr, "Usage: kiosk_idle_bench [seconds >= 5] [starts >= 1]\n");
    return 2;
  }
  const auto tmp = fs::temp_directory_path() / ("idle-bench-" + std::to_string(getpid()));
  fs::create_directories(tmp);
  const auto bin = fs::read_symlink("/proc/self/exe").parent_path();

  // (1) The real kiosk at its start screen.
  std::vector<double> idle;
  if (bench::make_demo_env(tmp / "env")) {
    std::ofstream(tmp / "env" / "kiosk.toml", std::ios::app)
        << "\n[staff]\npin_hash = \"" << bench::kStaffPinHash << "\"\n";
    for (int i = 0; i < starts; ++i)
      if (auto p = kiosk_idle_percent(bin / "kiosk", tmp / "env" / "kiosk.toml", seconds)) idle.push_back(*p);
  } else {
    std::fprintf(stderr, "kioskctl demo-env failed: the kiosk program is not measured\n");
  }

  // (2) and (3) in this process: the kiosk's screens with scripted services (no I/O).
  const auto assets = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
  const auto translations = forms::Translations::load_directory(assets / "i18n");
  const auto rules = forms::RepresentationRules::load(assets / "representation.json");
  flow::Services services;
  services.printer = std::make_shared<ui::ScriptedPrinter>();
  services.scanner = std::make_shared<ui::ScriptedScanner>();
  services.outbox = std::make_shared<ui::ScriptedOutbox>();
  flow::Flow flow(catalogue, translations, rules, flow::FlowOptions{}, services, Clock::now());
  app::Window window(1920, 1080, false);
  app::FrameLoop loop{window, flow, {}};
  app::PacedLoop paced(loop, app::Pacing{});
  const auto run_for = [&](Clock::duration d) {
    const auto end = Clock::now() + d;
    while (Clock::now() < end) paced.step();
  };
  run_for(std::chrono::seconds(1));
  long frames0 = window.frames_drawn();
  double cpu0 = thread_cpu_seconds();
  run_for(std::chrono::seconds(seconds));
  const double idle_frames_per_minute = static_cast<double>(window.frames_drawn() - frames0) * 60.0 / seconds;
  const double idle_loop_percent = (thread_cpu_seconds() - cpu0) / seconds * 100.0;

  // A person taps the first choice of each screen, once a second (Start over when a screen has none).
  const int taps = std::max(10, seconds / 2);
  std::vector<double> latency_ms;
  std::vector<Clock::time_point> frame_times;
  std::vector<double> draw_ms;  // one turn of the loop that drew a frame: build, draw, swap
  const auto timed_step = [&] {
    const auto turn = Clock::now();
    if (!paced.step()) return false;
    frame_times.push_back(Clock::now());
    draw_ms.push_back(std::chrono::duration<double, std::milli>(frame_times.back() - turn).count());
    return true;
  };
  frames0 = window.frames_drawn();
  cpu0 = thread_cpu_seconds();
  const auto session_start = Clock::now();
  int taps_done = 0;
  for (int t = 0; t < taps; ++t) {
    const auto model = flow.screen_model();
    const std::string id = model.choices.empty() ? std::string("nav.start-over") : model.choices.front().id;
    const ui::WidgetRecord* w = loop.last.find(id);
    if (!w) w = loop.last.find("nav.start-over");
    if (!w) break;
    const std::string command = "xdotool search --sync --name '^Helsenorge kiosk$' mousemove --window %1 " +
                                std::to_string(static_cast<int>(w->x + w->w / 2)) + " " +
                                std::to_string(static_cast<int>(w->y + w->h / 2)) + " click 1";
    // From launching xdotool (its own start-up included) to the first frame drawn with the tap's
    // input in it: that frame may be swapped before xdotool has even exited.
    const auto launched = Clock::now();
    std::optional<Clock::time_point> answered;
    const auto step_watching = [&] {
      if (timed_step() && !answered && window.had_input()) answered = frame_times.back();
    };
    auto tap = std::async(std::launch::async, [command] { return std::system(command.c_str()); });
    while (tap.wait_for(std::chrono::seconds(0)) != std::future_status::ready) step_watching();
    if (tap.get() != 0) break;
    ++taps_done;
    while (Clock::now() < launched + std::chrono::seconds(1)) step_watching();
    if (answered) latency_ms.push_back(std::chrono::duration<double, std::milli>(*answered - launched).count());
  }
  const double session_seconds = std::chrono::duration<double>(Clock::now() - session_start).count();
  const double session_frames_per_minute =
      static_cast<double>(window.frames_drawn() - frames0) * 60.0 / session_seconds;
  const double session_loop_percent = (thread_cpu_seconds() - cpu0) / session_seconds * 100.0;

  // (3) Yardstick: the loop before, a frame after frame at the start screen.
  flow.apply(flow::intent::StartOver{}, Clock::now());
  frames0 = window.frames_drawn();
  cpu0 = thread_cpu_seconds();
  const auto yard_start = Clock::now();
  while (Clock::now() < yard_start + std::chrono::seconds(10)) loop.frame(Clock::now());
  const double yard_seconds = std::chrono::duration<double>(Clock::now() - yard_start).count();
  const double yard_frames_per_minute = static_cast<double>(window.frames_drawn() - frames0) * 60.0 / yard_seconds;
  const double yard_percent = (thread_cpu_seconds() - cpu0) / yard_seconds * 100.0;

  if (idle.empty()) {
    std::printf("kiosk program idle: not measured\n");
  } else {
    const auto s = spread(idle);
    std::printf("kiosk program idle at the start screen, CPU of the process over %d s (%zu starts):", seconds,
                idle.size());
    for (double p : idle) std::printf(" %.3f", p);
    std::printf(" %% of one core; median %.3f, min %.3f, max %.3f (target <= 1)\n", s.median, s.min, s.max);
  }
  std::printf("this process, the kiosk's loop at the start screen: %.1f frames/minute, UI thread %.3f %% of a core\n",
              idle_frames_per_minute, idle_loop_percent);
  std::printf("during a session (%d taps, one a second, xdotool): %.0f frames/minute, UI thread %.1f %% of a core\n",
              taps_done, session_frames_per_minute, session_loop_percent);
  if (!draw_ms.empty())
    std::printf(
        "frame time during the session (a turn that drew: build, draw, swap), %zu frames: median %.1f ms, "
        "p95 %.1f ms, max %.1f ms\n",
        draw_ms.size(), percentile(draw_ms, 0.5), percentile(draw_ms, 0.95), percentile(draw_ms, 1.0));
  if (!latency_ms.empty()) {
    std::printf(
        "tap (xdotool launched) to the first frame swapped with its input, %zu taps: median %.1f ms, p95 %.1f ms, max "
        "%.1f ms\n",
        latency_ms.size(), percentile(latency_ms, 0.5), percentile(latency_ms, 0.95), percentile(latency_ms, 1.0));
    if (!draw_ms.empty()) {
      // Target: p95 <= one display refresh (60 Hz) plus the draw time (p95 of the same run).
      const double budget = 1000.0 / 60.0 + percentile(draw_ms, 0.95);
      std::printf("  target p95 <= one refresh (16.7 ms) + frame time p95 = %.1f ms: %s\n", budget,
                  percentile(latency_ms, 0.95) <= budget ? "met" : "NOT met");
    }
  }
  std::printf(
      "yardstick, the loop before (a frame after frame, 10 s): %.0f frames/minute, UI thread %.1f %% of a core\n",
      yard_frames_per_minute, yard_percent);
  std::error_code ec;
  fs::remove_all(tmp, ec);
  return 0;
}
