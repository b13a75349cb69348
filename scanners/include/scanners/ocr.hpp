#pragma once
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <opencv2/core.hpp>

namespace scanners {

struct OcrText {
  std::string text;         // UTF-8, trimmed
  float confidence = 0.0f;  // 0..1 (Tesseract's mean word confidence / 100)
  // 0..1: the least sure single character (one doubtful letter in a name hides in the mean).
  float lowest_symbol_confidence = 0.0f;
  size_t symbols = 0;  // characters Tesseract found
  // Each character found (UTF-8) with its confidence 0..1, in reading order.
  std::vector<std::pair<std::string, float>> characters;
};

// One Tesseract engine (TessBaseAPI, owned and ended by RAII). Tesseract is built with
// OpenMP on Debian: the constructor sets OMP_THREAD_LIMIT=1 unless already set, because the
// default thread count made a page 7.5x slower here (DESIGN.md section 10). Parallelise across
// pages with one engine per worker instead. Not thread-safe.
class OcrEngine {
 public:
  // `languages` e.g. "nor" or "nor+eng"; throws ScanError "ocr-missing" when the traineddata
  // for a language is not installed.
  explicit OcrEngine(const std::string& languages);
  ~OcrEngine();
  OcrEngine(const OcrEngine&) = delete;
  OcrEngine& operator=(const OcrEngine&) = delete;

  // One line of text (page segmentation mode 7) in a grey crop.
  OcrText read_line(const cv::Mat& grey);
  // A block of text (mode 6), e.g. a title area.
  OcrText read_block(const cv::Mat& grey);
  // One character (mode 10) limited to `whitelist` (UTF-8 characters).
  OcrText read_char(const cv::Mat& grey, const std::string& whitelist);

  // Any Tesseract page segmentation mode, optionally limited to `whitelist`.
  OcrText read(const cv::Mat& grey, int psm, const std::string& whitelist);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace scanners
