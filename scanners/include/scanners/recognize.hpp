#pragma once
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "print/layout.hpp"
#include "print/qr_payload.hpp"
#include "scanners/digits.hpp"
#include "scanners/letters.hpp"
#include "scanners/image.hpp"
#include "scanners/printed.hpp"

namespace scanners {

enum class FieldStatus { Accepted, NeedsReview };

// One answer read from paper: either accepted with a value, or needs review with a reason
// and the crop a person should look at. Never a silent guess.
struct FieldResult {
  std::string link_id;
  nlohmann::json value;     // null when nothing could be read; bool, answer code or string
  double confidence = 0.0;  // 0..1
  FieldStatus status = FieldStatus::NeedsReview;
  std::string reason;  // "" when accepted; a stable code, e.g. "unclear-tick", "low-confidence"
  int page = 0;
  cv::Mat crop;  // grey, of the field's area on the rectified page
  // The kiosk printed this value on the sheet and the box shows exactly that (compared with a
  // rendering of the printed glyphs, see printed.hpp): accepted with no question. A box the
  // person changed by hand is read instead, with reason "changed-by-hand" or "crossed-out".
  bool printed = false;
};

// What one page said.
struct PageResult {
  std::string source;
  // Set when a kiosk QR code was read: checked with a key of the ring when key_problem is empty,
  // else only well-formed (the page is still read, so staff can review it).
  std::optional<print::QrPayload> qr;
  // "", "no-qr-code", "blank-page" (no ink at all: the back of the sheet, an empty page),
  // "qr-invalid", "unknown-form", "unknown-version", "registration-failed"
  std::string problem;
  // "" when a key of the ring vouches for the QR code; else why not: "qr-unknown-key" (printed
  // with a key this kiosk does not have) or "qr-forged" (the named key's MAC does not match).
  // Such a page is read like any other but must go to staff review, never be sent as it is.
  std::string key_problem;
  std::string key_id;                  // the key the code names (HNK2) or that matched (HNK1); "" when none
  std::string identified_form;         // form id recognised from the title (pages without QR)
  int rotation_degrees = 0;            // how the page lay: 0, 90, 180, 270 (clockwise)
  std::vector<FieldResult> fields;
};

// Pages of one submission (same form, version and submission id), put together.
struct SubmissionResult {
  std::string form_id;  // empty when unknown
  std::string version;
  std::string lang;
  std::string submission_id;
  std::vector<int> pages_found;
  std::vector<int> pages_missing;
  std::vector<int> pages_duplicate;
  std::vector<std::string> sources;
  std::string problem;  // page-level problem when the whole submission goes to review
  std::string key_problem;  // a page's PageResult::key_problem (the first): the sheet goes to staff review
  std::vector<FieldResult> fields;
};

struct RecognizerOptions {
  std::vector<std::filesystem::path> digit_models = {};  // empty: DigitClassifier::default_model_files()
  std::string postal_address;                            // as printed in the footer (site.postal_address)
  print::Fonts fonts;                                    // the fonts the form was laid out with (print.font_dir)
  DigitAcceptance digit_acceptance = {};                 // a digit box it does not accept needs review
  std::filesystem::path letter_model = {};               // empty: LetterClassifier::default_model_file()
  LetterAcceptance letter_acceptance = {};               // a letter box it does not accept needs review
  // A letter whose ink shows a mark the letter read lacks (an accent, a bar, a hook) needs review
  // (find_letter_marks). Off only to measure what the check catches (bench_scan --marks 0).
  bool check_letter_marks = true;
  double text_min_confidence = 0.80;
  bool ocr_free_text = true;  // Tesseract on text lines (false: always review)
};

// Reads pages. Owns a digit classifier and a Tesseract engine, so one per worker thread.
class Recognizer {
 public:
  // `keys`: the kiosk's QR key ring (a single MacKey converts to a ring of one current key).
  Recognizer(const forms::Catalogue& catalogue, const forms::Translations& translations, print::QrKeyRing keys,
             RecognizerOptions options = {});
  ~Recognizer();
  Recognizer(const Recognizer&) = delete;
  Recognizer& operator=(const Recognizer&) = delete;

  // `printed`: what the kiosk printed on the sheet it expects. A page whose QR code names that
  // submission (and that a key of the ring vouches for) has each box compared with the printed
  // values instead of being read: unchanged boxes come back accepted with `printed` set.
  PageResult recognize_page(const PageImage& page, const PrintedSheet* printed = nullptr);
  // The same for a page the caller no longer needs: its pixels (8.7 MB at 300 dpi) are freed
  // as soon as the recogniser has its own working copy, so fewer copies are alive at once.
  PageResult recognize_page(PageImage&& page, const PrintedSheet* printed = nullptr);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Groups pages by submission id (any order), reports missing and duplicate pages, and turns
// validation problems (identity-number check digits, impossible dates, required answers
// missing, answers that contradict enableWhen) into review flags.
std::vector<SubmissionResult> assemble_submissions(std::vector<PageResult> pages, const forms::Catalogue& catalogue);

// {"submissions": [{"form", "version", "lang", "submission", "pages_found", "pages_missing",
//   "pages_duplicate", ["key_problem"], "fields": [{"linkId", "value", "confidence", "status", "reason",
//   ["printed": true]}]}]} ("printed": a pre-printed value found unchanged)
// Pages that could not be tied to a submission carry "problem" and "sources".
nlohmann::json to_json(const std::vector<SubmissionResult>& submissions);

// Writes each field's crop as PNG into `dir` (created): <submission-or-source>_<linkId>.png.
void write_crops(const std::vector<SubmissionResult>& submissions, const std::filesystem::path& dir);

// The file write_crops uses for a field's crop in `dir`.
std::filesystem::path crop_file(const std::filesystem::path& dir, const SubmissionResult& submission,
                                const FieldResult& field);

// to_json's output read back (e.g. from a `kioskctl recognize --json` helper process), with the
// crops of the fields that need review read from `crops_dir` as write_crops wrote them. Throws
// nlohmann::json::exception when a required key is missing or has the wrong type.
std::vector<SubmissionResult> from_json(const nlohmann::json& json, const std::filesystem::path& crops_dir);

}  // namespace scanners
