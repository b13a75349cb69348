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

TEST_CASE("catalogue: every form names its owner and is official with a source or proposed with a reason") {
  int official = 0, proposed = 0;
  for (const auto& q : catalogue().forms()) {
    CAPTURE(q.id);
    REQUIRE(q.owner.has_value());
    for (const auto& lang : kTaskLevelLanguages) CHECK_FALSE(q.owner->name.get(lang).empty());
    CHECK_FALSE(q.owner->web.empty());
    CHECK(q.owner->source.rfind("https://", 0) == 0);
    if (q.catalogue_status == FormStatus::Official) {
      ++official;
      CHECK(q.status_source.rfind("https://", 0) == 0);
    } else {
      REQUIRE(q.catalogue_status == FormStatus::Proposed);
      ++proposed;
      CHECK_FALSE(q.status_note.empty());
    }
  }
  CHECK(official > 0);
  CHECK(proposed > 0);
  // The findings: these routes have no public source and must never pose as official.
  for (const char* id : {"verge-tilgang", "fosterforelder-tilgang", "nabohjelper", "foreldre-barn-under-12",
                         "foreldre-barn-12-16", "tilgang-gjenapne", "reservasjon-digitale-tjenester", "bytte-fastlege",
                         "reseptliste-papir", "refusjon-egenandeler", "klage-personvern"}) {
    CAPTURE(id);
    if (const auto* q = catalogue().find(id)) CHECK(q->proposed());
  }
  // Postal addresses with a public source: Helsedirektoratet (NPR), Helfo, Pasientreiser HF.
  CHECK(catalogue().at("innsyn-norsk-pasientregister").owner->postal_address.find("Postboks 220 Skøyen, 0213 Oslo") !=
        std::string::npos);
  CHECK(catalogue().at("pasientreiser").owner->postal_address.find("3702 Skien") != std::string::npos);
  CHECK(catalogue().at("europeisk-helsetrygdkort").owner->code == "helfo");
}

TEST_CASE("catalogue: forms list JSON has owner and status") {
  const auto j = catalogue_summary_json(catalogue());
  for (const auto& f : j) {
    CAPTURE(f["id"].get<std::string>());
    CHECK((f["status"] == "official" || f["status"] == "proposed"));
    REQUIRE(f.contains("owner"));
    CHECK(f["owner"]["name"].is_string());
    CHECK(f["owner"]["postal_address"].is_string());
    CHECK(f["owner"]["source"].is_string());
  }
}

TEST_CASE("catalogue: owners.json must list every form, with a known owner and a valid status") {
  const auto dir = std::filesystem::temp_directory_path() / "kiosk-owners-catalogue";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const auto& first = catalogue().forms().front();
  std::filesystem::copy_file(first.source, dir / "good.json");
  auto write_owners = [&](const nlohmann::json& forms_entry) {
    nlohmann::json j = {{"owners",
                         {{"o",
                           {{"name", "Eier"},
                            {"postal_address", "Postboks 1, 0001 Oslo"},
                            {"web", "eier.no"},
                            {"source", "https://eier.no/skjema"}}}}},
                        {"forms", forms_entry}};
    std::ofstream(dir / "owners.json") << j.dump();
  };
  // Without owners.json the forms load with no owner (test folders, imports).
  CHECK_FALSE(Catalogue::load_directory(dir).forms().front().owner.has_value());

  write_owners({{first.id, {{"owner", "o"}, {"status", "official"}, {"source", "https://eier.no/skjema"}}}});
  const auto c = Catalogue::load_directory(dir);
  REQUIRE(c.forms().size() == 1);
  CHECK(c.forms().front().owner->postal_address == "Postboks 1, 0001 Oslo");
  CHECK(c.forms().front().catalogue_status == FormStatus::Official);

  write_owners(nlohmann::json::object());
  CHECK_THROWS_WITH_AS(Catalogue::load_directory(dir), doctest::Contains("has no owner and status"), FormError);
  write_owners({{first.id, {{"owner", "nobody"}, {"status", "proposed"}, {"note", "x"}}}});
  CHECK_THROWS_WITH_AS(Catalogue::load_directory(dir), doctest::Contains("unknown owner"), FormError);
  write_owners({{first.id, {{"owner", "o"}, {"status", "official"}}}});
  CHECK_THROWS_WITH_AS(Catalogue::load_directory(dir), doctest::Contains("no \"source\""), FormError);
  write_owners({{first.id, {{"owner", "o"}, {"status", "maybe"}}}});
  CHECK_THROWS_WITH_AS(Catalogue::load_directory(dir), doctest::Contains("use \"official\" or \"proposed\""), FormError);
  write_owners({{first.id, {{"owner", "o"}, {"status", "proposed"}, {"note", "x"}}}, {"ghost", {{"owner", "o"}}}});
  CHECK_THROWS_WITH_AS(Catalogue::load_directory(dir), doctest::Contains("no such form"), FormError);
  std::filesystem::remove_all(dir);
}

TEST_CASE("translations: the owner and status texts are easy to read (LIX <= 35 in nb and nn)") {
  const auto& t = translations();
  for (const std::string lang : {"nb", "nn"})
    for (const char* key :
         {"representation.refusal.helfo-own-power-of-attorney", "representation.refusal.ehic-self-or-own-children",
          "representation.refusal.npr-person-parent-or-guardian", "print.proposed", "receipt.proposed",
          "ui.form-intro.proposed", "print.footer.postal-web", "ui.print.post-web"}) {
      const auto score = lix(t.text(lang, key));
      INFO(key, " [", lang, "] has LIX ", score.value);
      CHECK(t.has(lang, key));
      CHECK(score.value <= 35.0);
    }
}
