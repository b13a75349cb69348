#pragma once
#include <vector>

#include "kiosk_flow/flow.hpp"
#include "kiosk_ui/fonts.hpp"
#include "kiosk_ui/record.hpp"
#include "kiosk_ui/theme.hpp"

struct ImFont;

namespace kiosk::ui {

// The screen layout is designed for 1920x1080 and scaled to the real display.
inline constexpr float kDesignWidth = 1920.0f;
inline constexpr float kDesignHeight = 1080.0f;
inline constexpr float kMargin = 80.0f;
inline constexpr float kButtonHeight = 110.0f;
inline constexpr float kKeyHeight = 96.0f;
inline constexpr float kGap = 16.0f;
inline constexpr float kNavTop = 968.0f;
inline constexpr float kContentTop = 280.0f;  // below the top quarter (wheelchair reach)

struct FrameOutput {
  std::vector<flow::Intent> intents;
  FrameRecord record;
};

// Draws one screen with ImGui and records every widget it drew. Call between
// ImGui::NewFrame() and ImGui::Render(). Owns no data: it reads the screen model and
// reports what the person touched as intents.
class Painter {
 public:
  Painter(const Fonts& fonts, const flow::ScreenModel& model);

  // Text, wrapped to `wrap_width`; returns its height.
  float text(const std::string& id, const std::string& s, float x, float y, float wrap_width, ImFont* font, Role role,
             Rgb colour);
  // A button with a wrapped label; returns true when it was touched.
  bool button(const std::string& id, const std::string& label, float x, float y, float w, float h, ImFont* font,
              Role role, Rgb bg, Rgb fg);
  void picture(const std::string& id, flow::Picture picture, float x, float y, float w, float h);
  // A small grey image (a field cut from a scanned sheet), drawn as blocks: no texture needed,
  // so it draws the same in a window and headless.
  void crop(const std::string& id, const flow::ScreenModel::Crop& crop, float x, float y, float w, float h);
  void busy_indicator(float cx, float cy, float radius);
  void intent(flow::Intent i) { out_.intents.push_back(std::move(i)); }
  void record(WidgetRecord r) { out_.record.widgets.push_back(std::move(r)); }

  const Theme& theme() const { return *theme_; }
  const Fonts& fonts() const { return fonts_; }
  ImFont* body_font() const;
  ImFont* button_font() const;
  ImFont* title_font() const;
  float line_height(ImFont* font) const;
  const flow::ScreenModel& model() const { return model_; }
  FrameOutput take() { return std::move(out_); }
  void set_disabled(bool disabled) { disabled_ = disabled; }

 private:
  const Fonts& fonts_;
  const flow::ScreenModel& model_;
  const Theme* theme_;
  FrameOutput out_;
  bool disabled_ = false;
};

// Draws the whole frame for the model: the screen, the always-present buttons, the
// on-screen keyboard and the inactivity warning.
FrameOutput draw_frame(const Fonts& fonts, const flow::ScreenModel& model);

}  // namespace kiosk::ui
