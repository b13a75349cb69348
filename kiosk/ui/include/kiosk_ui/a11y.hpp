#pragma once
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_flow/flow.hpp"
#include "kiosk_ui/record.hpp"

namespace kiosk::ui {

// The "ekstra enkel" rules (DESIGN.md section 7) as checks over a recorded frame.
inline constexpr float kMinButtonHeight = 96;
inline constexpr float kMinButtonSpacing = 16;
inline constexpr float kMinTextPx = 28;
inline constexpr double kMinContrast = 7.0;
inline constexpr size_t kMaxMainChoices = 4;
inline constexpr double kMaxLix = 35.0;
// LIX on very short labels: a label of one or two words is dominated by word length
// ("Tilbake" alone scores 101), so LIX is applied (1) to each screen's citizen-facing
// text read as one text (title, body, errors, button labels; each string a sentence),
// and (2) to every single string of five words or more. Keys of the on-screen keyboard
// and what the person typed are not measured. LIX is calibrated for the Scandinavian
// languages and English; Sámi texts are not measured (its long compound words would
// fail every text) and are reviewed by a Sámi translator instead.
inline constexpr int kLixMinWordsPerString = 5;
bool lix_applies_to(const std::string& lang);

struct Violation {
  std::string rule;
  std::string detail;
};

std::vector<Violation> check_frame(const FrameRecord& frame);

struct ScreenReport {
  std::string screen;
  std::string step;  // which state of the screen ("question person.id", "print working", ...)
  std::string lang;
  std::optional<std::string> form;
  std::string variant;  // "standard" or "high-contrast+large-text"
  std::vector<Violation> violations;
};

// Walks every screen of every form in every language the kiosk offers, in both themes
// (the high-contrast walk also uses the bigger text), with scripted services so every
// state of the print, scan and send screens is reached.
std::vector<ScreenReport> walk_all_screens(const forms::Catalogue& catalogue, const forms::Translations& translations,
                                           const forms::RepresentationRules& rules, flow::FlowOptions options);

nlohmann::json report_json(const std::vector<ScreenReport>& reports);
// One line per violation; nothing when every screen is clean.
std::string report_text(const std::vector<ScreenReport>& reports);

}  // namespace kiosk::ui
