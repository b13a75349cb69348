#pragma once
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <optional>
#include <string>
#include <vector>

#include "kiosk_flow/flow.hpp"
#include "kiosk_ui/headless.hpp"
#include "kiosk_ui/renderer.hpp"

struct GLFWwindow;

namespace kiosk::app {

// A simulated touch in design coordinates (the demo and screenshot tests use it).
struct Touch {
  float x = 0, y = 0;
  bool down = false;
};

// The kiosk's window: GLFW + OpenGL 3 + Dear ImGui. Throws std::runtime_error with a
// plain message when there is no display or no OpenGL 3.
class Window {
 public:
  Window(int width, int height, bool fullscreen);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  bool should_close() const;
  // One frame: events, layout, draw, swap. A touch, when given, replaces the pointer.
  // With `capture`, the frame's pixels are kept for save_png/pixels.
  ui::FrameOutput frame(const flow::ScreenModel& model, std::optional<Touch> touch = std::nullopt,
                        bool capture = false);
  // The same, drawn by `draw` instead of the citizen screens (the first-run admin setup).
  ui::FrameOutput frame(const std::function<ui::FrameOutput(const ui::Fonts&)>& draw,
                        std::optional<Touch> touch = std::nullopt, bool capture = false);
  // The last captured frame as tightly packed RGB rows, top row first.
  const std::vector<std::uint8_t>& pixels(int& width, int& height) const;
  bool save_png(const std::filesystem::path& file) const;
  // True when any pointer or key input arrived in the last frame.
  bool had_input() const { return had_input_; }

 private:
  void open(int width, int height, bool fullscreen, std::future<ui::BuiltFonts>& fonts);
  void upload_font_texture();
  void close() noexcept;

  GLFWwindow* window_ = nullptr;
  ui::FontAtlasPtr font_atlas_;    // shared with (outlives) the ImGui context
  unsigned int font_texture_ = 0;  // the atlas as an OpenGL texture, when not the backend's
  ImGuiContext* context_ = nullptr;
  ui::Fonts fonts_;
  bool had_input_ = false;
  std::vector<std::uint8_t> pixels_;
  int pixels_width_ = 0, pixels_height_ = 0;
  bool glfw_ready_ = false, imgui_glfw_ready_ = false, imgui_gl_ready_ = false;
};

// Runs frames of the flow in the window: applies intents, ticks the flow.
struct FrameLoop {
  Window& window;
  flow::Flow& flow;
  ui::FrameRecord last;
  void frame(flow::Clock::time_point now, std::optional<Touch> touch = std::nullopt, bool capture = false);
  // Touches the widget `id` on the current screen (down, up), then settles; false when absent.
  bool touch(const std::string& id, flow::Clock::time_point now);
};

bool write_png(const std::filesystem::path& file, const std::vector<std::uint8_t>& rgb, int width, int height);

}  // namespace kiosk::app
