// The "ekstra enkel" rules over every screen of every form in every language, both themes.
#include <doctest/doctest.h>

#include <set>

#include "config.hpp"
#include "kiosk_test_support.hpp"
#include "kiosk_ui/a11y.hpp"
#include "kiosk_ui/theme.hpp"

using namespace kiosk;

TEST_CASE("every screen of every form in every language keeps the ekstra enkel rules") {
  const auto& assets = kiosk_test::Assets::get();
  const auto options = flow::FlowOptions::from_config(Config{});
  const auto reports = ui::walk_all_screens(assets.catalogue, assets.translations, assets.rules, options);
  const std::string problems = ui::report_text(reports);
  INFO(problems);
  CHECK(problems.empty());
  // The walk really reached every kind of screen, in every language and both themes.
  std::set<std::string> screens, langs, variants, forms_seen;
  for (const auto& r : reports) {
    screens.insert(r.screen);
    langs.insert(r.lang);
    variants.insert(r.variant);
    if (r.form) forms_seen.insert(*r.form);
  }
  for (const char* s :
       {"start", "task", "who", "who-kind", "form-intro", "representative-id", "question", "overview", "print", "scan",
        "review", "correct", "send", "receipt", "help", "staff-pin", "staff-menu", "staff-info", "staff-queue"})
    CHECK_MESSAGE(screens.count(s) == 1, s);
  CHECK(langs == std::set<std::string>(options.languages.begin(), options.languages.end()));
  CHECK(variants.size() == 2);
  CHECK(forms_seen.size() == assets.catalogue.forms().size());
  // The JSON has one entry per screen walked, in the documented shape.
  const auto json = ui::report_json(reports);
  REQUIRE(json["screens"].size() == reports.size());
  for (const auto& s : json["screens"]) {
    CHECK(s.contains("screen"));
    CHECK(s.contains("lang"));
    CHECK((s["form"].is_null() || s["form"].is_string()));
    CHECK(s["violations"].is_array());
  }
}

TEST_CASE("the checks catch each broken rule") {
  ui::FrameRecord frame;
  frame.screen = "test";
  frame.language = "nb";
  auto add = [&](std::string id, ui::Role role, std::string text, float x, float y, float w, float h, float px,
                 ui::Rgb fg, ui::Rgb bg) {
    ui::WidgetRecord r;
    r.id = std::move(id);
    r.role = role;
    r.text = std::move(text);
    r.x = x, r.y = y, r.w = w, r.h = h, r.font_px = px, r.fg = fg, r.bg = bg;
    frame.widgets.push_back(r);
  };
  add("title", ui::Role::Title, "Hei", 80, 100, 200, 50, 48, 0x111111, 0xFFFFFF);  // top quarter
  add("body", ui::Role::Body,
      "Dokumentasjonsforpliktelsene omfatter helseopplysningsloven samt pasientjournalforskriften.", 80, 300, 1700, 40,
      24, 0x777777, 0xFFFFFF);  // small, pale, LIX
  for (int i = 0; i < 5; ++i)
    add("choice." + std::to_string(i), ui::Role::Choice, "Ja", 80 + i * 300.0f, 500, 290, 80, 40, 0xFFFFFF, 0x003A70);
  frame.untranslated.push_back("ui.missing");
  std::set<std::string> rules;
  for (const auto& v : ui::check_frame(frame)) rules.insert(v.rule);
  for (const char* rule : {"top-quarter", "text-size", "contrast", "lix", "main-choices", "button-height",
                           "button-spacing", "always-present", "translated"})
    CHECK_MESSAGE(rules.count(rule) == 1, rule);
}

TEST_CASE("LIX rule: short labels count as part of the screen, long strings on their own") {
  ui::FrameRecord frame;
  frame.language = "nb";
  ui::WidgetRecord label;
  label.id = "nav.back";
  label.role = ui::Role::Nav;
  label.text = "Tilbake";  // LIX 101 alone, fine inside a plain screen
  label.x = 80, label.y = 900, label.w = 200, label.h = 96, label.font_px = 32, label.fg = 0, label.bg = 0xFFFFFF;
  ui::WidgetRecord body = label;
  body.id = "body";
  body.role = ui::Role::Body;
  body.text = "Her kan du se hva som står om deg. Trykk på knappen.";
  body.y = 400, body.w = 1000;
  frame.widgets = {label, body};
  for (const auto& v : ui::check_frame(frame)) CHECK_MESSAGE(v.rule != "lix", v.detail);
  // Sámi is not measured by LIX (see a11y.hpp).
  CHECK(!ui::lix_applies_to("se"));
  CHECK(ui::lix_applies_to("nn"));
}

TEST_CASE("both themes give text a contrast of at least 7:1") {
  for (const ui::Theme* t : {&ui::standard_theme(), &ui::high_contrast_theme()}) {
    CHECK(ui::contrast_ratio(t->text, t->page_bg) >= 7);
    CHECK(ui::contrast_ratio(t->error_text, t->page_bg) >= 7);
    CHECK(ui::contrast_ratio(t->choice_text, t->choice_bg) >= 7);
    CHECK(ui::contrast_ratio(t->primary_text, t->primary_bg) >= 7);
    CHECK(ui::contrast_ratio(t->nav_text, t->nav_bg) >= 7);
    CHECK(ui::contrast_ratio(t->key_text, t->key_bg) >= 7);
    CHECK(ui::contrast_ratio(t->overlay_text, t->overlay_bg) >= 7);
  }
  CHECK(ui::contrast_ratio(0xFFFFFF, 0x000000) == doctest::Approx(21.0));
}
