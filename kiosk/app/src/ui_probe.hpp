#pragma once
// The widgets of the last frame drawn, written to a file for an end-to-end test that drives
// the real kiosk from outside with real pointer events (tests/e2e/installed-kiosk.sh).
// Only with KIOSK_UI_PROBE=FILE in the environment (never set by the units). It holds widget
// ids, roles and rectangles, never a widget's text: a text can be what the person typed.
#include <filesystem>
#include <optional>

#include "kiosk_ui/record.hpp"

namespace kiosk::app {

class UiProbe {
 public:
  // Empty when KIOSK_UI_PROBE is not set.
  static std::optional<UiProbe> from_environment();
  explicit UiProbe(std::filesystem::path file) : file_(std::move(file)) {}
  // Replaces the file (a new file renamed over it, so a reader never sees half of it).
  // Failures are reported once on stderr, never fatal: the kiosk goes on without the probe.
  void write(const ui::FrameRecord& frame);

 private:
  std::filesystem::path file_;
  unsigned long frame_ = 0;
  bool reported_ = false;
};

}  // namespace kiosk::app
