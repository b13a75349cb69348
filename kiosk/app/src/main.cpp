// kiosk: the touch UI. Full-screen under cage in production; --windowed on a desktop.
#include <filesystem>
#include <iostream>

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
    kiosk::Config config;
    std::error_code ec;
    if (!config_file.empty())
      config = kiosk::Config::load(config_file);
    else if (std::filesystem::exists(kiosk::Config::default_path(), ec))
      config = kiosk::Config::load(kiosk::Config::default_path());
    for (const auto& w : config.warnings()) std::cerr << "kiosk: " << w << "\n";
    const auto assets = forms::assets_dir();
    const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
    const auto translations = forms::Translations::load_directory(assets / "i18n");
    const auto rules = forms::RepresentationRules::load(assets / "representation.json");

    auto wired = kiosk::app::make_services(config, catalogue, translations);
    for (const auto& line : wired.report) std::cerr << "kiosk: " << line << "\n";
    auto speaker = std::make_shared<kiosk::app::EspeakSpeaker>();
    if (!speaker->has_audio_device()) std::cerr << "kiosk: no audio device; read aloud is silent\n";
    wired.services.speaker = speaker;
    // Logged without personal data (help codes, screen names, staff actions).
    wired.services.log = [](const std::string& line) { std::cerr << "kiosk: " << line << "\n"; };

    const bool fullscreen = !windowed && config.get_bool("ui.fullscreen");
    kiosk::app::Window window(1920, 1080, fullscreen);
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
