#include "kiosk_app/window.hpp"

#include <algorithm>
#include <atomic>
#include <cfloat>
#include <chrono>
#include <cstdlib>
#include <future>
#include <stdexcept>
#include <thread>

#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#include <GL/gl.h>
#include <imgui.h>
#include <backends/imgui_impl_glfw.h>
#include <backends/imgui_impl_opengl3.h>
#include <stb_image_write.h>

#include "display_loss.hpp"
#include "kiosk_flow/wake.hpp"

namespace kiosk::app {

namespace {

// Set by a worker's wake-up (any thread), read by Window::wait on the UI thread.
std::atomic<bool> g_woken{false};

void post_wake() {
  g_woken.store(true);
  glfwPostEmptyEvent();
}

Window* owner(GLFWwindow* w) {
  return static_cast<Window*>(glfwGetWindowUserPointer(w));
}

// Our callbacks only note that something arrived; ImGui's backend (installed after them)
// calls them in turn and takes the input itself.
void install_event_callbacks(GLFWwindow* w) {
  glfwSetCursorPosCallback(w, [](GLFWwindow* win, double, double) { owner(win)->note_input(); });
  glfwSetMouseButtonCallback(w, [](GLFWwindow* win, int, int, int) { owner(win)->note_input(); });
  glfwSetScrollCallback(w, [](GLFWwindow* win, double, double) { owner(win)->note_input(); });
  glfwSetKeyCallback(w, [](GLFWwindow* win, int, int, int, int) { owner(win)->note_input(); });
  glfwSetCharCallback(w, [](GLFWwindow* win, unsigned int) { owner(win)->note_input(); });
  glfwSetWindowRefreshCallback(w, [](GLFWwindow* win) { owner(win)->note_window_change(); });
  glfwSetFramebufferSizeCallback(w, [](GLFWwindow* win, int, int) { owner(win)->note_window_change(); });
  glfwSetWindowFocusCallback(w, [](GLFWwindow* win, int) { owner(win)->note_window_change(); });
  glfwSetWindowIconifyCallback(w, [](GLFWwindow* win, int) { owner(win)->note_window_change(); });
}

template <typename T>
void mix(std::size_t& seed, const T& value) {
  seed ^= std::hash<T>{}(value) + 0x9e3779b97f4a7c15ULL + (seed << 6) + (seed >> 2);
}

}  // namespace

Window::Window(int width, int height, bool fullscreen) {
  // Most of a cold start on Mesa's llvmpipe is opening the window and its OpenGL context
  // (loading the driver and LLVM); the font atlas is rasterised meanwhile on another thread.
  // Nothing below touches ImGui until the atlas is done (see ui::build_font_atlas).
  auto fonts = std::async(std::launch::async, ui::build_font_atlas);
  try {
    open(width, height, fullscreen, fonts);
  } catch (...) {
    close();
    throw;  // `fonts` waits for its thread first
  }
}

void Window::open(int width, int height, bool fullscreen, std::future<ui::BuiltFonts>& fonts) {
  // A display that was just closed by the previous window (tests open several in a row
  // on one Xvfb) can refuse a new connection for a moment: try a few times.
  bool started = glfwInit() == GLFW_TRUE;
  for (int attempt = 0; attempt < 5 && !started && std::getenv("DISPLAY"); ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    started = glfwInit() == GLFW_TRUE;
  }
  if (!started) throw std::runtime_error("No screen found (GLFW could not start). Is DISPLAY set?");
  glfw_ready_ = true;
  watch_display_loss();
  glfwWindowHint(GLFW_CONTEXT_VERSION_MAJOR, 3);
  glfwWindowHint(GLFW_CONTEXT_VERSION_MINOR, 0);
  glfwWindowHint(GLFW_RESIZABLE, GLFW_FALSE);
  GLFWmonitor* monitor = fullscreen ? glfwGetPrimaryMonitor() : nullptr;
  if (monitor) {
    const GLFWvidmode* mode = glfwGetVideoMode(monitor);
    if (mode) {
      width = mode->width;
      height = mode->height;
    }
  }
  window_ = glfwCreateWindow(width, height, "Helsenorge kiosk", monitor, nullptr);
  if (!window_) throw std::runtime_error("The kiosk window could not open (OpenGL 3 is missing?)");
  glfwMakeContextCurrent(window_);
  glfwSwapInterval(1);
  glfwSetWindowUserPointer(window_, this);
  install_event_callbacks(window_);
  flow::set_wake_hook(post_wake);
  auto built = fonts.get();
  font_atlas_ = std::move(built.atlas);
  fonts_ = built.fonts;
  context_ = ImGui::CreateContext(font_atlas_.get());
  ImGui::SetCurrentContext(context_);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;
  io.LogFilename = nullptr;
  imgui_glfw_ready_ = ImGui_ImplGlfw_InitForOpenGL(window_, true);
  imgui_gl_ready_ = ImGui_ImplOpenGL3_Init("#version 130");
  if (!imgui_glfw_ready_ || !imgui_gl_ready_) throw std::runtime_error("The kiosk could not start its drawing code");
  upload_font_texture();
  // The atlas is in the texture now; ImGui's CPU copies of it are not needed any more.
  font_atlas_->ClearTexData();
}

void Window::upload_font_texture() {
  // ImGui's OpenGL backend would expand the 8-bit atlas to RGBA on this thread and upload
  // four bytes a pixel. With texture swizzling (OpenGL 3.3) one red channel read as
  // (1, 1, 1, coverage) draws the same pixels from a quarter of the memory. The backend
  // makes its shaders here with a 1x1 placeholder atlas, whose texture is then replaced.
  GLint major = 0, minor = 0;
  glGetIntegerv(GL_MAJOR_VERSION, &major);
  glGetIntegerv(GL_MINOR_VERSION, &minor);
  ImGuiIO& io = ImGui::GetIO();
  if (major * 10 + minor < 33) {
    if (!ImGui_ImplOpenGL3_CreateDeviceObjects())
      throw std::runtime_error("The kiosk could not start its drawing code");
    return;
  }
  {
    ImFontAtlas placeholder;
    placeholder.TexPixelsRGBA32 = static_cast<unsigned int*>(ImGui::MemAlloc(sizeof(unsigned int)));
    *placeholder.TexPixelsRGBA32 = 0xFFFFFFFFu;
    placeholder.TexWidth = placeholder.TexHeight = 1;
    io.Fonts = &placeholder;
    const bool made = ImGui_ImplOpenGL3_CreateDeviceObjects();
    ImGui_ImplOpenGL3_DestroyFontsTexture();
    io.Fonts = font_atlas_.get();
    if (!made) throw std::runtime_error("The kiosk could not start its drawing code");
  }
  unsigned char* coverage = nullptr;
  int width = 0, height = 0;
  font_atlas_->GetTexDataAsAlpha8(&coverage, &width, &height);
  GLint last_texture = 0;
  glGetIntegerv(GL_TEXTURE_BINDING_2D, &last_texture);
  glGenTextures(1, &font_texture_);
  glBindTexture(GL_TEXTURE_2D, font_texture_);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MIN_FILTER, GL_LINEAR);
  glTexParameteri(GL_TEXTURE_2D, GL_TEXTURE_MAG_FILTER, GL_LINEAR);
  const GLint swizzle[] = {GL_ONE, GL_ONE, GL_ONE, GL_RED};
  glTexParameteriv(GL_TEXTURE_2D, GL_TEXTURE_SWIZZLE_RGBA, swizzle);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 1);
  glTexImage2D(GL_TEXTURE_2D, 0, GL_R8, width, height, 0, GL_RED, GL_UNSIGNED_BYTE, coverage);
  glPixelStorei(GL_UNPACK_ALIGNMENT, 4);
  glBindTexture(GL_TEXTURE_2D, static_cast<GLuint>(last_texture));
  io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(font_texture_)));
}

void Window::close() noexcept {
  // First: a worker must not post to a display that is about to close.
  flow::set_wake_hook(nullptr);
  if (display_lost()) {
    // Nothing of the window can be closed on a dead connection; the process is ending.
    context_ = nullptr;
    window_ = nullptr;
    glfw_ready_ = imgui_glfw_ready_ = imgui_gl_ready_ = false;
    static_cast<void>(font_atlas_.release());  // still referenced by the ImGui context, which is left as it is
    return;
  }
  if (context_) ImGui::SetCurrentContext(context_);
  if (font_texture_) {
    glfwMakeContextCurrent(window_);
    glDeleteTextures(1, &font_texture_);
    font_texture_ = 0;
  }
  if (imgui_gl_ready_) ImGui_ImplOpenGL3_Shutdown();
  if (imgui_glfw_ready_) ImGui_ImplGlfw_Shutdown();
  if (context_) ImGui::DestroyContext(context_);
  context_ = nullptr;
  imgui_gl_ready_ = imgui_glfw_ready_ = false;
  font_atlas_.reset();
  if (window_) glfwDestroyWindow(window_);
  window_ = nullptr;
  if (glfw_ready_) glfwTerminate();
  glfw_ready_ = false;
}

Window::~Window() {
  close();
}

bool Window::should_close() const {
  return display_lost() || glfwWindowShouldClose(window_) != 0;
}

bool Window::display_lost() const {
  return app::display_lost();
}

ui::FrameOutput Window::frame(const flow::ScreenModel& model, std::optional<Touch> touch, bool capture) {
  return frame([&model](const ui::Fonts& fonts) { return ui::draw_frame(fonts, model); }, touch, capture);
}

ui::FrameOutput Window::frame(const std::function<ui::FrameOutput(const ui::Fonts&)>& draw, std::optional<Touch> touch,
                              bool capture) {
  ImGui::SetCurrentContext(context_);
  glfwPollEvents();
  ImGui_ImplOpenGL3_NewFrame();
  ImGui_ImplGlfw_NewFrame();
  ImGuiIO& io = ImGui::GetIO();
  if (touch) {
    const float scale = std::min(io.DisplaySize.x / ui::kDesignWidth, io.DisplaySize.y / ui::kDesignHeight);
    io.MousePos = ImVec2((io.DisplaySize.x - ui::kDesignWidth * scale) * 0.5f + touch->x * scale,
                         (io.DisplaySize.y - ui::kDesignHeight * scale) * 0.5f + touch->y * scale);
    io.MouseDown[0] = touch->down;
  }
  if (swallowing_) {
    // In the grace time, and for a press that began in it until its release, the screens see
    // no pointer at all. A press that begins later is an ordinary one.
    const bool held = std::any_of(std::begin(io.MouseDown), std::end(io.MouseDown), [](bool d) { return d; });
    const bool in_grace = std::chrono::steady_clock::now() < swallow_until_;
    if (in_grace || swallowed_held_) {
      std::fill(std::begin(io.MouseDown), std::end(io.MouseDown), false);
      io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
    }
    swallowed_held_ = held && (in_grace || swallowed_held_);
    swallowing_ = in_grace || swallowed_held_;
  }
  had_input_ = io.MouseDown[0] || io.MouseDelta.x != 0 || io.MouseDelta.y != 0;
  ImGui::NewFrame();
  ui::FrameOutput out = draw(fonts_);
  ImGui::Render();
  int w = 0, h = 0;
  glfwGetFramebufferSize(window_, &w, &h);
  glViewport(0, 0, w, h);
  glClearColor(0, 0, 0, 1);
  glClear(GL_COLOR_BUFFER_BIT);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
  if (capture) {
    // Read the back buffer before swapping: that is exactly this frame.
    std::vector<std::uint8_t> rgb(static_cast<size_t>(w) * static_cast<size_t>(h) * 3);
    glReadBuffer(GL_BACK);
    glPixelStorei(GL_PACK_ALIGNMENT, 1);
    glReadPixels(0, 0, w, h, GL_RGB, GL_UNSIGNED_BYTE, rgb.data());
    // OpenGL's rows start at the bottom.
    const size_t row = static_cast<size_t>(w) * 3;
    pixels_.resize(rgb.size());
    for (int y = 0; y < h; ++y)
      std::copy_n(rgb.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(h - 1 - y) * row), row,
                  pixels_.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(y) * row));
    pixels_width_ = w;
    pixels_height_ = h;
  }
  glfwSwapBuffers(window_);
  ++frames_drawn_;
  return out;
}

void Window::swallow_presses(std::chrono::milliseconds grace) {
  swallowing_ = true;
  swallowed_held_ = false;
  swallow_until_ = std::chrono::steady_clock::now() + grace;
}

Events Window::wait(std::chrono::duration<double> timeout) {
  ImGui::SetCurrentContext(context_);
  // Something that came while the last frame was drawn is handled without sleeping.
  if (timeout.count() <= 0 || input_ || window_changed_ || g_woken.load())
    glfwPollEvents();
  else
    glfwWaitEventsTimeout(timeout.count());
  Events events{input_, window_changed_, g_woken.exchange(false)};
  input_ = window_changed_ = false;
  return events;
}

const std::vector<std::uint8_t>& Window::pixels(int& width, int& height) const {
  width = pixels_width_;
  height = pixels_height_;
  return pixels_;
}

bool write_png(const std::filesystem::path& file, const std::vector<std::uint8_t>& rgb, int width, int height) {
  return stbi_write_png(file.string().c_str(), width, height, 3, rgb.data(), width * 3) != 0;
}

bool Window::save_png(const std::filesystem::path& file) const {
  if (pixels_.empty()) return false;
  return write_png(file, pixels_, pixels_width_, pixels_height_);
}

void FrameLoop::frame(flow::Clock::time_point now, std::optional<Touch> touch, bool capture) {
  const int wipes = flow.wipe_count();
  flow.tick(now);
  auto out = window.frame(flow.screen_model(), touch, capture);
  if (window.had_input()) flow.note_activity(now);
  for (const auto& intent : out.intents) flow.apply(intent, now);
  // After a wipe, also the stack frames the wipe and the session's last calls ran in.
  if (flow.wipe_count() != wipes) flow::scrub_stack();
  last = std::move(out.record);
}

bool FrameLoop::touch(const std::string& id, flow::Clock::time_point now) {
  frame(now, Touch{-100, -100, false});
  const ui::WidgetRecord* w = last.find(id);
  if (!w) return false;
  const float x = w->x + w->w / 2, y = w->y + w->h / 2;
  frame(now, Touch{x, y, false});
  frame(now, Touch{x, y, true});
  frame(now, Touch{x, y, false});
  frame(now, Touch{-100, -100, false});
  frame(now, Touch{-100, -100, false});
  return true;
}

std::size_t model_signature(const flow::ScreenModel& m) {
  std::size_t seed = static_cast<std::size_t>(m.screen);
  for (const auto* text : {&m.name, &m.title, &m.error, &m.language, &m.back, &m.read_aloud, &m.help, &m.start_over,
                           &m.contrast, &m.bigger_text, &m.staff, &m.warning_title, &m.warning_body, &m.still_here})
    mix(seed, *text);
  for (const auto& line : m.body) mix(seed, line.text);
  for (const auto* list : {&m.choices, &m.rows})
    for (const auto& c : *list) {
      mix(seed, c.id);
      mix(seed, c.label);
      mix(seed, c.explain);
      mix(seed, c.primary);
    }
  if (m.input) {
    mix(seed, m.input->shown);
    mix(seed, m.input->hint);
    mix(seed, static_cast<int>(m.input->keyboard));
  }
  if (m.crop) {
    mix(seed, m.crop->width);
    mix(seed, m.crop->height);
  }
  mix(seed, m.countdown_seconds.value_or(-1));
  mix(seed, static_cast<int>(m.picture));
  mix(seed, m.busy);
  mix(seed, m.high_contrast);
  mix(seed, m.large_text);
  return seed;
}

bool PacedLoop::step() {
  using namespace std::chrono;
  auto& flow = loop_.flow;
  auto& window = loop_.window;
  auto now = flow::Clock::now();
  const auto rests_here = [&] {
    return pacing_.rest_after.count() > 0 && flow.screen() == flow::Screen::Start && !flow.staff_unlocked() &&
           !flow.staff_checking();
  };
  // Sleep until the earliest moment something shows a change.
  auto until = now + pacing_.longest_sleep;
  if (settle_left_ > 0) {
    until = now;
  } else if (!resting_) {
    if (animating_ && pacing_.animation.count() > 0) until = std::min(until, last_drawn_ + pacing_.animation);
    if (const auto deadline = flow.next_deadline()) until = std::min(until, *deadline);
    if (rests_here()) until = std::min(until, last_input_ + pacing_.rest_after);
  }
  const Events events = window.wait(std::max(duration<double>(0), duration<double>(until - now)));
  if (window.display_lost()) return false;
  now = flow::Clock::now();
  if (events.input) {
    last_input_ = now;
    settle_left_ = std::max(settle_left_, pacing_.settle_frames);
    if (resting_) {
      resting_ = false;
      window.swallow_presses(pacing_.wake_grace);
      shown_ = 0;  // the start screen is drawn again
    }
  }
  if (events.window) settle_left_ = std::max(settle_left_, 1);
  if (!resting_ && rests_here() && now - last_input_ >= pacing_.rest_after) {
    resting_ = true;
    settle_left_ = std::max(settle_left_, 1);
  }
  if (resting_) {
    // Workers still report (a delivery in the background); the screen stays black.
    flow.tick(now);
    if (settle_left_ == 0) return false;
    --settle_left_;
    window.frame([](const ui::Fonts&) { return ui::FrameOutput{}; });
    last_drawn_ = now;
    return true;
  }
  flow.tick(now);
  const flow::ScreenModel model = flow.screen_model();
  const std::size_t signature = model_signature(model);
  const bool animation_due = animating_ && pacing_.animation.count() > 0 && now >= last_drawn_ + pacing_.animation;
  if (settle_left_ == 0 && signature == shown_ && !animation_due) return false;
  if (settle_left_ > 0) --settle_left_;
  if (signature != shown_) settle_left_ = std::max(settle_left_, 1);  // ImGui lays a new screen out over two frames
  shown_ = signature;
  animating_ = model.busy;
  loop_.frame(now);
  last_drawn_ = now;
  return true;
}

bool StillPage::step(const std::function<ui::FrameOutput(const ui::Fonts&)>& draw) {
  const Events events =
      window_.wait(settle_left_ > 0 ? std::chrono::duration<double>(0) : std::chrono::duration<double>(longest_sleep_));
  if (window_.display_lost()) return false;
  if (events.input) settle_left_ = std::max(settle_left_, settle_frames_);
  if (events.window) settle_left_ = std::max(settle_left_, 1);
  if (settle_left_ == 0) return false;
  --settle_left_;
  window_.frame(draw);
  return true;
}

}  // namespace kiosk::app
