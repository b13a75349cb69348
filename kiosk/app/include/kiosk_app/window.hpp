#pragma once
#include <algorithm>
#include <chrono>
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

// What woke the window up (Window::wait).
struct Events {
  bool input = false;   // a touch, pointer movement or key
  bool window = false;  // the window was exposed, resized, focused or (un)minimised
  bool woken = false;   // a worker's result is ready (flow::wake_ui)
  bool any() const { return input || window || woken; }
};

// The kiosk's window: GLFW + OpenGL 3 + Dear ImGui. Throws std::runtime_error with a
// plain message when there is no display or no OpenGL 3. While it is open, flow::wake_ui()
// (a worker's result is ready) wakes a wait() at once.
class Window {
 public:
  Window(int width, int height, bool fullscreen);
  ~Window();
  Window(const Window&) = delete;
  Window& operator=(const Window&) = delete;

  // Closed by the person (a desktop window) or the display was lost.
  bool should_close() const;
  // The display connection is gone (the compositor or X server stopped): the kiosk ends, and
  // its service starts it again on the start screen.
  bool display_lost() const;
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
  // Sleeps until input, a window change or a worker's wake-up arrives, for at most `timeout`
  // (zero: only takes what is pending). Says what came since the last wait, also what
  // arrived while a frame was drawn.
  Events wait(std::chrono::duration<double> timeout);
  // Presses are hidden from the screens for `grace` and, when one is held then, until it is
  // released: the touch that wakes a resting screen (its pointer movement may come first,
  // the press a moment later) presses nothing.
  void swallow_presses(std::chrono::milliseconds grace);
  // Frames drawn (swapped) since the window opened.
  long frames_drawn() const { return frames_drawn_; }

  // GLFW callbacks (the window is their user pointer).
  void note_input() { input_ = true; }
  void note_window_change() { window_changed_ = true; }

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
  bool input_ = false, window_changed_ = false;  // since the last wait()
  bool swallowing_ = false, swallowed_held_ = false;
  std::chrono::steady_clock::time_point swallow_until_{};
  long frames_drawn_ = 0;
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

// How the kiosk's own loop paces its frames (PacedLoop).
struct Pacing {
  // ImGui takes a press in one frame and the release in the next: after input, this many
  // frames are drawn even if nothing seems to change.
  int settle_frames = 3;
  // While something moves (the busy indicator): at most one frame per interval; zero: none.
  std::chrono::milliseconds animation{50};
  // The longest sleep without any event: how often the loop looks at the stop flag and the
  // services even if no worker woke it.
  std::chrono::milliseconds longest_sleep{500};
  // On the start screen with nobody touching it: the screen rests (goes black) after this
  // long. Zero: never.
  std::chrono::seconds rest_after{0};
  // After the touch that wakes a resting screen, presses are ignored this long.
  std::chrono::milliseconds wake_grace{500};
};

// A page that never changes by itself (the out-of-order page): drawn when it appears, again
// when its content changes, and for a few frames after input or a window change; otherwise
// the loop sleeps (an out-of-order kiosk may wait a whole weekend for the admin).
class StillPage {
 public:
  explicit StillPage(Window& window, int settle_frames = 3,
                     std::chrono::milliseconds longest_sleep = std::chrono::milliseconds(500))
      : window_(window), settle_frames_(settle_frames), longest_sleep_(longest_sleep) {}
  // One turn: waits for an event (at most the longest sleep), draws if needed. True when drawn.
  bool step(const std::function<ui::FrameOutput(const ui::Fonts&)>& draw);
  // What the page shows changed: it is drawn again (ImGui lays a new page out over two frames).
  void changed() { settle_left_ = std::max(settle_left_, 2); }

 private:
  Window& window_;
  int settle_frames_;
  std::chrono::milliseconds longest_sleep_;
  int settle_left_ = 2;  // the first turns draw
};

// The kiosk's main loop: sleeps until something can change the screen (input, a window
// change, a worker's result, the inactivity timer, an animation frame, the screen's rest) and
// draws a frame only when the screen would look different, and a few after input. A screen
// at rest is black (no personal data: it rests only from the start screen), and the touch
// that wakes it presses nothing.
class PacedLoop {
 public:
  PacedLoop(FrameLoop& loop, Pacing pacing) : loop_(loop), pacing_(pacing) {}
  // One turn: waits, ticks the flow, draws if needed. True when a frame was drawn.
  bool step();
  bool resting() const { return resting_; }

 private:
  FrameLoop& loop_;
  Pacing pacing_;
  int settle_left_ = 1;    // the first turn draws
  std::size_t shown_ = 0;  // signature of the screen model last drawn
  bool animating_ = false, resting_ = false;
  flow::Clock::time_point last_drawn_{}, last_input_ = flow::Clock::now();
};

// A cheap fingerprint of what a screen model shows: a different value means a new frame.
std::size_t model_signature(const flow::ScreenModel& model);

bool write_png(const std::filesystem::path& file, const std::vector<std::uint8_t>& rgb, int width, int height);

}  // namespace kiosk::app
