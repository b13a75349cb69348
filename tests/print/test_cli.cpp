// kioskctl layout / print / print-receipt run as a real process, good and bad input.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "forms/answers.hpp"
#include "forms/questionnaire_import.hpp"
#include "print/layout.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

struct CliFixture {
  print_test::TempDir dir;
  fs::path config = dir.path() / "kiosk.toml";
  fs::path key = dir.path() / "qr.key";
  std::string form_id = print_test::catalogue().forms().front().id;

  CliFixture() {
    std::ofstream(key) << "0123456789abcdef0123456789abcdef";
    write_config("");
  }
  void write_config(const std::string& extra) {
    std::ofstream(config) << "[print]\nmac_key_file = \"" << key.string() << "\"\n" << extra;
  }
  print_test::RunResult kioskctl(std::vector<std::string> args) {
    args.insert(args.begin(), print_test::kioskctl().string());
    return print_test::run(args);
  }
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

TEST_CASE_FIXTURE(CliFixture, "cli: layout --json prints the library's field map") {
  auto r = kioskctl({"layout", form_id, "--lang", "nb", "--json", "--large-print"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  const auto j = nlohmann::json::parse(r.output);
  const auto expected = print::field_map_json(
      print::layout_form(print_test::catalogue().at(form_id), "nb", {true}, print_test::layout_context()));
  CHECK(j == expected);
  CHECK(j["large_print"] == true);
}

TEST_CASE_FIXTURE(CliFixture, "cli: print --out writes a PDF with answers, print-receipt writes a receipt") {
  const auto& form = print_test::catalogue().at(form_id);
  const auto answers = forms::make_example_answers(form, 5);
  std::ofstream(dir.path() / "answers.json")
      << forms::to_questionnaire_response(form, answers, "in-progress", "2026-01-01T10:00:00+01:00").dump();
  const fs::path out = dir.path() / "form.pdf";
  auto r = kioskctl({"print", form_id, "--lang", "nn", "--out", out.string(), "--answers",
                     (dir.path() / "answers.json").string(), "--submission", "S-1", "--config", config.string()});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(slurp(out).rfind("%PDF-", 0) == 0);

  const fs::path receipt = dir.path() / "receipt.pdf";
  r = kioskctl({"print-receipt", "--reference", "HN-77", "--form", form_id, "--lang", "en", "--out", receipt.string(),
                "--config", config.string()});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  auto text = print_test::run({"pdftotext", "-q", receipt.string(), "-"});
  CHECK(text.output.find("HN-77") != std::string::npos);
  CHECK(text.output.find("Receipt") != std::string::npos);
}

TEST_CASE_FIXTURE(CliFixture, "cli: print --questionnaire prints a platform Questionnaire whose QR codes decode") {
  const fs::path questionnaire = fs::path(KIOSK_SOURCE_DIR) / "tests/unit/questionnaires/all-constructs.json";
  const fs::path out = dir.path() / "imported.pdf";
  auto r = kioskctl({"print", "--questionnaire", questionnaire.string(), "--lang", "nb", "--out", out.string(),
                     "--submission", "S-IMP", "--config", config.string()});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  // The layout printed is the one `layout --questionnaire` describes and the import gives.
  const auto imported = forms::import_questionnaire_file(questionnaire);
  REQUIRE(imported.at(0).offered);
  const auto layout = print::layout_form(imported[0].form, "nb", {}, print_test::layout_context());
  r = kioskctl({"layout", "--questionnaire", questionnaire.string(), "--lang", "nb", "--json"});
  REQUIRE_MESSAGE(r.exit_code == 0, r.output);
  CHECK(nlohmann::json::parse(r.output) == print::field_map_json(layout));
  const auto pages = print_test::rasterise(out, 150, dir.path(), "imported", /*png=*/false);
  REQUIRE(pages.size() == layout.pages.size());
  const auto mac = print::MacKey::load_file(key);
  for (std::size_t i = 0; i < pages.size(); ++i) {
    const auto& qr = layout.pages[i].qr;
    const auto text = print_test::decode_qr(
        print_test::crop(print_test::read_pgm(pages[i]), 150, {qr.x - 8, qr.y - 8, qr.w + 16, qr.h + 16}));
    REQUIRE_MESSAGE(text.has_value(), "no QR code on page ", i + 1);
    const auto parsed = print::parse_qr_payload(*text, mac);
    REQUIRE_MESSAGE(parsed.ok(), parsed.reason);
    CHECK(parsed.payload->form_id == "test-alle-konstruksjoner");
    CHECK(parsed.payload->version == "3.2");
    CHECK(parsed.payload->page == static_cast<int>(i + 1));
    CHECK(parsed.payload->submission_id == "S-IMP");
  }
}

TEST_CASE_FIXTURE(CliFixture, "cli: bad input gives a clear error and exit code, and leaves no file behind") {
  const fs::path out = dir.path() / "out.pdf";
  auto expect = [&](std::vector<std::string> args, int code, const std::string& message) {
    INFO(args[0] << " ... expecting " << code << " and '" << message << "'");
    auto r = kioskctl(args);
    INFO(r.output);
    CHECK(r.exit_code == code);
    CHECK(r.output.find(message) != std::string::npos);
    CHECK_FALSE(fs::exists(out));
    for (const auto& e : fs::directory_iterator(dir.path()))  // no temporary file left either
      CHECK(e.path().filename().string().rfind(".out.pdf", 0) == std::string::npos);
  };
  expect({"print", "no-such-form", "--lang", "nb", "--out", out.string(), "--config", config.string()}, 3,
         "There is no form with id \"no-such-form\"");
  expect({"print", form_id, "--lang", "xx", "--out", out.string(), "--config", config.string()}, 2,
         "Unknown language \"xx\"");
  expect({"layout", form_id, "--lang", "xx", "--json"}, 2, "Unknown language");
  expect({"layout", "no-such-form", "--lang", "nb", "--json"}, 3, "There is no form");
  expect({"print"}, 2, "Usage: kioskctl print");
  expect({"print", form_id, "--lang", "nb", "--out", out.string(), "--bogus"}, 2, "Usage: kioskctl print");

  // Answers that do not fit the form: an unknown linkId, a wrong type, a value too long for its boxes.
  std::ofstream(dir.path() / "unknown.json") << R"({"no.such.question": "x"})";
  expect({"print", form_id, "--lang", "nb", "--out", out.string(), "--answers", (dir.path() / "unknown.json").string(),
          "--config", config.string()},
         3, "no.such.question");
  std::ofstream(dir.path() / "broken.json") << "{ not json";
  expect({"print", form_id, "--lang", "nb", "--out", out.string(), "--answers", (dir.path() / "broken.json").string(),
          "--config", config.string()},
         3, "not valid JSON");
  const auto& form = print_test::catalogue().at(form_id);
  std::string name_item;
  for (const auto* item : form.all_items())
    if (item->print_boxes() == forms::PrintBoxes::Letters) name_item = item->link_id;
  if (!name_item.empty()) {
    std::ofstream(dir.path() / "long.json") << nlohmann::json{{name_item, std::string(80, 'A')}}.dump();
    expect({"print", form_id, "--lang", "nb", "--out", out.string(), "--answers", (dir.path() / "long.json").string(),
            "--config", config.string()},
           3, name_item);
  }
}

TEST_CASE_FIXTURE(CliFixture, "cli: missing font, missing key and unwritable output are reported with exit code 4") {
  const fs::path out = dir.path() / "out.pdf";
  write_config("font_dir = \"" + (dir.path() / "no-fonts").string() + "\"\n");
  auto r = kioskctl({"print", form_id, "--lang", "nb", "--out", out.string(), "--config", config.string()});
  CHECK(r.exit_code == 4);
  CHECK(r.output.find("fonts-dejavu-core") != std::string::npos);
  CHECK_FALSE(fs::exists(out));

  write_config("");
  fs::remove(key);
  r = kioskctl({"print", form_id, "--lang", "nb", "--out", out.string(), "--config", config.string()});
  CHECK(r.exit_code == 4);
  CHECK(r.output.find("key file") != std::string::npos);
  CHECK_FALSE(fs::exists(out));

  std::ofstream(key) << "0123456789abcdef0123456789abcdef";
  r = kioskctl({"print", form_id, "--lang", "nb", "--out", (dir.path() / "missing-dir" / "x.pdf").string(), "--config",
                config.string()});
  CHECK(r.exit_code == 4);
  CHECK(r.output.find("does not exist") != std::string::npos);
  r = kioskctl({"print", form_id, "--lang", "nb", "--out", dir.path().string(), "--config", config.string()});
  CHECK(r.exit_code == 4);
  CHECK(r.output.find("is a folder") != std::string::npos);
}
