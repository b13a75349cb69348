// The first-run admin setup (kiosk_admin's SetupSession): one step per page, Back and Next
// at the bottom, an on-screen keyboard for the broker address, the certificate folder and the
// first staff member's name, a digit pad for their staff number and PIN. Draws the view and reports touches; does no
// I/O.
#include <algorithm>
#include <string>
#include <vector>

#include <imgui.h>

#include "admin/setup_screen.hpp"
#include "letters.hpp"

namespace kiosk::ui {

namespace {

namespace in = admin::setup_intent;
using admin::SetupStep;

constexpr float kTop = 40.0f;
constexpr float kBodyTop = 200.0f;
constexpr float kWidth = kDesignWidth - 2 * kMargin;

struct Screen {
  Painter& p;
  const admin::SetupView& view;
  const forms::Translations& tr;
  std::vector<admin::SetupIntent>& intents;

  std::string t(const std::string& key, const std::map<std::string, std::string>& args = {}) const {
    return tr.format(view.language, key, args);
  }
  float body(const std::string& id, const std::string& text, float y, Role role = Role::Body) const {
    const Rgb colour = role == Role::Error ? p.theme().error_text : p.theme().text;
    return p.text(id, text, kMargin, y, kWidth, role == Role::Fact ? p.fonts().nav : p.body_font(), role, colour) + 8;
  }
  bool button(const std::string& id, const std::string& label, float x, float y, float w, bool selected = false,
              float h = kKeyHeight) const {
    const Theme& th = p.theme();
    return p.button(id, label, x, y, w, h, p.fonts().nav, Role::Choice, selected ? th.primary_bg : th.choice_bg,
                    selected ? th.primary_text : th.choice_text);
  }
  void field(const std::string& text, float y) const {
    const Theme& th = p.theme();
    p.button("admin.field", text + "|", kMargin, y, kWidth, kKeyHeight, p.fonts().nav, Role::Input, th.field_bg,
             th.field_text);
  }
  // Letters, digits and the characters of addresses and paths; for names (`name`) the Norwegian
  // letters æ ø å, a hyphen and an apostrophe instead of the address characters, and a space bar.
  void keyboard(float y, bool name = false) const {
    using Row = std::vector<std::string>;
    static const std::vector<Row> address_rows = {{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0"},
                                                  {"q", "w", "e", "r", "t", "y", "u", "i", "o", "p"},
                                                  {"a", "s", "d", "f", "g", "h", "j", "k", "l", ":"},
                                                  {"z", "x", "c", "v", "b", "n", "m", ".", "/", "-"},
                                                  {"_", "@"}};
    static const std::vector<Row> name_rows = {{"1", "2", "3", "4", "5", "6", "7", "8", "9", "0"},
                                               {"q", "w", "e", "r", "t", "y", "u", "i", "o", "p", "å"},
                                               {"a", "s", "d", "f", "g", "h", "j", "k", "l", "ø", "æ"},
                                               {"z", "x", "c", "v", "b", "n", "m", "-", "'", "."},
                                               {}};
    const Theme& th = p.theme();
    const float key = 120.0f;
    for (const Row& row : name ? name_rows : address_rows) {
      float x = kMargin;
      for (const std::string& lower : row) {
        const std::string ch = view.shift ? capital_letter(lower) : lower;
        if (p.button("admin.key." + ch, ch, x, y, key, 72, p.fonts().nav, Role::Key, th.key_bg, th.key_text))
          intents.push_back(in::Type{ch});
        x += key + 8;
      }
      y += 80;
    }
    if (p.button("admin.key.shift", t("admin.setup.shift"), kMargin + 2 * (key + 8), y - 80, 3 * key + 16, 72,
                 p.fonts().nav, Role::Key, view.shift ? th.primary_bg : th.key_bg,
                 view.shift ? th.primary_text : th.key_text))
      intents.push_back(in::Shift{});
    if (p.button("admin.key.erase", t("admin.setup.erase"), kMargin + 5 * (key + 8), y - 80, 3 * key + 16, 72,
                 p.fonts().nav, Role::Key, th.key_bg, th.key_text))
      intents.push_back(in::Erase{});
    if (name && p.button("admin.key.space", t("admin.setup.space"), kMargin + 8 * (key + 8), y - 80, 2 * key + 8, 72,
                         p.fonts().nav, Role::Key, th.key_bg, th.key_text))
      intents.push_back(in::Type{" "});
  }
  void digit_pad(float y) const {
    const Theme& th = p.theme();
    for (int d = 0; d < 10; ++d) {
      const std::string ch = std::to_string((d + 1) % 10);
      const float x = kMargin + static_cast<float>(d % 5) * 136.0f;
      if (p.button("admin.key." + ch, ch, x, y + static_cast<float>(d / 5) * 104.0f, 128, kKeyHeight, p.fonts().nav,
                   Role::Key, th.key_bg, th.key_text))
        intents.push_back(in::Type{ch});
    }
    if (p.button("admin.key.erase", t("admin.setup.erase"), kMargin + 5 * 136.0f, y, 260, kKeyHeight, p.fonts().nav,
                 Role::Key, th.key_bg, th.key_text))
      intents.push_back(in::Erase{});
  }

  float printer(float y) const {
    y += body("admin.body", t("admin.setup.printer.body"), y);
    if (view.printers_problem) y += body("admin.problem", view.printers_problem->detail, y, Role::Error);
    if (view.printers.empty() && !view.busy) y += body("admin.none", t("admin.setup.printer.none"), y);
    for (const auto& printer : view.printers) {
      std::string label = printer.name + " - " + printer.state;
      if (printer.is_default) label += " (" + t("admin.setup.default") + ")";
      if (button("admin.printer." + printer.name, label, kMargin, y, 1000, printer.name == view.printer))
        intents.push_back(in::ChoosePrinter{printer.name});
      y += kKeyHeight + kGap;
    }
    y += kGap;
    if (button("admin.test-print", t("admin.setup.printer.test"), kMargin, y, 480)) intents.push_back(in::TestPrint{});
    if (button("admin.refresh", t("admin.setup.refresh"), kMargin + 500, y, 480)) intents.push_back(in::Refresh{});
    return y + kKeyHeight + kGap;
  }

  float scanner(float y) const {
    y += body("admin.body", t("admin.setup.scanner.body"), y);
    if (view.scanners_problem) y += body("admin.problem", view.scanners_problem->detail, y, Role::Error);
    if (view.scanners.empty() && !view.busy) y += body("admin.none", t("admin.setup.scanner.none"), y);
    for (const auto& scanner : view.scanners) {
      if (button("admin.scanner." + scanner.device, scanner.device + " - " + scanner.vendor + " " + scanner.model,
                 kMargin, y, 1400, scanner.device == view.scanner))
        intents.push_back(in::ChooseScanner{scanner.device});
      y += kKeyHeight + kGap;
    }
    y += kGap;
    if (button("admin.test-scan", t("admin.setup.scanner.test"), kMargin, y, 480)) intents.push_back(in::TestScan{});
    if (button("admin.refresh", t("admin.setup.refresh"), kMargin + 500, y, 480)) intents.push_back(in::Refresh{});
    return y + kKeyHeight + kGap;
  }

  float languages(float y) const {
    y += body("admin.body", t("admin.setup.languages.body"), y);
    for (const char* code : {"nb", "nn", "se", "en"}) {
      const bool offered = std::find(view.languages.begin(), view.languages.end(), code) != view.languages.end();
      const std::string name = tr.text(code, std::string("language.") + code);
      if (button(std::string("admin.language.") + code, (offered ? "[x] " : "[  ] ") + name, kMargin, y, 700, offered))
        intents.push_back(in::ToggleLanguage{code});
      if (button(std::string("admin.default.") + code, t("admin.setup.languages.start"), kMargin + 720, y, 500,
                 view.default_language == code))
        intents.push_back(in::SetDefaultLanguage{code});
      y += kKeyHeight + kGap;
    }
    return y;
  }

  // The first staff member: number (digit pad), name (keyboard), PIN (digit pad, never shown).
  float staff_member(float y) const {
    using F = admin::SetupView::StaffField;
    if (view.existing_members > 0)
      return y +
             body("admin.body", t("admin.setup.staff.exists", {{"count", std::to_string(view.existing_members)}}), y);
    switch (view.staff_field) {
      case F::Number:
        y += body("admin.body", t("admin.setup.staff.number"), y);
        field(view.staff_number, y);
        digit_pad(y + kKeyHeight + 2 * kGap);
        return y + kKeyHeight + 2 * kGap + 2 * 104;
      case F::Name:
        y += body("admin.body", t("admin.setup.staff.name"), y);
        field(view.staff_name, y);
        keyboard(y + kKeyHeight + 2 * kGap, true);
        return y + kKeyHeight + 2 * kGap + 5 * 80;
      case F::Pin:
        y += body("admin.body", t("admin.setup.pin.body"), y);
        field(std::string(view.pin_digits, '*'), y);
        digit_pad(y + kKeyHeight + 2 * kGap);
        return y + kKeyHeight + 2 * kGap + 2 * 104;
    }
    return y;
  }

  float summary(float y) const {
    y += body("admin.body", t("admin.setup.save.body"), y);
    auto fact = [&](const std::string& id, const std::string& label_key, const std::string& value) {
      y += body("admin.fact." + id, t(label_key) + ": " + (value.empty() ? t("admin.setup.default") : value), y,
                Role::Fact);
    };
    std::string langs;
    for (const auto& l : view.languages) langs += (langs.empty() ? "" : ", ") + l;
    fact("printer", "admin.setup.step.printer", view.printer);
    fact("scanner", "admin.setup.step.scanner", view.scanner);
    fact("broker", "admin.setup.step.broker", view.broker_url);
    fact("certificates", "admin.setup.step.certificates", std::to_string(view.imported.size()));
    if (view.existing_members == 0)
      fact("staff", "admin.setup.step.pin", view.staff_number + " (" + view.staff_name + ")");
    fact("languages", "admin.setup.step.languages", langs + " (" + view.default_language + ")");
    fact("file", "admin.setup.file", view.config_file.string());
    y += kGap;
    if (button("admin.save", t("admin.setup.save"), kMargin, y, 600, true, kButtonHeight))
      intents.push_back(in::Save{});
    return y + kButtonHeight + kGap;
  }

  // A kiosk in use: only the code from `kioskctl setup --screen-code` opens the setup.
  void code() const {
    const Theme& th = p.theme();
    p.text("admin.title", t("admin.setup.code.title"), kMargin, kTop, kWidth - 400, p.title_font(), Role::Title,
           th.text);
    if (p.button("admin.switch-language", t("admin.setup.switch-language"), kDesignWidth - kMargin - 320, kTop, 320,
                 kKeyHeight, p.fonts().nav, Role::Nav, th.nav_bg, th.nav_text))
      intents.push_back(in::SwitchAdminLanguage{});
    float y = kBodyTop;
    y += body("admin.body", t("admin.setup.code.body"), y);
    field(std::string(view.code_digits, '*'), y);
    digit_pad(y + kKeyHeight + 2 * kGap);
    y += kKeyHeight + 2 * kGap + 2 * 104 + kGap;
    if (view.message)
      p.text("admin.message", t(view.message->key, view.message->args), kMargin, std::max(y, 800.0f), kWidth,
             p.fonts().nav, Role::Error, th.error_text);
    if (p.button("admin.next", t("admin.setup.next"), kDesignWidth - kMargin - 360, kNavTop, 360, kKeyHeight,
                 p.fonts().nav, Role::Nav, th.primary_bg, th.primary_text))
      intents.push_back(in::Next{});
  }

  void draw() const {
    if (view.code_required) return code();
    const Theme& th = p.theme();
    const int number = static_cast<int>(view.step) + 1;
    const std::string step = admin::to_string(view.step);
    p.text("admin.title",
           t("admin.setup.title", {{"number", std::to_string(number)},
                                   {"count", std::to_string(admin::kSetupStepCount)},
                                   {"step", t("admin.setup.step." + step)}}),
           kMargin, kTop, kWidth - 400, p.title_font(), Role::Title, th.text);
    if (p.button("admin.switch-language", t("admin.setup.switch-language"), kDesignWidth - kMargin - 320, kTop, 320,
                 kKeyHeight, p.fonts().nav, Role::Nav, th.nav_bg, th.nav_text))
      intents.push_back(in::SwitchAdminLanguage{});

    float y = kBodyTop;
    switch (view.step) {
      case SetupStep::Welcome:
        y += body("admin.body", t("admin.setup.welcome.body"), y);
        for (size_t i = 0; i < view.needs.size(); ++i)
          y += body("admin.need." + std::to_string(i), view.needs[i], y, Role::Fact);
        break;
      case SetupStep::Printer:
        y = printer(y);
        break;
      case SetupStep::Scanner:
        y = scanner(y);
        break;
      case SetupStep::Broker:
        y += body("admin.body", t("admin.setup.broker.body"), y);
        field(view.broker_url, y);
        keyboard(y + kKeyHeight + 2 * kGap);
        y += kKeyHeight + 2 * kGap + 5 * 80;
        break;
      case SetupStep::Certificates:
        y += body("admin.body", t("admin.setup.certificates.body"), y);
        field(view.certificate_folder, y);
        if (button("admin.import", t("admin.setup.certificates.import"), kMargin + 1320, y + kKeyHeight + 2 * kGap,
                   kWidth - 1320, false, kButtonHeight))
          intents.push_back(in::ImportCertificates{});
        keyboard(y + kKeyHeight + 2 * kGap);
        y += kKeyHeight + 2 * kGap + 5 * 80;
        for (size_t i = 0; i < view.imported.size() && i < 3; ++i)
          p.text("admin.imported." + std::to_string(i), view.imported[i], kMargin + 1320,
                 y - 200 + static_cast<float>(i) * 40, kWidth - 1320, p.fonts().nav, Role::Fact, th.text);
        break;
      case SetupStep::Pin:
        y = staff_member(y);
        break;
      case SetupStep::Languages:
        y = languages(y);
        break;
      case SetupStep::Save:
        y = summary(y);
        break;
      case SetupStep::Done:
        y += body("admin.body", t("admin.setup.done.body"), y);
        if (button("admin.finish", t("admin.setup.finish"), kMargin, y + kGap, 600, true, kButtonHeight))
          intents.push_back(in::Finish{});
        y += kButtonHeight + 2 * kGap;
        break;
    }

    // The outcome of the last action, under the step's content.
    const float message_top = std::max(y + kGap, 800.0f);
    if (view.busy) {
      p.busy_indicator(kMargin + 30, message_top + 30, 26);
      p.text("admin.busy", t("admin.setup.busy"), kMargin + 80, message_top + 8, kWidth - 80, p.body_font(), Role::Body,
             th.text);
    } else if (view.message) {
      const auto& m = *view.message;
      std::string line = t(m.key, m.args);
      if (!m.detail.empty()) line += " " + m.detail;
      p.text("admin.message", line, kMargin, message_top, kWidth, p.fonts().nav, m.is_error ? Role::Error : Role::Body,
             m.is_error ? th.error_text : th.text);
    }

    if (view.step != SetupStep::Welcome && view.step != SetupStep::Done &&
        p.button("admin.back", t("admin.setup.back"), kMargin, kNavTop, 360, kKeyHeight, p.fonts().nav, Role::Nav,
                 th.nav_bg, th.nav_text))
      intents.push_back(in::Back{});
    if (view.step != SetupStep::Save && view.step != SetupStep::Done &&
        p.button("admin.next", t("admin.setup.next"), kDesignWidth - kMargin - 360, kNavTop, 360, kKeyHeight,
                 p.fonts().nav, Role::Nav, th.primary_bg, th.primary_text))
      intents.push_back(in::Next{});
  }
};

}  // namespace

namespace {

// One full-window ImGui page for the screens here: a staff-facing model, the standard theme.
template <typename Draw>
FrameOutput draw_page(const Fonts& fonts, const flow::ScreenModel& model, bool disabled, Draw draw) {
  const auto& io = ImGui::GetIO();
  ImGui::SetNextWindowPos(ImVec2(0, 0));
  ImGui::SetNextWindowSize(io.DisplaySize);
  ImGui::PushStyleVar(ImGuiStyleVar_WindowPadding, ImVec2(0, 0));
  ImGui::PushStyleVar(ImGuiStyleVar_WindowBorderSize, 0);
  ImGui::Begin("admin-setup", nullptr,
               ImGuiWindowFlags_NoDecoration | ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoSavedSettings |
                   ImGuiWindowFlags_NoBringToFrontOnFocus | ImGuiWindowFlags_NoScrollWithMouse);
  Painter p(fonts, model);
  auto page = p.theme().page_bg;
  ImGui::GetWindowDrawList()->AddRectFilled(ImVec2(0, 0), io.DisplaySize,
                                            IM_COL32((page >> 16) & 0xFF, (page >> 8) & 0xFF, page & 0xFF, 255));
  p.set_disabled(disabled);
  draw(p);
  ImGui::End();
  ImGui::PopStyleVar(2);
  return p.take();
}

}  // namespace

FrameOutput draw_admin_setup(const Fonts& fonts, const admin::SetupView& view, const forms::Translations& translations,
                             std::vector<admin::SetupIntent>& intents) {
  flow::ScreenModel model;
  model.name = view.code_required ? "admin-setup-code" : "admin-setup-" + admin::to_string(view.step);
  model.citizen_facing = false;
  model.language = view.language;
  return draw_page(fonts, model, view.busy, [&](Painter& p) { Screen{p, view, translations, intents}.draw(); });
}

FrameOutput draw_out_of_order(const Fonts& fonts, const std::string& help_phone,
                              const forms::Translations& translations) {
  flow::ScreenModel model;
  model.name = "out-of-order";
  model.citizen_facing = true;
  model.language = "nb";
  return draw_page(fonts, model, false, [&](Painter& p) {
    // Nobody has chosen a language yet: bokmål, nynorsk and English, one under the other.
    float y = kTop;
    for (const char* lang : {"nb", "nn", "en"}) {
      const std::string id = std::string("out-of-order.") + lang;
      y += p.text(id + ".title", translations.text(lang, "out-of-order.title"), kMargin, y, kWidth, p.title_font(),
                  Role::Title, p.theme().text) +
           8;
      y += p.text(id + ".body", translations.format(lang, "out-of-order.body", {{"phone", help_phone}}), kMargin, y,
                  kWidth, p.body_font(), Role::Body, p.theme().text) +
           2 * kGap;
    }
  });
}

}  // namespace kiosk::ui
