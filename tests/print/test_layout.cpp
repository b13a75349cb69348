#include <doctest/doctest.h>

#include <map>
#include <set>

#include "print/error.hpp"
#include "print/layout.hpp"
#include "support.hpp"

namespace {

const std::vector<std::string> kLangs = {"nb", "nn", "en"};

bool inside(const print::RectMm& inner, double x0, double y0, double x1, double y1) {
  return inner.x >= x0 - 1e-6 && inner.y >= y0 - 1e-6 && inner.x + inner.w <= x1 + 1e-6 &&
         inner.y + inner.h <= y1 + 1e-6;
}
bool overlaps(const print::RectMm& a, const print::RectMm& b) {
  return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
}

// A long synthetic form: many questions of every kind, so it needs several pages.
forms::Questionnaire long_form() {
  forms::Questionnaire q;
  q.id = "long-test";
  q.version = "3";
  q.title = forms::LocalizedText("Langt testskjema");
  q.signature_required = true;
  forms::Item group;
  group.link_id = "g";
  group.type = forms::ItemType::Group;
  group.text = forms::LocalizedText("Spørsmål");
  for (int i = 0; i < 30; ++i) {
    forms::Item item;
    item.link_id = "q" + std::to_string(i);
    item.text = forms::LocalizedText("Spørsmål nummer " + std::to_string(i) + " med æ, ø, å og čđŋšŧž");
    switch (i % 5) {
      case 0:
        item.type = forms::ItemType::Text;
        break;
      case 1:
        item.type = forms::ItemType::Date;
        break;
      case 2:
        item.type = forms::ItemType::Choice;
        for (int o = 0; o < 4; ++o)
          item.options.push_back({"c" + std::to_string(o), forms::LocalizedText("Valg " + std::to_string(o))});
        break;
      case 3:
        item.type = forms::ItemType::String;
        item.input_kind = forms::InputKind::IdentityNumber;
        break;
      default:
        item.type = forms::ItemType::Boolean;
        break;
    }
    if (i == 4) {
      forms::EnableWhen ew;
      ew.question = "q2";
      ew.op = "=";
      ew.answer = forms::AnswerValue::of_coding("c1");
      item.enable_when.push_back(ew);
    }
    group.items.push_back(item);
  }
  q.items.push_back(group);
  return q;
}

void check_layout_rules(const forms::Questionnaire& form, const print::FormLayout& layout) {
  INFO(form.id << " " << layout.lang << std::string(layout.options.large_print ? " large" : ""));
  REQUIRE_FALSE(layout.pages.empty());
  std::map<std::string, std::set<int>> pages_of;
  for (const auto& f : layout.fields) {
    INFO(f.link_id);
    CHECK(f.page >= 1);
    CHECK(f.page <= static_cast<int>(layout.pages.size()));
    REQUIRE_FALSE(f.boxes.empty());
    pages_of[f.link_id].insert(f.page);
    const auto& page = layout.pages[static_cast<std::size_t>(f.page - 1)];
    for (const auto& b : f.boxes) {
      // Every answer box is inside the content area: clear of corner marks, QR code and footer.
      CHECK(inside(b, 19.9, 15.0, 190.1, 275.0));
      CHECK_FALSE(overlaps(b, page.qr));
      for (const auto& m : page.corner_marks) CHECK_FALSE(overlaps(b, m));
      if (f.kind == print::FieldKind::Tick) {
        CHECK(b.w >= 6.0);
        CHECK(b.h >= 6.0);
      }
    }
  }
  // A question is never split across pages.
  for (const auto& [id, pages] : pages_of) {
    INFO(id);
    CHECK(pages.size() == 1);
  }
  // Every answerable item has its boxes, with the right count.
  for (const forms::Item* item : form.all_items()) {
    INFO(item->link_id);
    auto kind = item->print_boxes();
    if (kind == forms::PrintBoxes::None) continue;
    std::vector<const print::Field*> fields;
    for (const auto& f : layout.fields)
      if (f.link_id == item->link_id) fields.push_back(&f);
    REQUIRE_FALSE(fields.empty());
    if (kind == forms::PrintBoxes::Digits || kind == forms::PrintBoxes::Letters) {
      REQUIRE(fields.size() == 1);
      CHECK(static_cast<int>(fields[0]->boxes.size()) == item->box_count());
      CHECK(fields[0]->kind ==
            (kind == forms::PrintBoxes::Digits ? print::FieldKind::Digits : print::FieldKind::Letters));
    } else if (kind == forms::PrintBoxes::Ticks) {
      std::set<std::string> options;
      for (const auto* f : fields) options.insert(f->option);
      if (item->type == forms::ItemType::Boolean) {
        CHECK(options == std::set<std::string>{"true", "false"});
      } else {
        CHECK(options.size() == item->options.size());
        for (const auto& o : item->options) CHECK(options.count(o.code) == 1);
      }
    } else if (kind == forms::PrintBoxes::Lines) {
      CHECK(fields[0]->kind == print::FieldKind::Text);
    }
  }
  if (form.signature_required) {
    CHECK(pages_of.count("signature") == 1);
    CHECK(pages_of.count("signature.place") == 1);
    CHECK(pages_of.count("signature.date") == 1);
  }
  // Footer "side k av n" on every page, translated.
  for (const auto& page : layout.pages) {
    const std::string expected = print_test::translations().format(
        layout.lang, "print.footer.page",
        {{"page", std::to_string(page.number)}, {"pages", std::to_string(layout.pages.size())}});
    bool found = false;
    for (const auto& t : page.texts) found = found || t.text == expected;
    CHECK_MESSAGE(found, expected);
  }
}

}  // namespace

TEST_CASE("layout: every catalogue form in nb, nn, en (normal and large print) follows the page rules") {
  const auto ctx = print_test::layout_context();
  REQUIRE_FALSE(print_test::catalogue().forms().empty());
  for (const auto& form : print_test::catalogue().forms())
    for (const auto& lang : kLangs)
      for (bool large : {false, true}) check_layout_rules(form, print::layout_form(form, lang, {large}, ctx));
}

TEST_CASE("layout: a long form breaks across pages without splitting a question") {
  const auto ctx = print_test::layout_context();
  const auto form = long_form();
  for (bool large : {false, true}) {
    const auto layout = print::layout_form(form, "nb", {large}, ctx);
    CHECK(layout.pages.size() >= 3);
    check_layout_rules(form, layout);
  }
  CHECK(print::layout_form(form, "nb", {true}, ctx).pages.size() >
        print::layout_form(form, "nb", {false}, ctx).pages.size());
}

TEST_CASE("layout: the same inputs give a byte-identical field map, answers do not move boxes") {
  const auto ctx = print_test::layout_context();
  for (const auto& form : print_test::catalogue().forms()) {
    const auto a = print::field_map_json(print::layout_form(form, "nb", {}, ctx)).dump();
    const auto b = print::field_map_json(print::layout_form(form, "nb", {}, ctx)).dump();
    CHECK(a == b);
    const auto answers = forms::make_example_answers(form, 7);
    const auto filled = print::layout_form(form, "nb", {}, ctx, &answers);
    CHECK(print::field_map_json(filled).dump() == a);
    // Pre-filled values are drawn, inside their boxes.
    int values = 0;
    for (const auto& page : filled.pages)
      for (const auto& t : page.texts)
        if (t.is_value) ++values;
    CHECK(values > 0);
    // The postal address (footer text only) does not move anything either.
    auto other = ctx;
    other.postal_address = "Et helt annet sted, 9999 Langt unna";
    CHECK(print::field_map_json(print::layout_form(form, "nb", {}, other)).dump() == a);
  }
}

TEST_CASE("layout: field map JSON has the documented shape") {
  const auto ctx = print_test::layout_context();
  const auto& form = print_test::catalogue().forms().front();
  const auto j = print::field_map_json(print::layout_form(form, "nn", {}, ctx));
  CHECK(j["form"] == form.id);
  CHECK(j["version"] == form.version);
  CHECK(j["lang"] == "nn");
  CHECK(j["page_size_mm"] == nlohmann::json::array({210.0, 297.0}));
  CHECK(j["pages"].get<int>() >= 1);
  CHECK(j["corner_marks"].size() == j["pages"].get<std::size_t>());
  CHECK(j["qr"].size() == j["pages"].get<std::size_t>());
  for (const auto& f : j["fields"]) {
    CHECK(f.contains("linkId"));
    const std::string kind = f["kind"];
    CHECK((kind == "digits" || kind == "letters" || kind == "tick" || kind == "text" || kind == "signature"));
    CHECK(f["page"].get<int>() >= 1);
    CHECK(f.contains("option") == (kind == "tick"));
    for (const auto& b : f["boxes"])
      for (const char* k : {"x", "y", "w", "h"}) CHECK(b[k].is_number());
  }
}

TEST_CASE("layout: enableWhen questions carry an 'only if' note, sections start with an instruction") {
  const auto ctx = print_test::layout_context();
  const auto form = long_form();
  for (const auto& lang : kLangs) {
    const auto layout = print::layout_form(form, lang, {}, ctx);
    const std::string note = print_test::translations().format(
        lang, "print.only_if", {{"question", form.items[0].items[2].text.get(lang)}, {"answer", "Valg 1"}});
    const std::string instruction = print_test::translations().text(lang, "print.instruction.ticks");
    bool note_found = false, instruction_found = false;
    std::string all;
    for (const auto& page : layout.pages)
      for (const auto& t : page.texts) all += t.text + " ";
    note_found = all.find(note.substr(0, 20)) != std::string::npos && all.find("Valg 1") != std::string::npos;
    instruction_found = all.find(instruction) != std::string::npos;
    CHECK_MESSAGE(note_found, note);
    CHECK(instruction_found);
  }
}

TEST_CASE("layout: unknown language and missing fonts are clear errors") {
  auto ctx = print_test::layout_context();
  const auto& form = print_test::catalogue().forms().front();
  CHECK_THROWS_WITH_AS(print::layout_form(form, "xx", {}, ctx), doctest::Contains("unknown language"),
                       print::PrintError);
  ctx.fonts.regular = "/nonexistent/DejaVuSans.ttf";
  try {
    print::layout_form(form, "nb", {}, ctx);
    FAIL("expected a PrintError");
  } catch (const print::PrintError& e) {
    CHECK(e.code() == "font-missing");
    CHECK(std::string(e.what()).find("/nonexistent/DejaVuSans.ttf") != std::string::npos);
  }
}

TEST_CASE("layout: the post line names the form's owner, and a proposed form says so on the sheet") {
  const auto ctx = print_test::layout_context();
  auto all_text = [](const print::FormLayout& l, int page) {
    std::string s;
    // Joined with spaces: a wrapped line splits at a space.
    for (const auto& t : l.pages.at(static_cast<size_t>(page)).texts) s += t.text + " ";
    return s;
  };
  // An owner with a sourced address: its address, not site.postal_address.
  const auto& travel = print_test::catalogue().at("pasientreiser");
  const auto l = print::layout_form(travel, "nb", {}, ctx);
  for (size_t p = 0; p < l.pages.size(); ++p) {
    const auto text = all_text(l, static_cast<int>(p));
    CHECK(text.find("Pasientreiser HF, Postboks 2533 Kjørbekk, 3702 Skien") != std::string::npos);
    CHECK(text.find(ctx.postal_address) == std::string::npos);
  }
  CHECK(all_text(l, 0).find(print_test::translations().text("nb", "print.proposed").substr(0, 20)) == std::string::npos);
  // An owner without a sourced address: its web page. A proposed form: said in plain words on page 1.
  const auto& donor = print_test::catalogue().at("organdonasjon");
  REQUIRE(donor.proposed());
  const auto d = print::layout_form(donor, "nn", {}, ctx);
  const auto first = all_text(d, 0);
  CHECK(first.find("Adressa til Norsk helsenett står på helsenorge.no.") != std::string::npos);
  CHECK(first.find("Dette skjemaet er eit forslag frå kiosken.") != std::string::npos);
  // ... and does not print an official name it does not have.
  REQUIRE_FALSE(donor.official_title.empty());
  CHECK(first.find(donor.official_title.get("nn")) == std::string::npos);
  // A form without an owner (not from the catalogue) falls back to site.postal_address.
  auto plain = travel;
  plain.owner.reset();
  CHECK(all_text(print::layout_form(plain, "nb", {}, ctx), 0).find(ctx.postal_address) != std::string::npos);
}
