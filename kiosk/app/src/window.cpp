#include "kiosk_app/window.hpp"

#include <algorithm>
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

namespace kiosk::app {

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
  return glfwWindowShouldClose(window_) != 0;
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
  return out;
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

}  // namespace kiosk::app
