#pragma once
// A person with a pen: signs and dates a printed page and lays it on the scanner's glass (a
// PGM file for SANE's pnm backend). Used by the scripted demo and by `kiosk-demo fill-sheet`,
// which the end-to-end test of the installed kiosk uses on the sheet the printer printed.
#include <filesystem>
#include <random>
#include <string>

#include <opencv2/core.hpp>

#include "forms/answers.hpp"
#include "print/layout.hpp"

namespace kiosk::cli {

// Fills page `page` (1-based) of `printed` (the page as printed, greyscale at 300 dpi): a
// signature scribble in the signing box, the date and `place` in their boxes, the sheet laid
// a little askew. Writes it as binary PGM to `pgm`. Returns false when the page has no signing
// box (the sheet is then written as printed) or the file could not be written.
bool fill_like_a_person(const cv::Mat& printed, const print::FormLayout& layout, int page, const std::string& place,
                        const std::filesystem::path& pgm, std::mt19937& rng);

// A blank sheet filled in at home: `answers` written by hand into their boxes on page `page`
// (digits and capitals one per box, an X in the tick boxes, text on the lines), then signed and
// laid on the glass as fill_like_a_person does.
bool fill_at_home(const cv::Mat& printed, const print::FormLayout& layout, int page, const forms::Answers& answers,
                  const std::string& place, const std::filesystem::path& pgm, std::mt19937& rng);

}  // namespace kiosk::cli
