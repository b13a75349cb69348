// Verifying what the kiosk printed (issue 17): a pre-filled sheet, rendered by the print library
// exactly as the kiosk prints it, rasterised, signed, changed by hand or not, degraded like a
// scan, registered, and each box compared with a rendering of the printed values.
#include <doctest/doctest.h>

#include <sys/wait.h>

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "corpus.hpp"
#include "forms/answers.hpp"
#include "scan_test_util.hpp"
#include "scanners/recognize.hpp"

namespace {

// One page: identity digits, a date, letter boxes, ticks and the signature block.
const char* kForm = "organdonasjon";
using Change = scancorpus::Generator::HandChange;

struct Fixture {
  scantest::Assets assets;
  scancorpus::Generator generator{assets.catalogue, assets.translations, scantest::test_key(), &scantest::mnist(), 17};
  scanners::Recognizer recognizer{assets.catalogue, assets.translations, scantest::test_key()};

  scanners::PageResult read(const cv::Mat& grey, const scanners::PrintedSheet* printed) {
    scanners::PageImage page;
    page.grey = grey;
    page.source = "test";
    return recognizer.recognize_page(page, printed);
  }
  const forms::Questionnaire& form() const { return assets.catalogue.at(kForm); }
};

const scancorpus::Degradation kScan{
    .dpi = 300, .skew_deg = 1.2, .blur_sigma = 0.6, .noise_sigma = 5, .jpeg_quality = 85};

// The fields a person would be asked about: form items that need review.
std::vector<std::string> to_confirm(const scanners::PageResult& r, const forms::Questionnaire& form) {
  std::vector<std::string> out;
  for (const auto& f : r.fields)
    if (form.find_item(f.link_id) && f.status == scanners::FieldStatus::NeedsReview) out.push_back(f.link_id);
  return out;
}

const scanners::FieldResult* field(const scanners::PageResult& r, const std::string& link_id) {
  for (const auto& f : r.fields)
    if (f.link_id == link_id) return &f;
  return nullptr;
}

// Every form item other than `changed` is verified as printed, with the printed value.
void check_rest_verified(const scanners::PageResult& r, const forms::Questionnaire& form, const std::string& changed) {
  for (const auto& f : r.fields) {
    if (!form.find_item(f.link_id) || f.link_id == changed) continue;
    INFO("field " << f.link_id << " value " << f.value.dump() << " reason " << f.reason);
    CHECK(f.status == scanners::FieldStatus::Accepted);
    CHECK(f.printed);
  }
}

}  // namespace

TEST_CASE("printed: an unchanged pre-filled sheet needs no confirmation, each value as printed") {
  Fixture fx;
  for (unsigned seed : {3u, 8u}) {
    const auto sheet = fx.generator.prefilled(kForm, "nb", "S-P" + std::to_string(seed), 1, seed, Change::None);
    const scanners::PrintedSheet printed{"S-P" + std::to_string(seed), sheet.answers};
    const auto result = fx.read(fx.generator.degrade(sheet.grey, kScan), &printed);
    REQUIRE(result.problem == "");
    CHECK(to_confirm(result, fx.form()).empty());
    int verified_values = 0;
    for (const auto& f : result.fields) {
      const auto* item = fx.form().find_item(f.link_id);
      if (!item) continue;
      INFO("field " << f.link_id << " value " << f.value.dump());
      CHECK(f.printed);
      const auto* v = sheet.answers.first(f.link_id);
      if (!v) {
        CHECK(f.value.is_null());
        continue;
      }
      ++verified_values;
      if (v->kind == forms::AnswerValue::Kind::Boolean)
        CHECK(f.value == v->boolean);
      else
        CHECK(f.value == v->to_display_string());
    }
    CHECK(verified_values >= 4);  // digits, letters and ticks were printed, not just blanks
    const auto* signature = field(result, "signature");
    REQUIRE(signature);
    CHECK(signature->value == true);
  }
}

TEST_CASE("printed: an unchanged pre-filled sheet fed upside down at 200 dpi needs no confirmation") {
  Fixture fx;
  const auto sheet = fx.generator.prefilled(kForm, "nn", "S-UP", 1, 5, Change::None);
  const scanners::PrintedSheet printed{"S-UP", sheet.answers};
  const auto result = fx.read(
      fx.generator.degrade(sheet.grey, {.dpi = 200, .quarter_turns = 2, .skew_deg = -2.0, .noise_sigma = 4}), &printed);
  REQUIRE(result.problem == "");
  CHECK(result.rotation_degrees == 180);
  CHECK(to_confirm(result, fx.form()).empty());
  check_rest_verified(result, fx.form(), "");
}

TEST_CASE("printed: a printed digit written over by hand is caught and asked, the rest is not") {
  Fixture fx;
  for (unsigned seed : {4u, 9u}) {
    const auto sheet = fx.generator.prefilled(kForm, "nb", "S-D", 1, seed, Change::DigitOverwritten);
    const scanners::PrintedSheet printed{"S-D", sheet.answers};
    const auto result = fx.read(fx.generator.degrade(sheet.grey, kScan), &printed);
    REQUIRE(result.problem == "");
    INFO("changed " << sheet.changed);
    CHECK(to_confirm(result, fx.form()) == std::vector<std::string>{sheet.changed});
    const auto* changed = field(result, sheet.changed);
    REQUIRE(changed);
    CHECK(changed->status == scanners::FieldStatus::NeedsReview);
    CHECK(!changed->printed);
    CHECK(changed->reason == "changed-by-hand");
    check_rest_verified(result, fx.form(), sheet.changed);
  }
}

TEST_CASE("printed: a value crossed out and rewritten beside its boxes is caught as crossed out") {
  Fixture fx;
  const auto sheet = fx.generator.prefilled(kForm, "en", "S-X", 1, 6, Change::CrossedOutRewritten);
  const scanners::PrintedSheet printed{"S-X", sheet.answers};
  const auto result = fx.read(fx.generator.degrade(sheet.grey, kScan), &printed);
  REQUIRE(result.problem == "");
  INFO("changed " << sheet.changed);
  CHECK(to_confirm(result, fx.form()) == std::vector<std::string>{sheet.changed});
  const auto* changed = field(result, sheet.changed);
  REQUIRE(changed);
  CHECK(changed->reason == "crossed-out");
  CHECK(changed->value.is_null());  // never the printed value, never a guess
  check_rest_verified(result, fx.form(), sheet.changed);
}

TEST_CASE("printed: a value crossed out with nothing written is one question, never the printed value") {
  Fixture fx;
  const auto sheet = fx.generator.prefilled(kForm, "nb", "S-E", 1, 2, Change::CrossedOutEmpty);
  const scanners::PrintedSheet printed{"S-E", sheet.answers};
  const auto result = fx.read(fx.generator.degrade(sheet.grey, kScan), &printed);
  REQUIRE(result.problem == "");
  INFO("changed " << sheet.changed);
  CHECK(to_confirm(result, fx.form()) == std::vector<std::string>{sheet.changed});
  const auto* changed = field(result, sheet.changed);
  REQUIRE(changed);
  CHECK(changed->reason == "crossed-out");
  CHECK(changed->value.is_null());
  // Assembled, the crossed-out field stays one question (not also a "required" one).
  const auto submissions = scanners::assemble_submissions({result}, fx.assets.catalogue);
  REQUIRE(submissions.size() == 1);
  int asked = 0;
  for (const auto& f : submissions.front().fields)
    if (f.link_id == sheet.changed) {
      ++asked;
      CHECK(f.status == scanners::FieldStatus::NeedsReview);
      CHECK(f.value.is_null());
    }
  CHECK(asked == 1);
}

TEST_CASE("printed: a tick the kiosk printed, moved to another box by hand, is caught") {
  Fixture fx;
  for (unsigned seed : {1u, 12u}) {
    const auto sheet = fx.generator.prefilled(kForm, "nb", "S-T", 1, seed, Change::TickMoved);
    const scanners::PrintedSheet printed{"S-T", sheet.answers};
    const auto result = fx.read(fx.generator.degrade(sheet.grey, kScan), &printed);
    REQUIRE(result.problem == "");
    INFO("changed " << sheet.changed);
    CHECK(to_confirm(result, fx.form()) == std::vector<std::string>{sheet.changed});
    const auto* changed = field(result, sheet.changed);
    REQUIRE(changed);
    CHECK(changed->status == scanners::FieldStatus::NeedsReview);
    CHECK(!changed->printed);
    check_rest_verified(result, fx.form(), sheet.changed);
  }
}

TEST_CASE("printed: a sheet of another session is read as handwriting, never verified against this one") {
  Fixture fx;
  const auto mine = fx.generator.prefilled(kForm, "nb", "S-MINE", 1, 3, Change::None);
  const auto theirs = fx.generator.prefilled(kForm, "nb", "S-THEIRS", 1, 8, Change::None);
  const scanners::PrintedSheet printed{"S-MINE", mine.answers};
  const auto result = fx.read(fx.generator.degrade(theirs.grey, kScan), &printed);
  REQUIRE(result.problem == "");
  REQUIRE(result.qr);
  CHECK(result.qr->submission_id == "S-THEIRS");
  for (const auto& f : result.fields) {
    INFO(f.link_id);
    CHECK(!f.printed);
  }
  // This session's sheet under another kiosk's key is not vouched for: not verified either.
  scancorpus::Generator other_kiosk(fx.assets.catalogue, fx.assets.translations, scantest::test_key('z'),
                                    &scantest::mnist(), 3);
  const auto forged = other_kiosk.prefilled(kForm, "nb", "S-MINE", 1, 3, Change::None);
  const auto read = fx.read(forged.grey, &printed);
  CHECK(read.key_problem == "qr-unknown-key");
  for (const auto& f : read.fields) {
    INFO(f.link_id);
    CHECK(!f.printed);
  }
}

TEST_CASE("printed: a sheet with no ink at all is said to be blank, not an unknown form") {
  Fixture fx;
  cv::Mat paper(3508, 2480, CV_8UC1, cv::Scalar(247));
  cv::Mat noise(paper.size(), CV_16S);
  cv::randn(noise, 0, 4);
  cv::Mat s;
  paper.convertTo(s, CV_16S);
  s += noise;
  s.convertTo(paper, CV_8U);
  const auto blank = fx.read(paper, nullptr);
  CHECK(blank.problem == "blank-page");
  const auto submissions = scanners::assemble_submissions({blank}, fx.assets.catalogue);
  REQUIRE(submissions.size() == 1);
  CHECK(submissions.front().problem == "blank-page");
  // A printed sheet is not blank, even when nothing was written on it.
  const auto printed_only = fx.generator.prefilled(kForm, "nb", "S-NI", 1, 3, Change::None, false);
  CHECK(fx.read(printed_only.grey, nullptr).problem == "");
}

TEST_CASE("printed: kiosk-recognize --printed verifies the sheet it names, and refuses a bad file plainly") {
  Fixture fx;
  scantest::TempDir dir;
  const auto sheet = fx.generator.prefilled(kForm, "nb", "S-HELPER", 1, 3, Change::None);
  scancorpus::write_image(fx.generator.degrade(sheet.grey, kScan), dir.path / "page.png");
  scantest::write_key(dir.path / "key");
  {
    std::ofstream out(dir.path / "printed.json");
    out << nlohmann::json{{"submission", "S-HELPER"},
                          {"form", kForm},
                          {"answers", forms::to_questionnaire_response(fx.form(), sheet.answers, "completed", "")}}
               .dump();
  }
  std::ofstream(dir.path / "bad.json") << "{\"submission\": 3}";
  auto run = [&](const std::string& printed_file, std::string& out) {
    const std::string cmd = std::string(KIOSK_BINARY_DIR) + "/bin/kiosk-recognize " + (dir.path / "page.png").string() +
                            " --json --key " + (dir.path / "key").string() + " --printed " + printed_file + " 2>" +
                            (dir.path / "err.txt").string();
    FILE* p = popen(cmd.c_str(), "r");
    REQUIRE(p);
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    const int status = pclose(p);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  std::string out;
  const int code = run((dir.path / "printed.json").string(), out);
  INFO(out);
  REQUIRE(code == 0);  // every field accepted: nothing to ask
  const auto json = nlohmann::json::parse(out);
  int printed_fields = 0;
  for (const auto& f : json["submissions"][0]["fields"])
    if (f.value("printed", false)) ++printed_fields;
  CHECK(printed_fields >= 4);
  std::string bad_out;
  CHECK(run((dir.path / "bad.json").string(), bad_out) == 3);
  std::ifstream err(dir.path / "err.txt");
  const std::string said((std::istreambuf_iterator<char>(err)), std::istreambuf_iterator<char>());
  CHECK(said.find("cannot be used") != std::string::npos);
}
