#include "ui_probe.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <system_error>

#include <nlohmann/json.hpp>

namespace kiosk::app {

std::optional<UiProbe> UiProbe::from_environment() {
  const char* file = std::getenv("KIOSK_UI_PROBE");
  if (!file || !*file) return std::nullopt;
  return UiProbe(file);
}

void UiProbe::write(const ui::FrameRecord& frame) {
  nlohmann::json widgets = nlohmann::json::array();
  for (const auto& w : frame.widgets) {
    if (w.id.empty()) continue;
    widgets.push_back({{"id", w.id}, {"role", ui::to_string(w.role)}, {"x", w.x}, {"y", w.y}, {"w", w.w}, {"h", w.h}});
  }
  const nlohmann::json out{
      {"frame", ++frame_}, {"screen", frame.screen}, {"language", frame.language}, {"widgets", widgets}};
  auto temporary = file_;
  temporary += ".new";
  std::error_code ec;
  {
    std::ofstream file(temporary, std::ios::trunc);
    file << out.dump() << "\n";
    if (!file) ec = std::make_error_code(std::errc::io_error);
  }
  if (!ec) std::filesystem::rename(temporary, file_, ec);
  if (ec && !reported_) {
    std::cerr << "kiosk: cannot write the UI probe file " << file_ << ": " << ec.message() << "\n";
    reported_ = true;
  }
}

}  // namespace kiosk::app
