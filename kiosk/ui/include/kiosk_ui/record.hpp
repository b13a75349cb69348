#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "kiosk_flow/session.hpp"

namespace kiosk::ui {

// What kind of thing a widget is, for the accessibility rules.
enum class Role {
  Title,
  Body,
  Error,          // text
  Fact,           // a value shown as it is (address, phone number, reference): not measured by LIX
  Choice,         // a main choice (at most four per screen)
  Row,            // a row of a staff list (a button, not a main choice)
  Nav,            // Back, Read aloud, Help, Start over, colours, bigger text
  Key,            // a key of the on-screen keyboard
  Input,          // the field showing what was typed
  Staff,          // the staff entrance (deliberately out of the way)
  Overlay,        // the inactivity warning's text
  OverlayButton,  // the inactivity warning's button
  Picture,        // a drawing (not text)
};
std::string to_string(Role role);
bool is_button(Role role);

// 0xRRGGBB
using Rgb = std::uint32_t;

// One drawn widget, in 1920x1080 screen coordinates.
struct WidgetRecord {
  std::string id;
  Role role = Role::Body;
  std::string text;
  float x = 0, y = 0, w = 0, h = 0;
  float font_px = 0;
  Rgb fg = 0, bg = 0;
  bool text_fits = true;  // the text (wrapped where allowed) fits inside the widget
  bool citizen_facing = true;

  // The text may be what the person typed: overwritten when the record goes, also where a
  // short text sat in the string's own (stack or vector) buffer.
  WidgetRecord() = default;
  WidgetRecord(const WidgetRecord&) = default;
  WidgetRecord(WidgetRecord&&) = default;
  WidgetRecord& operator=(const WidgetRecord&) = default;
  WidgetRecord& operator=(WidgetRecord&&) = default;
  ~WidgetRecord() { kiosk::flow::wipe_string(text); }
};

struct FrameRecord {
  std::string screen;
  std::string language;
  bool high_contrast = false;
  bool large_text = false;
  bool citizen_facing = true;
  std::vector<WidgetRecord> widgets;
  std::vector<std::string> untranslated;

  const WidgetRecord* find(const std::string& id) const;
  std::vector<const WidgetRecord*> with_role(Role role) const;
  std::string all_text() const;
};

}  // namespace kiosk::ui
