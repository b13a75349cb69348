// Import of the platform's own FHIR Questionnaires (forms/questionnaire_import.hpp). The
// Questionnaires in tests/unit/questionnaires are written for these tests; they use the
// constructs the platform's published forms use.
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "forms/catalogue.hpp"
#include "forms/error.hpp"
#include "forms/questionnaire_import.hpp"

using namespace forms;
using nlohmann::json;

namespace {

std::filesystem::path sample(const std::string& name) {
  return std::filesystem::path(KIOSK_SOURCE_DIR) / "tests/unit/questionnaires" / name;
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

const UnsupportedItem* left_out(const ImportedForm& f, const std::string& link) {
  for (const auto& u : f.unsupported)
    if (u.link_id == link) return &u;
  return nullptr;
}

bool noted(const ImportedForm& f, const std::string& link, const std::string& part) {
  for (const auto& n : f.notes)
    if (n.link_id == link && n.note.find(part) != std::string::npos) return true;
  return false;
}

std::string error_of(const std::string& text) {
  try {
    import_questionnaires(text, "input.json");
  } catch (const FormError& e) {
    return e.what();
  }
  return "";
}

// A fresh folder under /tmp, removed at the end of the test.
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& name)
      : path(std::filesystem::temp_directory_path() / (name + "-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

}  // namespace

TEST_CASE("questionnaire import: every construct of the platform's forms is carried over or listed with a reason") {
  const auto forms = import_questionnaire_file(sample("all-constructs.json"));
  REQUIRE(forms.size() == 1);
  const auto& f = forms[0];
  CHECK(f.offered);
  CHECK(f.supported.all());
  CHECK(f.id == "test-alle-konstruksjoner");
  CHECK(f.url == "http://example.org/fhir/Questionnaire/test-alle-konstruksjoner");
  CHECK(f.items == 36);
  const Questionnaire& q = f.form;

  // Help, highlight, sidebar and inline texts become information text; help comes before its question.
  REQUIRE(q.find_item("intro"));
  CHECK(q.find_item("intro")->type == ItemType::Display);
  CHECK(q.find_item("intro")->text.get("nb") == "Les dette først. Se helsenorge (https://www.helsenorge.no/).");
  CHECK(q.find_item("sidebar")->type == ItemType::Display);
  CHECK(q.find_item("mer")->type == ItemType::Display);
  CHECK(q.find_item("mer-innhold")->type == ItemType::Display);
  const auto all = q.all_items();
  const auto pos = [&](const std::string& id) {
    for (size_t i = 0; i < all.size(); ++i)
      if (all[i]->link_id == id) return i;
    return all.size();
  };
  CHECK(pos("lang-tekst-hjelp") + 1 == pos("lang-tekst"));
  CHECK(q.find_item("ofte-info")->text.get("nb") == "Snakk med legen din:\n\n- om smerter\n- om søvn");

  // The question types the kiosk has.
  CHECK(q.find_item("fnr")->input_kind == InputKind::IdentityNumber);
  CHECK(noted(f, "fnr", "pre-filled on the platform"));
  CHECK(q.find_item("navn")->max_length == 40);
  CHECK(noted(f, "navn", "pattern"));
  CHECK(q.find_item("fodt")->type == ItemType::Date);
  CHECK(q.find_item("alder")->type == ItemType::Integer);
  CHECK(q.find_item("lang-tekst")->type == ItemType::Text);
  CHECK(noted(f, "lang-tekst", "free text"));
  CHECK_FALSE(noted(f, "navn", "free text"));  // 40 letter boxes
  CHECK(q.find_item("ja-nei")->type == ItemType::Boolean);
  CHECK(q.find_item("ja-nei")->required);
  const Item* farge = q.find_item("farge");
  REQUIRE(farge->options.size() == 3);
  CHECK(farge->options[1].display.get("nb") == "Grønn");
  REQUIRE(farge->initial.size() == 1);
  CHECK(farge->initial[0].text == "g");
  const Item* hyppighet = q.find_item("hyppighet");  // from the contained ValueSet
  REQUIRE(hyppighet->options.size() == 3);
  CHECK(hyppighet->options[2].code == "ofte");
  CHECK(noted(f, "valg", "repeating group"));

  // enableWhen with every operator, enableBehavior all and any.
  std::map<std::string, std::string> ops;
  for (const auto* item : all)
    for (const auto& c : item->enable_when) ops[c.op] = item->link_id;
  for (const char* op : {"=", "!=", ">", "<", ">=", "<=", "exists"}) CHECK_MESSAGE(ops.count(op), op);
  CHECK(q.find_item("voksen")->enable_when_all);
  CHECK_FALSE(q.find_item("fodt-etter")->enable_when_all);
  CHECK(q.find_item("hvis-ikke-rod")->enable_when[0].answer.kind == AnswerValue::Kind::Coding);

  // What the kiosk cannot carry is listed with the channels that could.
  struct Expect {
    const char* link;
    const char* why;
    bool screen, paper, recognition;
  };
  for (const auto& e : std::vector<Expect>{{"vekt", "decimal number", false, false, false},
                                           {"hoyde", "a number with a unit", false, false, false},
                                           {"tidspunkt", "time of day", false, false, false},
                                           {"klokka", "no boxes for a time", false, false, false},
                                           {"annet-valg", "answer of their own", false, false, false},
                                           {"vedlegg", "file to attach", false, true, false},
                                           {"flere", "several answers", false, true, true},
                                           {"skjult", "hidden", false, false, false},
                                           {"sum", "calculated", false, false, false},
                                           {"bare-pdf", "PDF", false, false, false},
                                           {"mottaker", "receiver", false, false, false},
                                           {"avhengig", "\"vekt\", which is left out", false, false, false},
                                           {"ikke-stottet", "none of its items", false, false, false}}) {
    const auto* u = left_out(f, e.link);
    REQUIRE_MESSAGE(u, e.link);
    CHECK_MESSAGE(u->why.find(e.why) != std::string::npos, e.link, ": ", u->why);
    CHECK(u->supported.screen == e.screen);
    CHECK(u->supported.paper == e.paper);
    CHECK(u->supported.recognition == e.recognition);
    CHECK_FALSE(q.find_item(e.link));
  }
  // Nothing silently dropped: every source item is in the form, or listed as left out.
  CHECK(f.unsupported.size() == 14);
  CHECK(left_out(f, "vekt-hjelp"));  // the help of a question left out goes with it, counted once
  CHECK(all.size() + f.unsupported.size() == f.items);

  // The form file keeps its source and says what was left out.
  bool from = false;
  int left = 0;
  for (const auto& e : f.catalogue_form["extension"]) {
    from = from || (e["url"] == kImportedFromExtension && e["valueUri"] == f.url);
    left += e["url"] == kImportLeftOutExtension ? 1 : 0;
  }
  CHECK(from);
  CHECK(left == 14);
  CHECK(q.can_be_performed_by == "2");
  CHECK(q.representation == std::vector<std::string>{"self"});
}

TEST_CASE("questionnaire import: a required item the kiosk cannot carry makes the form not offered, with the reason") {
  const auto forms = import_questionnaire_file(sample("required-quantity.json"));
  REQUIRE(forms.size() == 1);
  CHECK_FALSE(forms[0].offered);
  CHECK_FALSE(forms[0].supported.screen);
  CHECK(forms[0].not_offered.find("\"vekt\" (quantity)") != std::string::npos);
  CHECK(forms[0].catalogue_form.is_null());
  CHECK(forms[0].url == "Questionnaire/9002");

  // Screen only: a required multiple choice is fine on paper and in recognition.
  json q = json::parse(read(sample("required-quantity.json")));
  q["item"][1] = {{"linkId", "flere"},
                  {"type", "choice"},
                  {"text", "Hva gjelder?"},
                  {"required", true},
                  {"repeats", true},
                  {"answerOption", json::array({{{"valueCoding", {{"code", "a"}, {"display", "A"}}}}})}};
  const auto multi = import_questionnaires(q.dump(), "multi.json");
  CHECK_FALSE(multi[0].offered);
  CHECK_FALSE(multi[0].supported.screen);
  CHECK(multi[0].supported.paper);
  CHECK(multi[0].supported.recognition);
}

TEST_CASE("questionnaire import: language variants in a Bundle become the form's translations") {
  const auto forms = import_questionnaire_file(sample("language-variants-bundle.json"));
  REQUIRE(forms.size() == 1);
  const auto& f = forms[0];
  REQUIRE(f.offered);
  CHECK(f.languages == std::vector<std::string>{"nb", "nn", "en"});
  CHECK(f.form.title.get("nn") == "Språktest nynorsk");
  CHECK(f.form.find_item("svar")->text.get("en") == "Which answer?");
  CHECK(f.form.find_item("svar")->options[0].display.get("nn") == "Fyrste");

  // A variant alone (no bokmål) is reported, not offered under a wrong language.
  json b = json::parse(read(sample("language-variants-bundle.json")));
  b["entry"].erase(0);
  const auto alone = import_questionnaires(b.dump(), "bundle.json");
  REQUIRE(alone.size() == 2);
  for (const auto& a : alone) {
    CHECK_FALSE(a.offered);
    CHECK(a.not_offered.find("no bokmål version") != std::string::npos);
  }
}

TEST_CASE("questionnaire import: a long form is split into parts of at most 40 questions") {
  const auto forms = import_questionnaire_file(sample("long-form.json"));
  REQUIRE(forms.size() == 1);
  const auto& f = forms[0];
  REQUIRE(f.offered);
  CHECK(f.items == 282);
  CHECK(f.parts == 12);
  CHECK(f.form.items.size() == 12);
  int questions = 0;
  for (const auto& part : f.form.items) {
    int in_part = 0;
    for (const auto& item : part.items) in_part += item.type == ItemType::Display ? 0 : 1;
    CHECK(in_part <= kImportMaxQuestionsPerPart);
    questions += in_part;
  }
  CHECK(questions == 270);
  CHECK(f.form.items[0].text.get("nb") == "Seksjon 1 (1/2)");
  CHECK(f.form.items[1].text.get("nb") == "Seksjon 1 (2/2)");
  CHECK(f.form.find_item("g6-q45"));
}

TEST_CASE("questionnaire import: bad input gives a plain error naming the file, never a crash") {
  const std::string valid = read(sample("all-constructs.json"));
  struct Case {
    std::string text, error;
  };
  json dup = json::parse(valid);
  dup["item"][1]["linkId"] = "intro";
  json no_link = json::parse(valid);
  no_link["item"][0].erase("linkId");
  json nowhere = json::parse(valid);
  nowhere["item"][3]["item"][3]["enableWhen"] = json::array({{{"question", "no-such"}, {"operator", "exists"},
                                                              {"answerBoolean", true}}});
  json bad_op = json::parse(valid);
  bad_op["item"][3]["item"][3]["enableWhen"][0]["operator"] = "~";
  json cycle = json::parse(read(sample("bad-cycle.json")));
  json deep = {{"resourceType", "Questionnaire"}, {"language", "nb-NO"}};
  json* at = &deep;
  for (int i = 0; i < 30; ++i) {
    (*at)["item"] = json::array({{{"linkId", "l" + std::to_string(i)}, {"type", "group"}, {"text", "G"}}});
    at = &(*at)["item"][0];
  }
  json many = {{"resourceType", "Questionnaire"}, {"language", "nb-NO"}, {"item", json::array()}};
  for (int i = 0; i < 5001; ++i)
    many["item"].push_back({{"linkId", "q" + std::to_string(i)}, {"type", "boolean"}, {"text", "Q"},
                            {"enableWhen", json::array({{{"question", "q0"}, {"operator", "exists"},
                                                         {"answerBoolean", true}}})}});
  const std::vector<Case> cases = {
      {"", "not valid JSON"},
      {valid.substr(0, valid.size() / 2), "not valid JSON"},
      {"[1, 2]", "not a FHIR resource"},
      {R"({"resourceType": "Patient", "id": "p"})", "is of resourceType \"Patient\", not a Questionnaire"},
      {R"({"resourceType": "Bundle", "entry": [{"resource": {"resourceType": "Observation"}}]})",
       "is of resourceType \"Observation\", not a Questionnaire"},
      {R"({"resourceType": "Bundle", "entry": []})", "holds no Questionnaire"},
      {R"({"resourceType": "Questionnaire", "item": {"linkId": "a"}})", "must be a list"},
      {no_link.dump(), "has no linkId"},
      {dup.dump(), "the linkId \"intro\" is used by two items"},
      {nowhere.dump(), "the form has no item with that linkId"},
      {bad_op.dump(), "operator \"~\" is not a FHIR one"},
      {cycle.dump(), "depend on each other in a circle"},
      {deep.dump(), "nested more than 20 levels"},
      {many.dump(), "more than 5000 items"},
      {std::string(200000, '['), "nested more than 100 levels"},
      {std::string(kImportMaxFileBytes + 1, ' '), "larger than 16 MiB"},
  };
  for (const auto& c : cases) {
    const std::string e = error_of(c.text);
    CHECK_MESSAGE(e.find(c.error) != std::string::npos, "want \"", c.error, "\", got \"", e, "\"");
    CHECK(e.rfind("input.json", 0) == 0);  // the file is named first
  }
  CHECK_THROWS_AS(import_questionnaire_file(sample("no-such-file.json")), FormError);
  CHECK_THROWS_AS(import_questionnaire_file(sample("")), FormError);  // a folder
}

TEST_CASE("questionnaire import: truncated and damaged files are refused or imported, never a crash") {
  const std::string valid = read(sample("all-constructs.json"));
  int refused = 0, imported = 0;
  for (size_t cut = 0; cut < valid.size(); cut += 37) {
    try {
      import_questionnaires(valid.substr(0, cut), "cut.json");
      ++imported;
    } catch (const FormError&) {
      ++refused;
    }
  }
  CHECK(refused > 300);
  CHECK(imported == 0);  // a cut JSON text is never valid
  // Damaged values: every value in turn replaced by another JSON type. Any exception other
  // than FormError (a JSON type error, say) fails the test.
  const json doc = json::parse(valid);
  const auto flat = doc.flatten();
  int survived = 0, tried = 0, n = 0;
  for (const auto& [pointer, value] : flat.items()) {
    if (n++ % 3 != 0) continue;  // a third of the values keeps the test short
    for (const json& other : {json(nullptr), json(7), json::object()}) {
      ++tried;
      json broken = doc;
      broken[json::json_pointer(pointer)] = other;
      try {
        import_questionnaires(broken.dump(), "damaged.json");
        ++survived;
      } catch (const FormError&) {
        ++survived;
      }
    }
  }
  CHECK(tried > 200);
  CHECK(survived == tried);
}

TEST_CASE("questionnaire import: offered forms written into a folder load as a proposed catalogue form with their source") {
  TempDir dir("kiosk-import-catalogue");
  auto forms = import_questionnaire_file(sample("all-constructs.json"), ImportOptions{"costs-and-travel"});
  auto refused = import_questionnaire_file(sample("required-quantity.json"));
  forms.insert(forms.end(), refused.begin(), refused.end());
  const auto written = write_imported_forms(dir.path, forms);
  REQUIRE(written.size() == 1);  // the form not offered is not written
  CHECK(written[0] == dir.path / "test-alle-konstruksjoner.json");
  CHECK_FALSE(std::filesystem::exists(dir.path / "test-maaling.json"));

  const auto catalogue = Catalogue::load_directory(dir.path);
  const Questionnaire& q = catalogue.at("test-alle-konstruksjoner");
  CHECK(q.proposed());
  CHECK(q.category == "costs-and-travel");
  REQUIRE(q.owner);
  CHECK(q.owner->code == kImportDefaultOwner);
  CHECK(q.status_note.find("http://example.org/fhir/Questionnaire/test-alle-konstruksjoner") != std::string::npos);
  CHECK(q.url == "http://example.org/fhir/Questionnaire/test-alle-konstruksjoner");
  // Importing again replaces the form; the folder still loads.
  CHECK(write_imported_forms(dir.path, forms).size() == 1);
  CHECK(Catalogue::load_directory(dir.path).forms().size() == 1);
}

TEST_CASE("questionnaire import: with a named owner the form is official, cited by its url") {
  TempDir dir("kiosk-import-owner");
  {
    std::ofstream out(dir.path / kOwnersFileName);
    out << R"({"owners": {"helfo": {"name": "Helfo", "postal_address": "Helfo, Postboks 2415, 3104 Tønsberg",
              "web": "helfo.no", "source": "https://www.helfo.no/"}}, "forms": {}})";
  }
  const auto forms = import_questionnaire_file(sample("all-constructs.json"));
  CHECK_THROWS_WITH_AS(write_imported_forms(dir.path, forms, "no-such-owner"),
                       doctest::Contains("has no owner \"no-such-owner\""), FormError);
  CHECK_FALSE(std::filesystem::exists(dir.path / "test-alle-konstruksjoner.json"));
  write_imported_forms(dir.path, forms, "helfo");
  const auto catalogue = Catalogue::load_directory(dir.path);
  const Questionnaire& q = catalogue.at("test-alle-konstruksjoner");
  CHECK(q.catalogue_status == FormStatus::Official);
  CHECK(q.owner->code == "helfo");
  CHECK(q.status_source == "http://example.org/fhir/Questionnaire/test-alle-konstruksjoner");
}

TEST_CASE("questionnaire import: a folder with other forms but no owners file, or a hand-written form of the same id, is refused before writing") {
  TempDir dir("kiosk-import-foreign");
  { std::ofstream(dir.path / "someone-elses.json") << "{}"; }
  { std::ofstream(dir.path / "test-alle-konstruksjoner.json") << R"({"resourceType": "Questionnaire"})"; }
  const auto forms = import_questionnaire_file(sample("all-constructs.json"));
  // A hand-written form of the same id is never replaced.
  CHECK_THROWS_WITH_AS(write_imported_forms(dir.path, forms), doctest::Contains("a form that was not imported"),
                       FormError);
  std::filesystem::remove(dir.path / "test-alle-konstruksjoner.json");
  CHECK_THROWS_WITH_AS(write_imported_forms(dir.path, forms), doctest::Contains("holds forms but no owners.json"),
                       FormError);
  CHECK_FALSE(std::filesystem::exists(dir.path / "test-alle-konstruksjoner.json"));
  CHECK_FALSE(std::filesystem::exists(dir.path / kOwnersFileName));
}

TEST_CASE("questionnaire import: the report has the documented JSON shape") {
  auto forms = import_questionnaire_file(sample("required-quantity.json"));
  const json report = import_report_json(forms);
  REQUIRE(report["forms"].size() == 1);
  const json& f = report["forms"][0];
  CHECK(f["url"] == "Questionnaire/9002");
  CHECK(f["title"] == "Måling");
  CHECK(f["items"] == 2);
  CHECK(f["supported"] == json{{"screen", false}, {"paper", false}, {"recognition", false}});
  CHECK(f["offered"] == false);
  CHECK(f["not_offered"].get<std::string>().find("vekt") != std::string::npos);
  REQUIRE(f["unsupported"].size() == 1);
  CHECK(f["unsupported"][0]["linkId"] == "vekt");
  CHECK(f["unsupported"][0]["type"] == "quantity");
  CHECK(f["unsupported"][0]["why"].get<std::string>().find("unit") != std::string::npos);
}
