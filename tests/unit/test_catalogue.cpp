// The shipped catalogue: every form valid, fully translated, in plain language.
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <set>

#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/error.hpp"
#include "forms/lix.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"

using namespace forms;

namespace {
const Catalogue& catalogue() {
  static const Catalogue c = Catalogue::load_directory(assets_dir() / "forms");
  return c;
}
const Translations& translations() {
  static const Translations t = Translations::load_directory(assets_dir() / "i18n");
  return t;
}

// Every citizen-facing text of a form, with a name for the message.
void each_text(const Questionnaire& q, const std::function<void(const std::string&, const LocalizedText&, bool)>& f) {
  f("title", q.title, true);
  f("description", q.description, true);
  for (const Item* item : q.all_items()) {
    if (!item->text.empty()) f("item " + item->link_id, item->text, false);
    for (const auto& o : item->options) f("item " + item->link_id + " option " + o.code, o.display, false);
  }
}
}  // namespace

TEST_CASE("catalogue: at least 30 valid forms with unique ids in known categories") {
  CHECK(catalogue().forms().size() >= 30);
  for (const auto& category : kTaskCategories) {
    CAPTURE(category);
    CHECK_FALSE(catalogue().in_category(category).empty());
  }
}

TEST_CASE("catalogue: every text is translated (nb, nn, en, task level also se)") {
  for (const auto& q : catalogue().forms()) {
    each_text(q, [&](const std::string& what, const LocalizedText& text, bool task_level) {
      const auto& langs = task_level ? kTaskLevelLanguages : kRequiredLanguages;
      for (const auto& lang : langs) {
        INFO(q.id, ": ", what, " lacks ", lang);
        CHECK(text.has(lang));
      }
    });
  }
}

TEST_CASE("catalogue: every citizen-facing text is easy to read (LIX <= 35 in nb, nn and en)") {
  for (const auto& q : catalogue().forms()) {
    each_text(q, [&](const std::string& what, const LocalizedText& text, bool) {
      for (const auto& lang : kRequiredLanguages) {
        const auto score = lix(text.get(lang));
        INFO(q.id, ": ", what, " [", lang, "] \"", text.get(lang), "\" has LIX ", score.value);
        CHECK(score.value <= 35.0);
      }
    });
  }
}

TEST_CASE("catalogue: representation types, attachments and categories are known and translated") {
  const auto rules = RepresentationRules::load(assets_dir() / "representation.json");
  const auto& t = translations();
  for (const auto& q : catalogue().forms()) {
    CAPTURE(q.id);
    for (const auto& r : q.representation) {
      INFO("representation type ", r);
      CHECK(rules.find(r) != nullptr);
    }
    for (const auto& a : q.attachments)
      for (const auto& lang : kRequiredLanguages) {
        INFO("attachment ", a, " in ", lang);
        CHECK(t.has(lang, "attachment." + a));
      }
  }
  for (const auto& type : rules.types)
    for (const auto& lang : kTaskLevelLanguages) {
      INFO("representation type ", type.code, " in ", lang);
      CHECK(t.has(lang, "representation.type." + type.code));
      CHECK(t.has(lang, "representation.explain." + type.code));
    }
  for (const auto& c : kTaskCategories)
    for (const auto& lang : kTaskLevelLanguages) {
      INFO("category ", c, " in ", lang);
      CHECK(t.has(lang, "category." + c));
    }
}

TEST_CASE("translations: every key exists in nb, nn and en, task-level keys also in se") {
  const auto& t = translations();
  std::set<std::string> all;
  for (const auto& lang : t.languages())
    for (const auto& key : t.keys(lang)) all.insert(key);
  for (const auto& key : all) {
    for (const auto& lang : kRequiredLanguages) {
      INFO(key, " lacks ", lang);
      CHECK(t.has(lang, key));
    }
    if (is_task_level_key(key)) {
      INFO(key, " lacks se");
      CHECK(t.has("se", key));
    }
  }
}

TEST_CASE("catalogue: a broken form in the folder is named in the error") {
  const auto dir = std::filesystem::temp_directory_path() / "kiosk-broken-catalogue";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  std::filesystem::copy_file(catalogue().forms().front().source, dir / "good.json");
  { std::ofstream(dir / "bad.json") << "[1, 2"; }
  try {
    Catalogue::load_directory(dir);
    FAIL("should have thrown");
  } catch (const FormError& e) {
    CHECK(std::string(e.what()).find("bad.json") != std::string::npos);
  }
  std::filesystem::remove(dir / "bad.json");
  std::filesystem::copy_file(catalogue().forms().front().source, dir / "twin.json");
  CHECK_THROWS_WITH_AS(Catalogue::load_directory(dir), doctest::Contains("is also used by"), FormError);
  std::filesystem::remove_all(dir);
  CHECK_THROWS_AS(Catalogue::load_directory(dir), FormError);
}
