#include <algorithm>

#include <imgui.h>

#include "screens.hpp"

namespace kiosk::ui::screens {

void band(Painter& p) {
  // The top quarter is out of reach from a wheelchair: only a plain colour band here.
  const auto& io = ImGui::GetIO();
  const float scale = std::min(io.DisplaySize.x / kDesignWidth, io.DisplaySize.y / kDesignHeight);
  auto* draw = ImGui::GetWindowDrawList();
  const Rgb page = p.theme().page_bg, band_rgb = p.theme().band_bg;
  auto c = [](Rgb rgb) { return IM_COL32((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF, 255); };
  draw->AddRectFilled(ImVec2(0, 0), io.DisplaySize, c(page));
  draw->AddRectFilled(ImVec2(0, 0), ImVec2(io.DisplaySize.x, 200 * scale), c(band_rgb));
}

float heading(Painter& p, float y, float width) {
  const auto& m = p.model();
  y += p.text("title", m.title, kMargin, y, width, p.title_font(), Role::Title, p.theme().text) + kGap;
  for (size_t i = 0; i < m.body.size(); ++i) {
    const auto& line = m.body[i];
    y += p.text((line.fact ? "fact." : "body.") + std::to_string(i), line.text, kMargin, y, width,
                line.fact ? p.button_font() : p.body_font(), line.fact ? Role::Fact : Role::Body, p.theme().text) +
         8;
  }
  if (!m.error.empty() && !m.input)
    y += p.text("error", m.error, kMargin, y, width, p.body_font(), Role::Error, p.theme().error_text) + 8;
  return y + kGap;
}

float choices(Painter& p, float y, float x, float width, int columns) {
  const auto& m = p.model();
  if (m.choices.empty()) return y;
  columns = std::max(1, std::min<int>(columns, static_cast<int>(m.choices.size())));
  const float w = (width - kGap * static_cast<float>(columns - 1)) / static_cast<float>(columns);
  const Theme& th = p.theme();
  float row_top = y;
  float row_bottom = y;
  for (size_t i = 0; i < m.choices.size(); ++i) {
    const int column = static_cast<int>(i) % columns;
    if (column == 0 && i > 0) row_top = row_bottom + kGap;
    const auto& c = m.choices[i];
    const float bx = x + static_cast<float>(column) * (w + kGap);
    if (p.button(c.id, c.label, bx, row_top, w, kButtonHeight, p.button_font(), Role::Choice,
                 c.primary ? th.primary_bg : th.choice_bg, c.primary ? th.primary_text : th.choice_text))
      p.intent(c.intent);
    float bottom = row_top + kButtonHeight;
    if (!c.explain.empty())
      bottom += 8 + p.text(c.id + ".explain", c.explain, bx, row_top + kButtonHeight + 8, w, p.body_font(), Role::Body,
                           th.text);
    row_bottom = std::max(row_bottom, bottom);
  }
  return row_bottom + kGap;
}

void input_field(Painter& p, float x, float y, float w) {
  const auto& m = p.model();
  if (!m.input) return;
  const Theme& th = p.theme();
  const auto& io = ImGui::GetIO();
  const float scale = std::min(io.DisplaySize.x / kDesignWidth, io.DisplaySize.y / kDesignHeight);
  const float ox = (io.DisplaySize.x - kDesignWidth * scale) * 0.5f,
              oy = (io.DisplaySize.y - kDesignHeight * scale) * 0.5f;
  auto c = [](Rgb rgb) { return IM_COL32((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF, 255); };
  auto* draw = ImGui::GetWindowDrawList();
  const float h = kKeyHeight;
  draw->AddRectFilled(ImVec2(ox + x * scale, oy + y * scale), ImVec2(ox + (x + w) * scale, oy + (y + h) * scale),
                      c(th.field_bg));
  draw->AddRect(ImVec2(ox + x * scale, oy + y * scale), ImVec2(ox + (x + w) * scale, oy + (y + h) * scale),
                c(th.field_border), 0, 0, 4 * scale);
  ImFont* font = p.button_font();
  const std::string shown = m.input->shown + "|";  // the cursor
  const ImVec2 size = font->CalcTextSizeA(font->FontSize, 1e9f, 0, shown.c_str());
  draw->AddText(font, font->FontSize * scale, ImVec2(ox + (x + 20) * scale, oy + (y + (h - size.y) / 2) * scale),
                c(th.field_text), shown.c_str());
  WidgetRecord r;
  r.id = "input";
  r.role = Role::Input;
  r.text = m.input->shown;
  r.x = x;
  r.y = y;
  r.w = w;
  r.h = h;
  r.font_px = font->FontSize;
  r.fg = th.field_text;
  r.bg = th.field_bg;
  r.text_fits = size.x + 40 <= w;
  r.citizen_facing = m.citizen_facing;
  p.record(std::move(r));
  float below = y + h + 8;
  below += p.text("input.hint", m.input->hint, x, below, w, p.body_font(), Role::Body, th.text);
  // Errors stand next to the field they are about.
  p.text("error", m.error, x, below + 4, w, p.body_font(), Role::Error, th.error_text);
}

void keyboard(Painter& p) {
  const auto& m = p.model();
  if (!m.input) return;
  const Theme& th = p.theme();
  ImFont* font = p.button_font();
  auto key = [&](const std::string& id, const std::string& label, const std::string& text, float x, float y, float w) {
    if (p.button(id, label, x, y, w, kKeyHeight, font, Role::Key, th.key_bg, th.key_text)) {
      if (text.empty())
        p.intent(flow::intent::Erase{});
      else
        p.intent(flow::intent::Key{text});
    }
  };
  if (m.input->keyboard == flow::Keyboard::Digits) {
    const float w = (kDesignWidth - kMargin - kDigitPadLeft - 2 * kGap) / 3;
    const float top = kContentTop + 40;
    const char* digits[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};
    for (int i = 0; i < 9; ++i)
      key(std::string("key.") + digits[i], digits[i], digits[i], kDigitPadLeft + static_cast<float>(i % 3) * (w + kGap),
          top + static_cast<float>(i / 3) * (kKeyHeight + kGap), w);
    const float last = top + 3 * (kKeyHeight + kGap);
    key("key.erase", m.key_erase, "", kDigitPadLeft, last, w);
    key("key.0", "0", "0", kDigitPadLeft + w + kGap, last, w);
    return;
  }
  if (m.input->keyboard != flow::Keyboard::Letters) return;
  // Norwegian layout with the Northern Sámi letters on the same keyboard (no shift:
  // names get capital letters automatically).
  static const std::vector<std::vector<std::string>> rows = {
      {"q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "å", "á", "č"},
      {"a", "s", "d", "f", "g", "h", "j", "k", "l", "ø", "æ", "đ", "ŋ"},
      {"z", "x", "c", "v", "b", "n", "m", "š", "ŧ", "ž", "-"},
  };
  const float w = 112;
  const float right = kDesignWidth - 40;
  for (size_t r = 0; r < rows.size(); ++r) {
    const float y = kLettersTop + static_cast<float>(r) * (kKeyHeight + kGap);
    float x = 40 + (r == 1 ? 30.0f : r == 2 ? 60.0f : 0.0f);
    for (const auto& k : rows[r]) {
      key("key." + k, k, k, x, y, w);
      x += w + kGap;
    }
    if (r == 0) key("key.erase", m.key_erase, "", x, y, right - x);
    if (r == 2) key("key.space", m.key_space, " ", x, y, right - x);
  }
}

void nav_bar(Painter& p) {
  const auto& m = p.model();
  const Theme& th = p.theme();
  struct Item {
    const char* id;
    const std::string* label;
    flow::Intent intent;
  };
  const Item items[] = {
      {"nav.back", &m.back, flow::intent::Back{}},
      {"nav.start-over", &m.start_over, flow::intent::StartOver{}},
      {"nav.help", &m.help, flow::intent::Help{}},
      {"nav.read-aloud", &m.read_aloud, flow::intent::ReadAloud{}},
      {"nav.bigger-text", &m.bigger_text, flow::intent::ToggleBigText{}},
      {"nav.contrast", &m.contrast, flow::intent::ToggleContrast{}},
  };
  const float left = 24, width = (kDesignWidth - 2 * left - 5 * kGap) / 6;
  for (size_t i = 0; i < std::size(items); ++i) {
    const float x = left + static_cast<float>(i) * (width + kGap);
    if (p.button(items[i].id, *items[i].label, x, kNavTop, width, kKeyHeight, p.fonts().nav, Role::Nav, th.nav_bg,
                 th.nav_text))
      p.intent(items[i].intent);
  }
}

void inactivity_warning(Painter& p) {
  const auto& m = p.model();
  if (!m.countdown_seconds) return;
  const Theme& th = p.theme();
  const auto& io = ImGui::GetIO();
  const float scale = std::min(io.DisplaySize.x / kDesignWidth, io.DisplaySize.y / kDesignHeight);
  const float ox = (io.DisplaySize.x - kDesignWidth * scale) * 0.5f,
              oy = (io.DisplaySize.y - kDesignHeight * scale) * 0.5f;
  auto c = [](Rgb rgb, int a) { return IM_COL32((rgb >> 16) & 0xFF, (rgb >> 8) & 0xFF, rgb & 0xFF, a); };
  auto* draw = ImGui::GetWindowDrawList();
  draw->AddRectFilled(ImVec2(0, 0), io.DisplaySize, c(th.shade, 200));
  const float x0 = 360, y0 = 300, x1 = 1560, y1 = 860;
  draw->AddRectFilled(ImVec2(ox + x0 * scale, oy + y0 * scale), ImVec2(ox + x1 * scale, oy + y1 * scale),
                      c(th.overlay_bg, 255), 20 * scale);
  draw->AddRect(ImVec2(ox + x0 * scale, oy + y0 * scale), ImVec2(ox + x1 * scale, oy + y1 * scale),
                c(th.overlay_text, 255), 20 * scale, 0, 6 * scale);
  float y = y0 + 50;
  y += p.text("warning.title", m.warning_title, x0 + 60, y, x1 - x0 - 120, p.title_font(), Role::Overlay,
              th.overlay_text) +
       24;
  y +=
      p.text("warning.body", m.warning_body, x0 + 60, y, x1 - x0 - 120, p.body_font(), Role::Overlay, th.overlay_text) +
      40;
  if (p.button("warning.still-here", m.still_here, x0 + 60, std::max(y, y1 - 60 - kButtonHeight), x1 - x0 - 120,
               kButtonHeight, p.button_font(), Role::OverlayButton, th.primary_bg, th.primary_text))
    p.intent(flow::intent::StillHere{});
}

void progress_with_picture(Painter& p) {
  const float width = 1040;
  const float y = heading(p, kContentTop, width);
  if (p.model().busy) p.busy_indicator(kMargin + 60, y + 70, 50);
  choices(p, p.model().busy ? y + 160 : y, kMargin, width, 1);
  p.picture("picture", p.model().picture, 1200, kContentTop, 640, 640);
}

}  // namespace kiosk::ui::screens
