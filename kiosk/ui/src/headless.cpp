#include <stdexcept>

#include <imgui.h>

#include "kiosk_ui/headless.hpp"

namespace kiosk::ui {

ImGuiSession::ImGuiSession(float width, float height, bool build_atlas) {
  IMGUI_CHECKVERSION();
  context_ = ImGui::CreateContext();
  ImGui::SetCurrentContext(context_);
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // nothing about a session is written to disk
  io.LogFilename = nullptr;
  io.DisplaySize = ImVec2(width, height);
  io.DeltaTime = 1.0f / 60.0f;
  try {
    fonts_ = load_fonts(*io.Fonts);
  } catch (...) {
    ImGui::DestroyContext(context_);
    throw;
  }
  if (build_atlas) {
    unsigned char* pixels = nullptr;
    int w = 0, h = 0;
    io.Fonts->GetTexDataAsRGBA32(&pixels, &w, &h);
    io.Fonts->SetTexID(reinterpret_cast<ImTextureID>(static_cast<intptr_t>(1)));
  }
}

ImGuiSession::~ImGuiSession() {
  if (context_) ImGui::DestroyContext(context_);
}

HeadlessUi::HeadlessUi(float width, float height) : session_(width, height, true) {}

FrameOutput HeadlessUi::frame(flow::Flow& flow, float x, float y, bool down, flow::Clock::time_point now) {
  ImGui::SetCurrentContext(session_.context());
  ImGuiIO& io = ImGui::GetIO();
  const float scale = std::min(io.DisplaySize.x / kDesignWidth, io.DisplaySize.y / kDesignHeight);
  io.MousePos = ImVec2((io.DisplaySize.x - kDesignWidth * scale) * 0.5f + x * scale,
                       (io.DisplaySize.y - kDesignHeight * scale) * 0.5f + y * scale);
  io.MouseDown[0] = down;
  io.DeltaTime = 1.0f / 60.0f;
  const int wipes = flow.wipe_count();
  flow.tick(now);
  ImGui::NewFrame();
  FrameOutput out = draw_frame(session_.fonts(), flow.screen_model());
  ImGui::Render();
  // As in the kiosk window: a touch counts as activity once the frame has seen it.
  if (down) flow.note_activity(now);
  for (const auto& intent : out.intents) flow.apply(intent, now);
  // After a wipe, also the stack frames the wipe and the session's last calls ran in.
  if (flow.wipe_count() != wipes) flow::scrub_stack();
  last_ = out.record;
  return out;
}

FrameRecord HeadlessUi::look(flow::Flow& flow, flow::Clock::time_point now) {
  frame(flow, -100, -100, false, now);
  // A second frame so the record shows the state after any intent of the first.
  frame(flow, -100, -100, false, now);
  return last_;
}

void HeadlessUi::touch_at(flow::Flow& flow, float x, float y, flow::Clock::time_point now) {
  frame(flow, x, y, false, now);
  frame(flow, x, y, true, now);
  frame(flow, x, y, false, now);
  frame(flow, -100, -100, false, now);
}

bool HeadlessUi::touch(flow::Flow& flow, const std::string& id, flow::Clock::time_point now) {
  frame(flow, -100, -100, false, now);
  const WidgetRecord* w = last_.find(id);
  if (!w) return false;
  touch_at(flow, w->x + w->w / 2, w->y + w->h / 2, now);
  return true;
}

}  // namespace kiosk::ui
