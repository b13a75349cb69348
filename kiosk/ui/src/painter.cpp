#include <algorithm>
#include <cfloat>
#include <cmath>

#include <imgui.h>

#include "kiosk_ui/renderer.hpp"

namespace kiosk::ui {

namespace {

ImU32 col(Rgb rgb, int alpha = 255) {
  return IM_COL32((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF, alpha);
}

// Design coordinates (1920x1080) to the real display, letterboxed.
struct Mapping {
  float scale = 1, ox = 0, oy = 0;
  static Mapping current() {
    const ImVec2 size = ImGui::GetIO().DisplaySize;
    Mapping m;
    m.scale = std::min(size.x / kDesignWidth, size.y / kDesignHeight);
    if (m.scale <= 0) m.scale = 1;
    m.ox = (size.x - kDesignWidth * m.scale) * 0.5f;
    m.oy = (size.y - kDesignHeight * m.scale) * 0.5f;
    return m;
  }
  ImVec2 at(float x, float y) const { return ImVec2(ox + x * scale, oy + y * scale); }
};

}  // namespace

std::string to_string(Role role) {
  switch (role) {
    case Role::Title:
      return "title";
    case Role::Body:
      return "body";
    case Role::Error:
      return "error";
    case Role::Fact:
      return "fact";
    case Role::Choice:
      return "choice";
    case Role::Row:
      return "row";
    case Role::Nav:
      return "nav";
    case Role::Key:
      return "key";
    case Role::Input:
      return "input";
    case Role::Staff:
      return "staff";
    case Role::Overlay:
      return "overlay";
    case Role::OverlayButton:
      return "overlay-button";
    case Role::Picture:
      return "picture";
  }
  return "unknown";
}

bool is_button(Role role) {
  return role == Role::Choice || role == Role::Row || role == Role::Nav || role == Role::Key || role == Role::Staff ||
         role == Role::OverlayButton;
}

const WidgetRecord* FrameRecord::find(const std::string& id) const {
  for (const auto& w : widgets)
    if (w.id == id) return &w;
  return nullptr;
}

std::vector<const WidgetRecord*> FrameRecord::with_role(Role role) const {
  std::vector<const WidgetRecord*> out;
  for (const auto& w : widgets)
    if (w.role == role) out.push_back(&w);
  return out;
}

std::string FrameRecord::all_text() const {
  std::string out;
  for (const auto& w : widgets) {
    out += w.text;
    out += '\n';
  }
  return out;
}

Painter::Painter(const Fonts& fonts, const flow::ScreenModel& model)
    : fonts_(fonts), model_(model), theme_(model.high_contrast ? &high_contrast_theme() : &standard_theme()) {
  out_.record.screen = model.name;
  out_.record.language = model.language;
  out_.record.high_contrast = model.high_contrast;
  out_.record.large_text = model.large_text;
  out_.record.citizen_facing = model.citizen_facing;
  out_.record.untranslated = model.untranslated;
}

ImFont* Painter::body_font() const {
  return model_.large_text ? fonts_.large_body : fonts_.body;
}
ImFont* Painter::button_font() const {
  return model_.large_text ? fonts_.large_button : fonts_.button;
}
ImFont* Painter::title_font() const {
  return model_.large_text ? fonts_.large_title : fonts_.title;
}
float Painter::line_height(ImFont* font) const {
  return font->FontSize;
}

float Painter::text(const std::string& id, const std::string& s, float x, float y, float wrap_width, ImFont* font,
                    Role role, Rgb colour) {
  if (s.empty()) return 0;
  const Mapping m = Mapping::current();
  const ImVec2 size = font->CalcTextSizeA(font->FontSize, FLT_MAX, wrap_width, s.c_str(), s.c_str() + s.size());
  ImGui::GetWindowDrawList()->AddText(font, font->FontSize * m.scale, m.at(x, y), col(colour), s.c_str(),
                                      s.c_str() + s.size(), wrap_width * m.scale);
  WidgetRecord r;
  r.id = id;
  r.role = role;
  r.text = s;
  r.x = x;
  r.y = y;
  r.w = std::max(size.x, 1.0f);
  r.h = size.y;
  r.font_px = font->FontSize;
  r.fg = colour;
  r.bg = role == Role::Overlay ? theme_->overlay_bg : theme_->page_bg;
  r.text_fits = size.x <= wrap_width + 0.5f;  // a word longer than the line does not fit
  r.citizen_facing = model_.citizen_facing;
  out_.record.widgets.push_back(std::move(r));
  return size.y;
}

bool Painter::button(const std::string& id, const std::string& label, float x, float y, float w, float h, ImFont* font,
                     Role role, Rgb bg, Rgb fg) {
  const Mapping m = Mapping::current();
  const float pad_x = role == Role::Key ? 8.0f : 24.0f;
  const float pad_y = 6.0f;
  ImGui::SetCursorScreenPos(m.at(x, y));
  const bool disabled = disabled_ && role != Role::OverlayButton;
  if (disabled) ImGui::BeginDisabled(true);
  const bool pressed = ImGui::InvisibleButton(id.c_str(), ImVec2(w * m.scale, h * m.scale));
  const bool held = ImGui::IsItemActive();
  if (disabled) ImGui::EndDisabled();

  auto* draw = ImGui::GetWindowDrawList();
  const ImVec2 p0 = m.at(x, y), p1 = m.at(x + w, y + h);
  draw->AddRectFilled(p0, p1, col(bg), 14.0f * m.scale);
  draw->AddRect(p0, p1, col(held ? theme_->text : theme_->button_border), 14.0f * m.scale, 0,
                (held ? 6.0f : 3.0f) * m.scale);
  const float wrap = w - 2 * pad_x;
  const ImVec2 size = font->CalcTextSizeA(font->FontSize, FLT_MAX, wrap, label.c_str(), label.c_str() + label.size());
  const bool one_line = size.y < font->FontSize * 1.5f;
  const float tx = one_line ? x + (w - size.x) * 0.5f : x + pad_x;
  const float ty = y + (h - size.y) * 0.5f;
  draw->AddText(font, font->FontSize * m.scale, m.at(tx, ty), col(fg), label.c_str(), label.c_str() + label.size(),
                wrap * m.scale);

  WidgetRecord r;
  r.id = id;
  r.role = role;
  r.text = label;
  r.x = x;
  r.y = y;
  r.w = w;
  r.h = h;
  r.font_px = font->FontSize;
  r.fg = fg;
  r.bg = bg;
  r.text_fits = size.x <= wrap + 0.5f && size.y <= h - 2 * pad_y;
  r.citizen_facing = model_.citizen_facing;
  out_.record.widgets.push_back(std::move(r));
  return pressed && !disabled;
}

void Painter::busy_indicator(float cx, float cy, float radius) {
  const Mapping m = Mapping::current();
  auto* draw = ImGui::GetWindowDrawList();
  const float t = static_cast<float>(ImGui::GetTime());
  const float start = std::fmod(t * 4.0f, 6.2831853f);
  draw->PathArcTo(m.at(cx, cy), radius * m.scale, start, start + 4.2f, 32);
  draw->PathStroke(col(theme_->text), 0, 10.0f * m.scale);
}

void Painter::picture(const std::string& id, flow::Picture picture, float x, float y, float w, float h) {
  if (picture == flow::Picture::None) return;
  const Mapping m = Mapping::current();
  auto* draw = ImGui::GetWindowDrawList();
  const Theme& th = *theme_;
  const float line = 4.0f * m.scale;
  auto rect = [&](float x0, float y0, float x1, float y1, Rgb fill, Rgb edge) {
    draw->AddRectFilled(m.at(x0, y0), m.at(x1, y1), col(fill), 6 * m.scale);
    draw->AddRect(m.at(x0, y0), m.at(x1, y1), col(edge), 6 * m.scale, 0, line);
  };
  const float cx = x + w / 2;
  switch (picture) {
    case flow::Picture::Printer:
      rect(cx - 220, y + 220, cx + 220, y + 420, th.field_bg, th.picture_ink);       // printer body
      rect(cx - 150, y + 60, cx + 150, y + 230, th.picture_sheet, th.picture_ink);   // sheet going in
      rect(cx - 150, y + 400, cx + 150, y + 560, th.picture_sheet, th.picture_ink);  // sheet coming out
      for (int i = 0; i < 3; ++i)
        draw->AddLine(m.at(cx - 110, y + 440 + i * 30.0f), m.at(cx + 110, y + 440 + i * 30.0f), col(th.picture_ink),
                      line);
      break;
    case flow::Picture::SignHere: {
      rect(cx - 230, y, cx + 230, y + 600, th.picture_sheet, th.picture_ink);
      for (int i = 0; i < 8; ++i)
        draw->AddLine(m.at(cx - 180, y + 60 + i * 45.0f), m.at(cx + 180, y + 60 + i * 45.0f), col(th.picture_ink),
                      line);
      rect(cx - 180, y + 450, cx + 180, y + 560, th.picture_highlight, th.picture_ink);  // the signature box
      // a pen pointing at the box
      draw->AddLine(m.at(cx + 260, y + 380), m.at(cx + 120, y + 520), col(th.picture_ink), 14 * m.scale);
      draw->AddTriangleFilled(m.at(cx + 120, y + 520), m.at(cx + 104, y + 548), m.at(cx + 134, y + 534),
                              col(th.picture_ink));
      break;
    }
    case flow::Picture::PlaceSheet:
      rect(cx - 260, y + 260, cx + 260, y + 480, th.field_bg, th.picture_ink);                 // scanner
      rect(cx - 200, y + 20, cx + 200, y + 230, th.picture_sheet, th.picture_ink);             // sheet above it
      draw->AddLine(m.at(cx, y + 240), m.at(cx, y + 300), col(th.picture_ink), 12 * m.scale);  // arrow down
      draw->AddTriangleFilled(m.at(cx - 30, y + 290), m.at(cx + 30, y + 290), m.at(cx, y + 330), col(th.picture_ink));
      break;
    case flow::Picture::Sent:
      rect(cx - 240, y + 120, cx + 240, y + 440, th.picture_sheet, th.picture_ink);  // envelope
      draw->AddLine(m.at(cx - 240, y + 120), m.at(cx, y + 300), col(th.picture_ink), line);
      draw->AddLine(m.at(cx + 240, y + 120), m.at(cx, y + 300), col(th.picture_ink), line);
      break;
    case flow::Picture::None:
      break;
  }
  WidgetRecord r;
  r.id = id;
  r.role = Role::Picture;
  r.x = x;
  r.y = y;
  r.w = w;
  r.h = h;
  out_.record.widgets.push_back(std::move(r));
}

void Painter::crop(const std::string& id, const flow::ScreenModel::Crop& crop, float x, float y, float w, float h) {
  if (crop.width <= 0 || crop.height <= 0 ||
      crop.grey.size() < static_cast<size_t>(crop.width) * static_cast<size_t>(crop.height))
    return;
  const Mapping m = Mapping::current();
  auto* draw = ImGui::GetWindowDrawList();
  // Fit the image into the box, keeping its shape.
  const float cell = std::min(w / static_cast<float>(crop.width), h / static_cast<float>(crop.height));
  draw->AddRectFilled(m.at(x, y), m.at(x + cell * crop.width, y + cell * crop.height), IM_COL32(255, 255, 255, 255));
  for (int row = 0; row < crop.height; ++row)
    for (int c = 0; c < crop.width; ++c) {
      const auto v = crop.grey[static_cast<size_t>(row) * static_cast<size_t>(crop.width) + static_cast<size_t>(c)];
      if (v > 235) continue;  // paper
      const float x0 = x + cell * static_cast<float>(c), y0 = y + cell * static_cast<float>(row);
      draw->AddRectFilled(m.at(x0, y0), m.at(x0 + cell, y0 + cell), IM_COL32(v, v, v, 255));
    }
  draw->AddRect(m.at(x, y), m.at(x + cell * crop.width, y + cell * crop.height), col(theme_->text), 0, 0,
                2.0f * m.scale);
  WidgetRecord r;
  r.id = id;
  r.role = Role::Picture;
  r.x = x;
  r.y = y;
  r.w = cell * crop.width;
  r.h = cell * crop.height;
  out_.record.widgets.push_back(std::move(r));
}

}  // namespace kiosk::ui
