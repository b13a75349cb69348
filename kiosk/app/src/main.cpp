// kiosk: the touch UI. Full-screen under cage in production; --windowed on a desktop.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <SDL.h>

#include "admin/config_file.hpp"
#include "admin/setup.hpp"
#include "kiosk_ui/admin_setup_screen.hpp"
#include "admin/start_gate.hpp"
#include "config.hpp"
#include "store_key.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_app/memory.hpp"
#include "kiosk_app/session_bus.hpp"
#include "kiosk_app/read_aloud.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_app/window.hpp"
#include "ui_probe.hpp"

using namespace std::chrono_literals;

namespace {

volatile std::sig_atomic_t g_stop_requested = 0;

void request_stop(int) {
  g_stop_requested = 1;
}

int usage() {
  std::cerr << "Usage: kiosk [--windowed] [--config FILE]\n";
  return 2;
}

// The forms, UI texts and representation rules; the services keep references to them, so
// they live at one address for the whole run.
struct Assets {
  forms::Catalogue catalogue;
  forms::Translations translations;
  forms::RepresentationRules rules;
};

std::unique_ptr<Assets> load_assets() {
  const auto dir = forms::assets_dir();
  return std::make_unique<Assets>(Assets{forms::Catalogue::load_directory(dir / "forms"),
                                         forms::Translations::load_directory(dir / "i18n"),
                                         forms::RepresentationRules::load(dir / "representation.json")});
}

// The printer, scanner, outbox and read-aloud, made from the configuration.
struct Started {
  kiosk::app::WiredServices wired;
  std::shared_ptr<kiosk::app::EspeakSpeaker> speaker;
};

Started start_services(const kiosk::Config& loaded, const Assets& assets) {
  // The store key from the unit's credential when systemd loaded one (a copy: the on-screen
  // setup writes `loaded` back, never a credential path).
  kiosk::Config config = loaded;
  try {
    std::cerr << "kiosk: store key: " << kiosk::use_store_key(config).describe() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "kiosk: store key: " << e.what() << "\n";  // the outbox then says it cannot open the store
  }
  Started started{kiosk::app::make_services(config, assets.catalogue, assets.translations),
                  std::make_shared<kiosk::app::EspeakSpeaker>()};
  started.wired.services.speaker = started.speaker;
  return started;
}

// What the kiosk needs besides the window; `started` is empty when the first-run setup
// has to run first (the services are made from the configuration it writes).
struct Prepared {
  std::unique_ptr<Assets> assets;
  std::optional<Started> started;
};

double process_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double resident_mb() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  const auto main_start = std::chrono::steady_clock::now();
  kiosk::app::limit_heap_retention();  // before any thread starts
  kiosk::app::avoid_session_bus_autolaunch();
  bool windowed = false;
  std::filesystem::path config_file;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--windowed")
      windowed = true;
    else if (a == "--config" && i + 1 < argc)
      config_file = argv[++i];
    else
      return usage();
  }
  // systemd (and the benchmark) stop the kiosk with SIGTERM: leave the frame loop so the
  // services close cleanly (scanned pages removed, store closed). SDL would otherwise take
  // the signal for a "quit" event that nobody reads, and the kiosk would not stop.
  SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);
  try {
    // A missing or broken file is not fatal, but only a new kiosk (or an admin with the screen
    // code from `kioskctl setup --screen-code`) gets the first-run setup; a kiosk in use that
    // needs the admin shows "out of order" (start_gate.hpp, issue 15).
    const auto setup_file = config_file.empty() ? kiosk::Config::default_path() : config_file;
    const auto read = kiosk::admin::load_config_file(setup_file);
    if (read.exists && !read.valid()) std::cerr << "kiosk: " << read.error << "\n";
    kiosk::Config config = read.config.value_or(kiosk::Config());
    for (const auto& w : config.warnings()) std::cerr << "kiosk: " << w << "\n";
    const bool needs_setup = kiosk::admin::decide_start(setup_file).mode != kiosk::admin::StartMode::Ready;

    // Cold start: opening the window and OpenGL is the longest part (on llvmpipe: loading
    // the driver and LLVM), so the forms, texts and services are made on another thread
    // meanwhile (and the window rasterises its fonts on a third).
    auto preparing = std::async(std::launch::async, [&config, needs_setup] {
      Prepared prepared{load_assets(), std::nullopt};
      if (!needs_setup) prepared.started = start_services(config, *prepared.assets);
      return prepared;
    });
    const bool fullscreen = !windowed && config.get_bool("ui.fullscreen");
    kiosk::app::Window window(1920, 1080, fullscreen);
    Prepared prepared = preparing.get();
    const Assets& assets = *prepared.assets;
    std::vector<std::string> logged_reasons;
    kiosk::app::StillPage out_of_order(window);
    std::string out_of_order_phone;
    while (!prepared.started) {
      using kiosk::admin::StartMode;
      const auto decision = kiosk::admin::decide_start(setup_file);
      if (decision.reasons != logged_reasons)
        for (const auto& reason : decision.reasons) std::cerr << "kiosk: needs the admin: " << reason << "\n";
      logged_reasons = decision.reasons;
      if (decision.mode == StartMode::Ready) {
        config = kiosk::Config::load(setup_file);
        prepared.started = start_services(config, assets);
      } else if (decision.mode == StartMode::OutOfOrder) {
        // Looked at again every few seconds: a repaired file, or a screen code the admin made
        // over ssh, takes effect without a restart.
        if (decision.help_phone != out_of_order_phone) out_of_order.changed();
        out_of_order_phone = decision.help_phone;
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(3);
        while (std::chrono::steady_clock::now() < until) {
          if (window.should_close() || g_stop_requested) return window.display_lost() ? 3 : 0;
          out_of_order.step([&](const kiosk::ui::Fonts& f) {
            return kiosk::ui::draw_out_of_order(f, decision.help_phone, assets.translations);
          });
        }
      } else {
        kiosk::admin::SetupSession setup(setup_file, kiosk::admin::SetupDevices::real(),
                                         decision.mode == StartMode::SetupWithCode);
        // Drawn after input, a worker's wake-up or a window change, and while a search runs.
        int settle = 3;
        bool was_busy = false;
        while (!setup.finished()) {
          if (window.should_close() || g_stop_requested) return window.display_lost() ? 3 : 0;
          const auto events = window.wait(settle > 0 ? 0ms : was_busy ? 50ms : 500ms);
          if (events.any()) settle = std::max(settle, 3);
          setup.tick();
          const bool busy = setup.view().busy;
          if (busy != was_busy) settle = std::max(settle, 2);
          was_busy = busy;
          if (settle == 0 && !busy) continue;
          settle = std::max(0, settle - 1);
          std::vector<kiosk::admin::SetupIntent> touched;
          window.frame([&](const kiosk::ui::Fonts& f) {
            return kiosk::ui::draw_admin_setup(f, setup.view(), assets.translations, touched);
          });
          for (const auto& intent : touched) setup.apply(intent);
        }
      }
    }
    auto& wired = prepared.started->wired;
    for (const auto& line : wired.report) std::cerr << "kiosk: " << line << "\n";
    if (!prepared.started->speaker->has_audio_device())
      std::cerr << "kiosk: read aloud is silent (" << prepared.started->speaker->audio_problem() << ")\n";
    // Logged without personal data (help codes, screen names, staff actions).
    wired.services.log = [](const std::string& line) { std::cerr << "kiosk: " << line << "\n"; };

    kiosk::flow::Flow flow(assets.catalogue, assets.translations, assets.rules,
                           kiosk::flow::FlowOptions::from_config(config), wired.services, kiosk::flow::Clock::now());
    kiosk::app::FrameLoop loop{window, flow, {}};
    kiosk::app::Pacing pacing;
    pacing.rest_after = std::chrono::seconds(config.get_int("ui.rest_after_seconds"));
    kiosk::app::PacedLoop paced(loop, pacing);
    paced.step();
    // For the operator and the benchmark (bench/ui): how long the start screen took.
    char line[160];
    std::snprintf(line, sizeof line, "kiosk: first frame after %.0f ms (%.0f ms CPU), %.1f MB resident\n",
                  std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - main_start).count(),
                  process_cpu_ms(), resident_mb());
    std::cerr << line << std::flush;
    // Frames only when the screen changes: an idle kiosk sleeps (BENCHMARKS.md, idle CPU).
    auto probe = kiosk::app::UiProbe::from_environment();
    if (probe) probe->write(loop.last);
    while (!window.should_close() && !g_stop_requested)
      if (paced.step() && probe) probe->write(loop.last);
    if (window.display_lost()) {
      // The services close as main() returns (scanned pages removed, store closed); the unit
      // restarts the kiosk, which opens on the start screen with nothing of this session.
      std::cerr << "kiosk: the display was lost; stopping so the kiosk starts again on the start screen\n";
      return 3;
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "kiosk: " << e.what() << "\n";
    return 1;
  }
}
