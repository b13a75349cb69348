// Putting a multi-page form together (kiosk_flow/pages.hpp), as a pure function: pages come one
// sheet per scan in any order, a page scanned twice adds nothing, the first page names the
// submission. (A sheet whose QR names another submission is refused by the scan service before it
// gets here: kiosk/app/src/scan_service.cpp.)
#include <doctest/doctest.h>

#include "kiosk_flow/pages.hpp"

using namespace kiosk;

namespace {

flow::ScanResult sheet(const std::string& submission, int page, int page_count,
                       std::vector<std::pair<std::string, std::string>> fields, bool signature = false) {
  flow::ScanResult r;
  r.outcome = flow::Outcome::Done;
  r.form_id = "bytte-fastlege";
  r.submission_id = submission;
  r.page_count = page_count;
  r.pages_found = {page};
  r.pages = {"/nonexistent/" + submission + "-page-" + std::to_string(page) + ".png"};
  for (auto& [link, value] : fields) {
    flow::ReadField field;
    field.link_id = link;
    field.value = value;
    field.confidence = 0.99;
    r.fields.push_back(std::move(field));
  }
  r.signature_found = signature;
  return r;
}

std::vector<std::string> values(const flow::Session& s) {
  std::vector<std::string> out;
  for (const auto& f : s.read_fields) out.push_back(f.link_id + "=" + f.value);
  return out;
}

}  // namespace

TEST_CASE(
    "pages: a form's pages come one sheet per scan in any order and are joined, the first reading of a field wins") {
  flow::Session s;
  s.filled_at_home = true;
  auto page2 = sheet("S1", 2, 3, {{"address", "Storgata 1"}});
  flow::add_scanned_sheet(s, page2);
  CHECK(s.form_id == "bytte-fastlege");  // a form filled at home takes its form from its first sheet
  CHECK(s.submission_id == "S1");
  CHECK(s.page_count == 3);
  CHECK(flow::missing_pages(s) == std::vector<int>{1, 3});
  CHECK(!s.signature_found);

  auto page1 = sheet("S1", 1, 3, {{"address", "Feil 9"}, {"name", "Kari"}}, true);
  flow::add_scanned_sheet(s, page1);
  CHECK(s.pages_found == std::vector<int>{2, 1});
  CHECK(flow::missing_pages(s) == std::vector<int>{3});
  CHECK(values(s) == std::vector<std::string>{"address=Storgata 1", "name=Kari"});
  CHECK(s.signature_found);

  auto page3 = sheet("S1", 3, 3, {{"phone", "12345678"}});
  flow::add_scanned_sheet(s, page3);
  CHECK(flow::missing_pages(s).empty());
  REQUIRE(s.pages.size() == 3);
  CHECK(s.pages[0].filename() == "S1-page-2.png");
  CHECK(s.pages[1].filename() == "S1-page-1.png");
  CHECK(s.pages[2].filename() == "S1-page-3.png");
  CHECK(values(s) == std::vector<std::string>{"address=Storgata 1", "name=Kari", "phone=12345678"});
  CHECK(s.pages_duplicate.empty());

  // A scan after the form is complete (scanned again after signing) starts afresh.
  auto again = sheet("S1", 1, 1, {{"name", "Kari N"}});
  flow::add_scanned_sheet(s, again);
  CHECK(s.pages_found == std::vector<int>{1});
  CHECK(s.pages.size() == 1);
  CHECK(values(s) == std::vector<std::string>{"name=Kari N"});
  CHECK(!s.signature_found);
}

TEST_CASE("pages: a page scanned twice is noted as a duplicate and adds nothing") {
  flow::Session s;
  s.filled_at_home = true;
  auto first = sheet("S1", 1, 2, {{"name", "Kari"}});
  flow::add_scanned_sheet(s, first);
  auto twice = sheet("S1", 1, 2, {{"name", "Ola"}, {"address", "Storgata 1"}}, true);
  flow::add_scanned_sheet(s, twice);
  CHECK(s.pages_duplicate == std::vector<int>{1});
  CHECK(s.pages_found == std::vector<int>{1});
  CHECK(s.pages.size() == 1);
  CHECK(values(s) == std::vector<std::string>{"name=Kari"});
  CHECK(!s.signature_found);
  CHECK(flow::missing_pages(s) == std::vector<int>{2});

  // The next page clears the note, and the scanner's own duplicates (one scan, two copies) are kept.
  auto second = sheet("S1", 2, 2, {{"address", "Storgata 1"}});
  second.pages_duplicate = {2};
  flow::add_scanned_sheet(s, second);
  CHECK(s.pages_duplicate == std::vector<int>{2});
  CHECK(flow::missing_pages(s).empty());
}

TEST_CASE("pages: the first page names the submission and a later page naming another does not change it") {
  SUBCASE("a form filled at home") {
    flow::Session s;
    s.filled_at_home = true;
    auto first = sheet("S1", 1, 2, {});
    flow::add_scanned_sheet(s, first);
    CHECK(s.submission_id == "S1");
    auto other = sheet("S2", 2, 2, {});
    other.form_id = "fullmakt-gi";
    flow::add_scanned_sheet(s, other);
    CHECK(s.submission_id == "S1");
    CHECK(s.form_id == "bytte-fastlege");
  }
  SUBCASE("a form printed by the kiosk keeps the session's own submission") {
    flow::Session s;
    s.form_id = "bytte-fastlege";
    s.submission_id = "PRINTED";
    auto first = sheet("S9", 1, 1, {});
    first.form_id = "fullmakt-gi";
    flow::add_scanned_sheet(s, first);
    CHECK(s.submission_id == "PRINTED");
    CHECK(s.form_id == "bytte-fastlege");
  }
}
