#pragma once
// Seeded test-corpus generator: renders a form with the print library, fills it in like a
// person (ticks and crosses of varying shape and pen width, MNIST digits from the training
// indices, block letters, a signature scribble) and degrades it like scanners and phones do.
// Used by the scan tests and bench/scan; nothing is committed as image files.
#include <filesystem>
#include <map>
#include <random>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "forms/answers.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "print/layout.hpp"
#include "print/qr_payload.hpp"
#include "scanners/mnist.hpp"

namespace scancorpus {

struct Degradation {
  int dpi = 300;            // resolution of the "scan"
  int quarter_turns = 0;    // 0..3: fed sideways or upside down
  double skew_deg = 0.0;    // small rotation, +-5
  double blur_sigma = 0.0;  // pixels at `dpi`
  double noise_sigma = 0.0;
  int jpeg_quality = 0;  // 0: no JPEG round trip
  bool uneven_light = false;
  bool fold = false;
};

// A filled page and what a perfect reader would say for each linkId on it.
struct FilledPage {
  cv::Mat grey;  // 8-bit, at 300 dpi before degradation
  std::map<std::string, nlohmann::json> truth;
  std::map<std::string, std::string> kinds;  // linkId -> "tick", "digits", "letters", "text", "signature"
};

class Generator {
 public:
  Generator(const forms::Catalogue& catalogue, const forms::Translations& translations, print::MacKey key,
            const scanners::MnistDigits* mnist, unsigned seed);

  // The blank printed page at 300 dpi (print::render_form_pdf + pdftoppm), cached.
  cv::Mat blank_page(const std::string& form_id, const std::string& lang, const std::string& submission, int page);
  const print::FormLayout& layout(const std::string& form_id, const std::string& lang);

  // Fills page `page` with answers made from `answer_seed` (forms::make_example_answers).
  // `crossed_out` scribbles over a tick box (truth: needs review).
  FilledPage fill(const std::string& form_id, const std::string& lang, const std::string& submission, int page,
                  unsigned answer_seed, bool crossed_out = false);

  // The share of name fields written as a Sámi or other accented name (kMarkedNames in
  // corpus.cpp) instead of the example answer; 0.5 unless set.
  void set_marked_name_share(double share) { marked_name_share_ = share; }

  // A sheet the kiosk printed pre-filled (the answers of `answer_seed` laid out in its boxes,
  // print::render_form_pdf rasterised at 300 dpi), signed and dated by hand, then changed by
  // hand as `change` says. `changed` names the field changed ("" for HandChange::None).
  enum class HandChange { None, DigitOverwritten, CrossedOutRewritten, CrossedOutEmpty, TickMoved };
  struct PrefilledPage {
    cv::Mat grey;            // 8-bit, at 300 dpi before degradation
    forms::Answers answers;  // what the kiosk printed
    std::string changed;     // linkId changed by hand, "" when none
    bool signed_by_hand = false;
  };
  // Throws std::runtime_error when the page has no field that `change` can be made to.
  PrefilledPage prefilled(const std::string& form_id, const std::string& lang, const std::string& submission, int page,
                          unsigned answer_seed, HandChange change, bool sign = true);

  cv::Mat degrade(const cv::Mat& page300, const Degradation& d);
  std::mt19937& rng() { return rng_; }

 private:
  const forms::Catalogue& catalogue_;
  const forms::Translations& translations_;
  print::MacKey key_;
  const scanners::MnistDigits* mnist_;
  std::mt19937 rng_;
  std::map<std::string, print::FormLayout> layouts_;
  std::map<std::string, cv::Mat> pages_;
  double marked_name_share_ = 0.5;
};

// Writes a grey image as PNG (Leptonica), or as PGM when the name ends in .pgm.
void write_image(const cv::Mat& grey, const std::filesystem::path& file);

}  // namespace scancorpus
