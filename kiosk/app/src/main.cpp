// kiosk: the touch UI. Full-screen under cage in production; --windowed on a desktop.
#include <filesystem>
#include <iostream>

#include "admin/config_file.hpp"
#include "admin/setup.hpp"
#include "admin/setup_screen.hpp"
#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_app/read_aloud.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_app/window.hpp"

namespace {

int usage() {
  std::cerr << "Usage: kiosk [--windowed] [--config FILE]\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
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
  try {
    // A missing or broken file is not fatal: the first-run admin setup below replaces it.
    const auto setup_file = config_file.empty() ? kiosk::Config::default_path() : config_file;
    const auto read = kiosk::admin::load_config_file(setup_file);
    if (read.exists && !read.valid()) std::cerr << "kiosk: " << read.error << "\n";
    kiosk::Config config = read.config.value_or(kiosk::Config());
    for (const auto& w : config.warnings()) std::cerr << "kiosk: " << w << "\n";
    const auto assets = forms::assets_dir();
    const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
    const auto translations = forms::Translations::load_directory(assets / "i18n");
    const auto rules = forms::RepresentationRules::load(assets / "representation.json");

    const bool fullscreen = !windowed && config.get_bool("ui.fullscreen");
    kiosk::app::Window window(1920, 1080, fullscreen);
    // No usable configuration yet: the admin sets the kiosk up first (ADMIN.md, issue 7).
    if (!kiosk::admin::first_run_needs(setup_file).empty()) {
      kiosk::admin::SetupSession setup(setup_file);
      while (!setup.finished()) {
        if (window.should_close()) return 0;
        setup.tick();
        std::vector<kiosk::admin::SetupIntent> touched;
        window.frame([&](const kiosk::ui::Fonts& f) {
          return kiosk::ui::draw_admin_setup(f, setup.view(), translations, touched);
        });
        for (const auto& intent : touched) setup.apply(intent);
      }
      config = kiosk::Config::load(setup_file);
    }
    auto wired = kiosk::app::make_services(config, catalogue, translations);
    for (const auto& line : wired.report) std::cerr << "kiosk: " << line << "\n";
    auto speaker = std::make_shared<kiosk::app::EspeakSpeaker>();
    if (!speaker->has_audio_device()) std::cerr << "kiosk: no audio device; read aloud is silent\n";
    wired.services.speaker = speaker;
    // Logged without personal data (help codes, screen names, staff actions).
    wired.services.log = [](const std::string& line) { std::cerr << "kiosk: " << line << "\n"; };

    kiosk::flow::Flow flow(catalogue, translations, rules, kiosk::flow::FlowOptions::from_config(config),
                           wired.services, kiosk::flow::Clock::now());
    kiosk::app::FrameLoop loop{window, flow, {}};
    while (!window.should_close()) loop.frame(kiosk::flow::Clock::now());
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "kiosk: " << e.what() << "\n";
    return 1;
  }
}
