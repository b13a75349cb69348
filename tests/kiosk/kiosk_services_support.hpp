#pragma once
// Shared set-up for the kiosk tests that wire the real services (kiosk_app): a private temporary
// folder, a demo configuration whose broker is unreachable, and running frames until a condition.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <system_error>
#include <thread>

#include "config.hpp"
#include "kiosk_flow/flow.hpp"
#include "kiosk_ui/headless.hpp"

namespace kiosk_test {

struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& prefix) {
    std::string pattern = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    REQUIRE(mkdtemp(pattern.data()));
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// `kioskctl demo-env` in DIR/env with a broker nobody listens on (port 9), printing into
// DIR/printed, and a QR key of the test's own.
inline kiosk::Config demo_env(const std::filesystem::path& dir, const std::string& qr_key) {
  const std::string cmd = std::string(KIOSK_BINARY_DIR) + "/bin/kioskctl demo-env --out " + (dir / "env").string() +
                          " --broker amqp://127.0.0.1:9 > /dev/null";
  REQUIRE(std::system(cmd.c_str()) == 0);
  auto config = kiosk::Config::load(dir / "env" / "kiosk.toml");
  config.set("ui.print_to_folder", (dir / "printed").string());
  std::filesystem::create_directories(dir / "printed");
  std::ofstream(dir / "qr.key", std::ios::binary) << qr_key;
  config.set("print.mac_key_file", (dir / "qr.key").string());
  return config;
}

// Runs frames (ticks) until `done` or 60 s.
template <typename Done>
bool frames_until(kiosk::flow::Flow& f, kiosk::ui::HeadlessUi& ui, Done done) {
  using namespace std::chrono_literals;
  for (int i = 0; i < 3000; ++i) {
    ui.look(f, kiosk::flow::Clock::now());
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

}  // namespace kiosk_test
