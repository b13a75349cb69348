#include "scanners/ocr.hpp"

#include <tesseract/baseapi.h>
#include <tesseract/resultiterator.h>

#include <cstdlib>

#include "scanners/error.hpp"

namespace scanners {

namespace {

struct TessDeleter {
  void operator()(tesseract::TessBaseAPI* api) const noexcept {
    if (api) {
      api->End();
      delete api;
    }
  }
};

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r\n\f");
  if (b == std::string::npos) return {};
  const auto e = s.find_last_not_of(" \t\r\n\f");
  return s.substr(b, e - b + 1);
}

}  // namespace

struct OcrEngine::Impl {
  std::unique_ptr<tesseract::TessBaseAPI, TessDeleter> api;
  int psm = -1;
  std::string whitelist;
};

OcrEngine::OcrEngine(const std::string& languages) : impl_(std::make_unique<Impl>()) {
  setenv("OMP_THREAD_LIMIT", "1", 0);  // see DESIGN.md section 10; an explicit setting wins
  impl_->api.reset(new tesseract::TessBaseAPI());
  if (impl_->api->Init(nullptr, languages.c_str(), tesseract::OEM_LSTM_ONLY) != 0)
    throw ScanError("ocr-missing",
                    "Text recognition for \"" + languages + "\" is not installed (Debian package tesseract-ocr-nor).");
  impl_->api->SetVariable("debug_file", "/dev/null");
}

OcrEngine::~OcrEngine() {
  impl_->api.reset();
  // Tesseract keeps the dictionaries it loaded (~3 MB for nor) in a process-wide cache after
  // the engine ends; drop those no engine uses any more, so unloading gives the memory back.
  tesseract::TessBaseAPI::ClearPersistentCache();
}

OcrText OcrEngine::read(const cv::Mat& grey, int psm, const std::string& whitelist) {
  OcrText out;
  if (grey.empty() || grey.cols < 4 || grey.rows < 4) return out;
  CV_Assert(grey.type() == CV_8UC1);
  auto& api = *impl_->api;
  if (psm != impl_->psm) {
    api.SetPageSegMode(static_cast<tesseract::PageSegMode>(psm));
    impl_->psm = psm;
  }
  if (whitelist != impl_->whitelist) {
    api.SetVariable("tessedit_char_whitelist", whitelist.c_str());
    impl_->whitelist = whitelist;
  }
  api.SetImage(grey.data, grey.cols, grey.rows, 1, static_cast<int>(grey.step));
  api.SetSourceResolution(300);
  std::unique_ptr<char[]> text(api.GetUTF8Text());
  out.text = text ? trim(text.get()) : std::string();
  out.confidence = static_cast<float>(std::max(0, api.MeanTextConf())) / 100.0f;
  float lowest = 100.0f;
  if (const std::unique_ptr<tesseract::ResultIterator> it{api.GetIterator()}; it && !out.text.empty()) {
    do {
      if (it->Empty(tesseract::RIL_SYMBOL)) continue;
      const float confidence = it->Confidence(tesseract::RIL_SYMBOL);
      lowest = std::min(lowest, confidence);
      ++out.symbols;
      const std::unique_ptr<char[]> symbol(it->GetUTF8Text(tesseract::RIL_SYMBOL));
      out.characters.emplace_back(symbol ? symbol.get() : "", std::max(0.0f, confidence) / 100.0f);
    } while (it->Next(tesseract::RIL_SYMBOL));
  }
  out.lowest_symbol_confidence = out.symbols > 0 ? std::max(0.0f, lowest) / 100.0f : 0.0f;
  api.Clear();
  return out;
}

OcrText OcrEngine::read_line(const cv::Mat& grey) {
  return read(grey, tesseract::PSM_SINGLE_LINE, "");
}
OcrText OcrEngine::read_block(const cv::Mat& grey) {
  return read(grey, tesseract::PSM_SINGLE_BLOCK, "");
}
OcrText OcrEngine::read_char(const cv::Mat& grey, const std::string& whitelist) {
  return read(grey, tesseract::PSM_SINGLE_CHAR, whitelist);
}

}  // namespace scanners
