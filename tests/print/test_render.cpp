#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <set>

#include "print/error.hpp"
#include "print/layout.hpp"
#include "print/pdf.hpp"
#include "support.hpp"

namespace fs = std::filesystem;

namespace {

constexpr int kDpi = 150;

print::RectMm shrink(const print::RectMm& r, double by) {
  return {r.x + by, r.y + by, r.w - 2 * by, r.h - 2 * by};
}

// Renders one form, rasterises it, and checks every page's QR code and corner marks against
// the layout map.
void check_rendered_form(const forms::Questionnaire& form, const std::string& lang, bool large, const fs::path& dir) {
  INFO(form.id << " " << lang << std::string(large ? " large" : ""));
  const auto ctx = print_test::layout_context();
  const auto key = print_test::test_key();
  const auto answers = forms::make_example_answers(form, 3);
  const auto layout = print::layout_form(form, lang, {large}, ctx, &answers);
  const std::string submission = "SUB-" + lang + (large ? "-L" : "");
  const std::string pdf = print::render_form_pdf(layout, submission, key, ctx.fonts);
  const std::string stem = form.id + "-" + lang + (large ? "-L" : "");
  const fs::path pdf_file = dir / (stem + ".pdf");
  print::write_file_atomically(pdf_file, pdf);
  CHECK(pdf.find("/Lang (" + lang + ")") != std::string::npos);

  const auto pages = print_test::rasterise(pdf_file, kDpi, dir, stem, /*png=*/false);
  REQUIRE(pages.size() == layout.pages.size());
  for (std::size_t i = 0; i < pages.size(); ++i) {
    INFO("page " << i + 1);
    const auto image = print_test::read_pgm(pages[i]);
    CHECK(std::abs(image.width - static_cast<int>(std::lround(210 / 25.4 * kDpi))) <= 1);
    const auto& qr = layout.pages[i].qr;
    const auto text = print_test::decode_qr(print_test::crop(image, kDpi, {qr.x - 8, qr.y - 8, qr.w + 16, qr.h + 16}));
    REQUIRE_MESSAGE(text.has_value(), "no QR code found");
    const auto parsed = print::parse_qr_payload(*text, key);
    REQUIRE_MESSAGE(parsed.ok(), parsed.reason);
    CHECK(parsed.payload->form_id == form.id);
    CHECK(parsed.payload->version == form.version);
    CHECK(parsed.payload->lang == lang);
    CHECK(parsed.payload->page == static_cast<int>(i + 1));
    CHECK(parsed.payload->page_count == static_cast<int>(pages.size()));
    CHECK(parsed.payload->submission_id == submission);
    CHECK(parsed.payload->large_print == large);
    // The scanner's view: the payload alone rebuilds the same field map.
    const auto rebuilt = print::layout_form(print_test::catalogue().at(parsed.payload->form_id), parsed.payload->lang,
                                            print::layout_options(*parsed.payload), ctx);
    CHECK(print::field_map_json(rebuilt) == print::field_map_json(layout));

    const auto& page = layout.pages[i];
    for (const auto& mark : page.corner_marks) {
      INFO("corner mark at " << mark.x << "," << mark.y);
      CHECK(print_test::dark_fraction(image, kDpi, shrink(mark, 0.5)) > 0.95);
      // A light ring around it: the mark is where the map says, not shifted.
      const print::RectMm ring[] = {{mark.x - 2, mark.y - 2, mark.w + 4, 1.5},
                                    {mark.x - 2, mark.y + mark.h + 0.5, mark.w + 4, 1.5},
                                    {mark.x - 2, mark.y, 1.5, mark.h},
                                    {mark.x + mark.w + 0.5, mark.y, 1.5, mark.h}};
      for (const auto& r : ring) CHECK(print_test::dark_fraction(image, kDpi, r) < 0.02);
    }
    // Tick boxes are drawn where the map says: a dark outline, a light inside (blank boxes).
    for (const auto& f : layout.fields) {
      if (f.page != static_cast<int>(i + 1) || f.kind != print::FieldKind::Tick || answers.has(f.link_id)) continue;
      const auto& b = f.boxes.front();
      CHECK(print_test::dark_fraction(image, kDpi, {b.x, b.y - 0.5, b.w, 1.0}) > 0.2);
      CHECK(print_test::dark_fraction(image, kDpi, shrink(b, 1.0)) < 0.02);
    }
  }
}

void render_all(const std::string& lang) {
  print_test::TempDir dir;
  REQUIRE_FALSE(print_test::catalogue().forms().empty());
  for (const auto& form : print_test::catalogue().forms()) check_rendered_form(form, lang, false, dir.path());
  // Large print for the first form, to check the bigger pages too.
  check_rendered_form(print_test::catalogue().forms().front(), lang, true, dir.path());
}

}  // namespace

TEST_CASE("render: every catalogue form in nb: QR codes decode with a valid MAC, corner marks where the map says") {
  render_all("nb");
}
TEST_CASE("render: every catalogue form in nn: QR codes decode with a valid MAC, corner marks where the map says") {
  render_all("nn");
}
TEST_CASE("render: every catalogue form in en: QR codes decode with a valid MAC, corner marks where the map says") {
  render_all("en");
}

TEST_CASE("render: Norwegian and Sámi letters survive into the PDF text, metadata has title and language") {
  print_test::TempDir dir;
  forms::Questionnaire q;
  q.id = "letters";
  q.version = "1";
  q.title = forms::LocalizedText("Æsj ø å – áčđŋšŧž ÆØÅ ÁČĐŊŠŦŽ");
  q.signature_required = false;
  forms::Item item;
  item.link_id = "a";
  item.type = forms::ItemType::Text;
  item.text = forms::LocalizedText("Hvordan går det med čđŋšŧž?");
  q.items.push_back(item);
  const auto ctx = print_test::layout_context();
  const auto pdf = print::render_form_pdf(print::layout_form(q, "nb", {}, ctx), "", print_test::test_key(), ctx.fonts);
  print::write_file_atomically(dir.path() / "l.pdf", pdf);
  const auto text = print_test::run({"pdftotext", "-q", (dir.path() / "l.pdf").string(), "-"});
  REQUIRE(text.exit_code == 0);
  CHECK(text.output.find("áčđŋšŧž") != std::string::npos);
  CHECK(text.output.find("ÁČĐŊŠŦŽ") != std::string::npos);
  CHECK(text.output.find("Hvordan går det med čđŋšŧž?") != std::string::npos);
  const auto info = print_test::run({"pdfinfo", (dir.path() / "l.pdf").string()});
  CHECK(info.output.find("Title:           Æsj ø å – áčđŋšŧž") != std::string::npos);
  CHECK(info.output.find("A4") != std::string::npos);
  // The fonts are embedded.
  const auto fonts = print_test::run({"pdffonts", (dir.path() / "l.pdf").string()});
  CHECK(fonts.output.find("DejaVuSans") != std::string::npos);
  CHECK(fonts.output.find(" no ") == std::string::npos);  // "emb" column: every font embedded
}

TEST_CASE("render: a receipt has the reference, form, phone and next steps in the chosen language") {
  print_test::TempDir dir;
  const auto& t = print_test::translations();
  for (const std::string lang : {"nb", "nn", "en"}) {
    print::ReceiptInfo info;
    info.reference = "HN-2026-ABC123";
    info.form_id = "reservasjon-kjernejournal";
    info.form_title = "Skjematittel";
    info.lang = lang;
    info.help_phone = "23 32 70 00";
    info.site_name = "Deichman Bjørvika";
    const auto file = dir.path() / ("r-" + lang + ".pdf");
    print::write_file_atomically(file, print::render_receipt_pdf(info, t));
    const auto text = print_test::run({"pdftotext", "-q", file.string(), "-"});
    INFO(lang << ": " << text.output);
    CHECK(text.output.find("HN-2026-ABC123") != std::string::npos);
    CHECK(text.output.find("23 32 70 00") != std::string::npos);
    CHECK(text.output.find(t.text(lang, "receipt.title")) != std::string::npos);
    CHECK(text.output.find(t.text(lang, "receipt.next.heading")) != std::string::npos);
    CHECK(text.output.find("Deichman Bjørvika") != std::string::npos);
  }
  print::ReceiptInfo bad;
  bad.lang = "xx";
  CHECK_THROWS_AS(print::render_receipt_pdf(bad, t), print::PrintError);
}

TEST_CASE("render: writing to an unwritable place fails clearly and leaves no file behind") {
  print_test::TempDir dir;
  CHECK_THROWS_WITH_AS(print::write_file_atomically(dir.path() / "no-such-dir" / "x.pdf", "data"),
                       doctest::Contains("does not exist"), print::PrintError);
  CHECK_THROWS_AS(print::write_file_atomically(dir.path(), "data"), print::PrintError);
  print::write_file_atomically(dir.path() / "ok.pdf", "data");
  std::size_t files = 0;
  for (const auto& e : fs::directory_iterator(dir.path())) {
    (void)e;
    ++files;
  }
  CHECK(files == 1);  // no temporary files left behind
}

// Golden images: three representative renderings, every page compared with a tolerance (and
// every committed golden must be one of them), so any layout
// change is seen. Regenerate with KIOSK_UPDATE_GOLDEN=1 after checking the new look.
TEST_CASE("render: golden images of representative forms match within tolerance") {
  struct Golden {
    std::string name, form, lang;
    bool large;
    bool answers;
  };
  const std::vector<Golden> goldens = {
      {"organdonasjon-nb", "organdonasjon", "nb", false, false},        // short, one page
      {"fullmakt-gi-en-large", "fullmakt-gi", "en", true, false},       // large print, several pages
      {"pasientreiser-nn-filled", "pasientreiser", "nn", false, true},  // long, pre-filled answers
  };
  const fs::path golden_dir = fs::path(KIOSK_SOURCE_DIR) / "tests" / "print" / "golden";
  const bool update = std::getenv("KIOSK_UPDATE_GOLDEN") != nullptr;
  print_test::TempDir dir;
  const auto ctx = print_test::layout_context();
  std::set<std::string> compared;  // golden file names
  for (const auto& g : goldens) {
    INFO(g.name);
    const forms::Questionnaire* form = print_test::catalogue().find(g.form);
    REQUIRE(form);
    const auto answers = forms::make_example_answers(*form, 1);
    const auto layout = print::layout_form(*form, g.lang, {g.large}, ctx, g.answers ? &answers : nullptr);
    print::write_file_atomically(dir.path() / (g.name + ".pdf"),
                                 print::render_form_pdf(layout, "GOLDEN", print_test::test_key(), ctx.fonts));
    const auto pages = print_test::rasterise(dir.path() / (g.name + ".pdf"), 40, dir.path(), g.name);
    REQUIRE_FALSE(pages.empty());
    for (std::size_t i = 0; i < pages.size(); ++i) {
      const fs::path golden = golden_dir / (g.name + "-" + std::to_string(i + 1) + ".png");
      if (update) {
        fs::create_directories(golden_dir);
        fs::copy_file(pages[i], golden, fs::copy_options::overwrite_existing);
        compared.insert(golden.filename().string());
        continue;
      }
      REQUIRE_MESSAGE(fs::exists(golden), golden.string() << " is missing; run with KIOSK_UPDATE_GOLDEN=1");
      const auto want = print_test::read_png(golden);
      const auto got = print_test::read_png(pages[i]);
      REQUIRE(want.width == got.width);
      REQUIRE(want.height == got.height);
      double sum = 0;
      std::size_t big = 0;
      for (std::size_t p = 0; p < want.pixels.size(); ++p) {
        int d = std::abs(int(want.pixels[p]) - int(got.pixels[p]));
        sum += d;
        if (d > 96) ++big;
      }
      const double mean = sum / static_cast<double>(want.pixels.size());
      const double big_fraction = static_cast<double>(big) / static_cast<double>(want.pixels.size());
      INFO("page " << i + 1 << ": mean difference " << mean << ", pixels far off " << big_fraction);
      CHECK(mean < 1.5);
      CHECK(big_fraction < 0.005);
      compared.insert(golden.filename().string());
    }
  }
  // Every golden page was compared, and there is no golden left over (a page the rendering no
  // longer has): the rendered page counts are part of what is checked.
  std::set<std::string> on_disk;
  for (const auto& e : fs::directory_iterator(golden_dir))
    if (e.path().extension() == ".png") on_disk.insert(e.path().filename().string());
  if (update) {
    for (const auto& name : on_disk)
      if (!compared.count(name)) fs::remove(golden_dir / name);
    return;
  }
  for (const auto& name : on_disk)
    CHECK_MESSAGE(compared.count(name) == 1, name << " is committed, but no rendered page was compared with it");
  CHECK(compared.size() == on_disk.size());
}
