#pragma once
// Verifying what the kiosk printed on a sheet, instead of reading it back.
//
// A pre-filled sheet carries values the kiosk printed itself. Reading them back with the digit
// and letter readers would ask the person to confirm what the kiosk already knows. Instead, the
// page is rendered again exactly as the printer got it (the same layout, the same PDF, rasterised
// at the rectified page's resolution) and, after registration, each box is compared with that
// rendering: a box whose ink is the printed ink and nothing more is unchanged; any added ink
// (a stroke, a crossing-out, a digit written over) means the person changed it by hand.
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "forms/answers.hpp"
#include "print/layout.hpp"

namespace scanners {

// What the kiosk printed on one sheet: the submission its QR code names and the answers laid out
// in its boxes. Personal data: kept only while the sheet is read.
struct PrintedSheet {
  std::string submission_id;
  forms::Answers answers;
};

// Page `page` (1-based) of the laid-out form, rendered as the printer got it (print::render_form_pdf,
// rasterised in memory by poppler, no file written) as 8-bit grey at `px_per_mm`, page-sized.
// Throws ScanError("render-failed") when the PDF cannot be rasterised.
cv::Mat render_printed_page(const print::FormLayout& layout, int page, const print::Fonts& fonts, double px_per_mm);

// How one answer area of the scan compares with the rendering.
struct PrintedComparison {
  bool unchanged = false;    // the printed ink is there and nothing was added
  bool crossed_out = false;  // the added ink includes a stroke across more than one box
  int added_pixels = 0;      // ink in the scan that the rendering does not explain (after specks)
  double coverage = 0.0;     // share of the rendering's ink found in the scan (0..1)
  cv::Mat added;             // the added ink (255), page-sized region `area`
  cv::Rect area;             // the compared region of the rectified page
  cv::Point shift;           // the local shift (rendering -> scan) that aligned them best
};

// Thresholds, tuned on the pre-filled corpus of bench/scan (BENCHMARKS.md).
struct PrintedTolerance {
  double margin_mm = 2.0;      // around the boxes: a crossing-out reaches past them
  int search_px = 8;           // local alignment search, each way
  int slack_px = 3;            // printed ink may be this much fatter in the scan (toner, blur)
  int min_piece_px = 12;       // added ink in pieces smaller than this is scanner dust
  int added_above_px = 40;     // more added ink than this is a change by hand
  int pen_darker_than = 125;   // added ink must be this dark (0..255): a fold's crease is ~180
  double min_coverage = 0.85;  // less of the printed ink than this: not the printed value (erased, covered)
};

// Compares the answer area `boxes` of the rectified scan (`scan_grey`, background-normalised, and
// its ink, 255) with the rendering `reference_grey` (same size and resolution). Added ink counts
// only where it is dark (a pen), not where it is grey (a fold, a shadow); a stroke across more
// than one box counts as a crossing-out.
PrintedComparison compare_printed(const cv::Mat& scan_grey, const cv::Mat& scan_ink, const cv::Mat& reference_grey,
                                  const std::vector<print::RectMm>& boxes, double px_per_mm,
                                  const PrintedTolerance& tolerance = {});

}  // namespace scanners
