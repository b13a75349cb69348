#pragma once
#include <memory>
#include <string>

#include "kiosk_flow/flow.hpp"
#include "kiosk_ui/renderer.hpp"

struct ImGuiContext;

namespace kiosk::ui {

// Owns an ImGui context with the kiosk's fonts. Destroys it (and only it) on exit.
class ImGuiSession {
 public:
  // `build_atlas`: build the font atlas in memory and set a dummy texture id (no GPU).
  ImGuiSession(float width, float height, bool build_atlas);
  ~ImGuiSession();
  ImGuiSession(const ImGuiSession&) = delete;
  ImGuiSession& operator=(const ImGuiSession&) = delete;
  const Fonts& fonts() const { return fonts_; }
  ImGuiContext* context() const { return context_; }

 private:
  ImGuiContext* context_ = nullptr;
  Fonts fonts_;
};

// Runs the real screens with no window: frames are laid out and recorded but never
// drawn. Tests, `kioskctl a11y-report` and the demo's script use it to see each screen
// and to touch buttons as a person would (pointer down, then up on the same spot).
class HeadlessUi {
 public:
  explicit HeadlessUi(float width = kDesignWidth, float height = kDesignHeight);

  // One frame of the flow's current screen with no touch; the intents it produced are applied.
  FrameRecord look(flow::Flow& flow, flow::Clock::time_point now);
  // Touches the centre of the widget `id` on the current screen; false when there is none.
  bool touch(flow::Flow& flow, const std::string& id, flow::Clock::time_point now);
  // Touches a spot (design coordinates).
  void touch_at(flow::Flow& flow, float x, float y, flow::Clock::time_point now);
  const FrameRecord& last() const { return last_; }
  const Fonts& fonts() const { return session_.fonts(); }

 private:
  FrameOutput frame(flow::Flow& flow, float x, float y, bool down, flow::Clock::time_point now);
  ImGuiSession session_;
  FrameRecord last_;
};

}  // namespace kiosk::ui
