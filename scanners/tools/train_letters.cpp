// Trains the letter-box classifier (dlib dnn, scanners/src/letter_net.hpp) on capital letters
// rendered from fonts that come from Debian packages (FreeType) and from OpenCV's Hershey faces,
// augmented the way letters look in the kiosk's printed boxes, and writes the model file.
//
//   build/bin/train_letters --out assets/models/letters.dat [--augment 10] [--epochs 8]
//       [--elastic 0.4] [--seed 1] [--learning-rate 0.01] [--init FILE] [--font-dir DIR]...
//       [--holdout SUBSTRING]... [--calibrate-only]
//
// Held out, never drawn here: FONT_HERSHEY_SIMPLEX and FONT_HERSHEY_DUPLEX (the test corpus's
// letters, tests/scan/corpus.cpp; the other Hershey faces also draw Æ Ø Å and the "?" letters
// with their marks added by scanners::hershey_letter), and the font files whose name contains a --holdout substring
// (default URWGothic and URWBookman: the calibration set printed at the end).
// The exact command behind the committed model is in assets/models/README.md.
#include <ft2build.h>
#include FT_FREETYPE_H

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "../src/letter_net.hpp"
#include "scanners/augment.hpp"
#include "scanners/digits.hpp"
#include "scanners/letters.hpp"

namespace {

namespace fs = std::filesystem;

struct LibraryCloser {
  void operator()(FT_Library library) const noexcept { FT_Done_FreeType(library); }
};
struct FaceCloser {
  void operator()(FT_Face face) const noexcept { FT_Done_Face(face); }
};
using Library = std::unique_ptr<std::remove_pointer_t<FT_Library>, LibraryCloser>;
using Face = std::unique_ptr<std::remove_pointer_t<FT_Face>, FaceCloser>;

char32_t first_codepoint(const std::string& utf8) {
  const auto b = static_cast<unsigned char>(utf8[0]);
  if (b < 0x80) return b;
  if ((b & 0xE0) == 0xC0) return static_cast<char32_t>(((b & 0x1F) << 6) | (utf8[1] & 0x3F));
  return static_cast<char32_t>(((b & 0x0F) << 12) | ((utf8[1] & 0x3F) << 6) | (utf8[2] & 0x3F));
}

// One glyph of a font file as grey ink (bright) about 96 px high; empty when the font lacks it.
cv::Mat freetype_glyph(FT_Face face, const std::string& letter) {
  const FT_UInt index = FT_Get_Char_Index(face, first_codepoint(letter));
  if (index == 0) return {};
  if (FT_Load_Glyph(face, index, FT_LOAD_RENDER) != 0) return {};
  const FT_Bitmap& bitmap = face->glyph->bitmap;
  if (bitmap.rows == 0 || bitmap.width == 0 || bitmap.pixel_mode != FT_PIXEL_MODE_GRAY) return {};
  cv::Mat glyph = cv::Mat::zeros(static_cast<int>(bitmap.rows) + 60, static_cast<int>(bitmap.width) + 60, CV_8UC1);
  for (unsigned y = 0; y < bitmap.rows; ++y)
    for (unsigned x = 0; x < bitmap.width; ++x)
      glyph.at<std::uint8_t>(static_cast<int>(y) + 30, static_cast<int>(x) + 30) =
          bitmap.buffer[static_cast<long>(y) * bitmap.pitch + x];
  return glyph;
}

// A person's pen is thicker or thinner than the font's, and leans: changes a 96 px glyph.
cv::Mat restyle(const cv::Mat& glyph, std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  cv::Mat out = glyph;
  const int pen = static_cast<int>(u(rng) * 9.0) - 3;  // -3..5 px
  if (pen != 0) {
    const int k = 2 * std::abs(pen) + 1;
    const cv::Mat kernel = cv::getStructuringElement(cv::MORPH_ELLIPSE, cv::Size(k, k));
    cv::Mat changed;
    if (pen > 0)
      cv::dilate(out, changed, kernel);
    else
      cv::erode(out, changed, kernel);
    if (cv::countNonZero(changed > 100) > 30) out = changed;  // a thin font eroded away: keep it
  }
  const double slant = -0.15 + u(rng) * 0.45;
  const double mid = out.rows / 2.0;
  const cv::Mat shear = (cv::Mat_<double>(2, 3) << 1, -slant, slant * mid, 0, 1, 0);
  cv::Mat leaned = cv::Mat::zeros(out.rows, out.cols + out.rows / 2, CV_8UC1);
  cv::Mat wide = cv::Mat::zeros(leaned.size(), CV_8UC1);
  out.copyTo(wide(cv::Rect(out.rows / 4, 0, out.cols, out.rows)));
  cv::warpAffine(wide, leaned, shear, wide.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  return leaned;
}

struct Sample {
  dlib::matrix<unsigned char> image;
  unsigned long label;
};

// One glyph source: a function that draws a letter (UTF-8) as a 28 x 28 glyph, or empty.
using GlyphSource = std::function<cv::Mat(const std::string&, std::mt19937&)>;

std::vector<fs::path> font_files(const std::vector<std::string>& dirs) {
  std::vector<fs::path> files;
  for (const auto& dir : dirs) {
    std::error_code ec;
    for (const auto& e : fs::recursive_directory_iterator(dir, ec)) {
      const auto ext = e.path().extension().string();
      const auto name = e.path().filename().string();
      // Symbol, dingbat, maths and calligraphic script faces are not block capitals.
      if (ext != ".ttf" && ext != ".otf") continue;
      if (name.find("Symbol") != std::string::npos || name.find("D050000L") != std::string::npos ||
          name.find("Z003") != std::string::npos || name.find("Math") != std::string::npos)
        continue;
      files.push_back(e.path());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

void add_samples(const GlyphSource& source, int augment, double elastic_share, std::mt19937& rng,
                 std::vector<Sample>& out) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (size_t label = 0; label < scanners::kLetterClassCount; ++label) {
    for (int a = 0; a < augment; ++a) {
      const std::string letter = label == scanners::kOtherLetterClass
                                     ? scanners::kOtherLetters[rng() % scanners::kOtherLetters.size()]
                                     : scanners::kLetterClasses[label];
      cv::Mat glyph = source(letter, rng);
      if (glyph.empty()) continue;
      if (a > 0 && u(rng) < elastic_share)
        glyph = scanners::fit_glyph(scanners::elastic_distort(glyph, rng, 6.0, 14.0));
      const int w = static_cast<int>(45 + u(rng) * 45);
      const int h = static_cast<int>(w * (0.9 + u(rng) * 0.4));
      const cv::Mat box = scanners::render_digit_in_box(glyph, cv::Size(w, h), rng, a % 2 == 1);
      const auto norm = scanners::normalize_letter(box);
      if (!norm) continue;
      Sample s;
      s.image.set_size(28, 28);
      for (long y = 0; y < 28; ++y)
        for (long x = 0; x < 28; ++x) s.image(y, x) = (*norm)[static_cast<size_t>(y * 28 + x)];
      s.label = label;
      out.push_back(std::move(s));
    }
  }
}

// The share accepted and the wrong ones among them, on the held-out fonts, for each rule.
void calibrate(const std::string& model, const std::vector<Sample>& samples) {
  const scanners::LetterClassifier classifier(model);
  std::vector<scanners::DigitImage> images;
  for (const auto& s : samples) {
    scanners::DigitImage d{};
    for (long y = 0; y < 28; ++y)
      for (long x = 0; x < 28; ++x) d[static_cast<size_t>(y * 28 + x)] = s.image(y, x);
    images.push_back(d);
  }
  const auto guesses = classifier.classify(images);
  size_t right = 0;
  for (size_t i = 0; i < guesses.size(); ++i) right += static_cast<unsigned long>(guesses[i].index) == samples[i].label;
  std::cout << "held-out fonts: " << samples.size() << " letters, top-1 " << std::fixed << std::setprecision(2)
            << 100.0 * static_cast<double>(right) / static_cast<double>(samples.size()) << " %\n";
  std::cout << "alone threshold | accepted | wrong accepted (classifier alone, all readings agree, lowest >= 0.5)\n";
  for (float t : {0.9f, 0.95f, 0.98f, 0.99f, 0.995f, 0.998f, 0.999f}) {
    scanners::LetterAcceptance rule;
    rule.alone_min_confidence = t;
    size_t accepted = 0, wrong = 0;
    for (size_t i = 0; i < guesses.size(); ++i) {
      if (!rule.accepts(guesses[i], "")) continue;
      ++accepted;
      if (static_cast<unsigned long>(guesses[i].index) != samples[i].label) {
        ++wrong;
        if (t >= 0.995f)
          std::cout << "  wrong: " << scanners::kLetterClasses[samples[i].label] << " read as " << guesses[i].letter
                    << " at " << guesses[i].confidence << "\n";
      }
    }
    std::cout << std::setprecision(3) << t << std::setprecision(2) << " | "
              << 100.0 * static_cast<double>(accepted) / static_cast<double>(guesses.size()) << " % | " << wrong
              << "\n";
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_file = "letters.dat", init_file;
  std::vector<std::string> font_dirs, holdouts;
  double learning_rate = 0.01, elastic_share = 0.4;
  int augment = 10, epochs = 8;
  unsigned seed = 1;
  bool calibrate_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--calibrate-only") {
      calibrate_only = true;
      continue;
    }
    if (i + 1 >= argc) {
      std::cerr << "flag " << flag << " needs a value\n";
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--out")
      out_file = value;
    else if (flag == "--augment")
      augment = std::stoi(value);
    else if (flag == "--epochs")
      epochs = std::stoi(value);
    else if (flag == "--init")
      init_file = value;
    else if (flag == "--learning-rate")
      learning_rate = std::stod(value);
    else if (flag == "--elastic")
      elastic_share = std::stod(value);
    else if (flag == "--seed")
      seed = static_cast<unsigned>(std::stoul(value));
    else if (flag == "--font-dir")
      font_dirs.push_back(value);
    else if (flag == "--holdout")
      holdouts.push_back(value);
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (font_dirs.empty())
    font_dirs = {"/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/truetype/liberation2",
                 "/usr/share/fonts/truetype/freefont", "/usr/share/fonts/opentype/urw-base35"};
  if (holdouts.empty()) holdouts = {"URWGothic", "URWBookman"};

  FT_Library raw_library = nullptr;
  const FT_Error init_error = FT_Init_FreeType(&raw_library);
  const Library library(raw_library);
  if (init_error != 0) {
    std::cerr << "FreeType could not be started\n";
    return 1;
  }
  std::vector<Face> faces;
  std::vector<std::pair<std::string, FT_Face>> train_faces, holdout_faces;
  for (const auto& file : font_files(font_dirs)) {
    FT_Face raw = nullptr;
    const FT_Error error = FT_New_Face(library.get(), file.c_str(), 0, &raw);
    faces.emplace_back(raw);
    if (error != 0 || FT_Set_Pixel_Sizes(raw, 0, 96) != 0) {
      std::cerr << "skipped " << file << "\n";
      continue;
    }
    const bool held = std::any_of(holdouts.begin(), holdouts.end(),
                                  [&](const std::string& h) { return file.string().find(h) != std::string::npos; });
    (held ? holdout_faces : train_faces).emplace_back(file.filename().string(), raw);
  }
  auto font_source = [](FT_Face face) {
    return GlyphSource([face](const std::string& letter, std::mt19937& rng) {
      const cv::Mat g = freetype_glyph(face, letter);
      return g.empty() ? g : scanners::fit_glyph(restyle(g, rng));
    });
  };
  std::vector<std::pair<std::string, GlyphSource>> train_sources, holdout_sources;
  for (const auto& [name, face] : train_faces) train_sources.emplace_back(name, font_source(face));
  for (const auto& [name, face] : holdout_faces) holdout_sources.emplace_back(name, font_source(face));
  // OpenCV's Hershey faces but SIMPLEX and DUPLEX (held out: the test corpus draws with them).
  for (int font :
       {cv::FONT_HERSHEY_PLAIN, cv::FONT_HERSHEY_COMPLEX, cv::FONT_HERSHEY_TRIPLEX, cv::FONT_HERSHEY_COMPLEX_SMALL}) {
    for (int italic : {0, static_cast<int>(cv::FONT_ITALIC)}) {
      train_sources.emplace_back(
          "hershey" + std::to_string(font + italic),
          GlyphSource([font, italic](const std::string& letter, std::mt19937& rng) {
            std::uniform_real_distribution<double> u(0.0, 1.0);
            if (letter.size() == 1)
              return scanners::hershey_glyph(letter[0], font | italic, 2 + static_cast<int>(u(rng) * 10),
                                             -0.1 + u(rng) * 0.4);
            // The faces have no Æ Ø Å, Sámi or accented letters: their marks
            // are drawn on by hand, as a person adds them (the "?" class
            // learns an accent, caron, bar or hook on a known letter).
            int baseline = 0;
            const double scale = 80.0 / std::max(1, cv::getTextSize("A", font | italic, 1.0, 1, &baseline).height);
            const cv::Mat drawn =
                scanners::hershey_letter(letter, font | italic, scale, 2 + static_cast<int>(u(rng) * 6));
            return drawn.empty() ? drawn : scanners::fit_glyph(restyle(drawn, rng));
          }));
    }
  }
  std::cout << "training sources: " << train_sources.size() << ", held-out fonts: " << holdout_sources.size() << "\n";
  for (const auto& [name, source] : holdout_sources) std::cout << "  held out: " << name << "\n";

  std::mt19937 rng(seed + (init_file.empty() ? 0u : 1000u));
  std::vector<Sample> holdout;
  for (const auto& [name, source] : holdout_sources) add_samples(source, 4, elastic_share, rng, holdout);
  if (calibrate_only) {
    calibrate(out_file, holdout);
    return 0;
  }
  std::vector<Sample> samples;
  for (const auto& [name, source] : train_sources) add_samples(source, augment, elastic_share, rng, samples);
  std::shuffle(samples.begin(), samples.end(), rng);
  std::vector<dlib::matrix<unsigned char>> inputs;
  std::vector<unsigned long> labels;
  for (auto& s : samples) {
    inputs.push_back(std::move(s.image));
    labels.push_back(s.label);
  }
  std::cout << "training samples: " << inputs.size() << std::endl;

  scanners::detail::LetterNet net;
  if (!init_file.empty()) dlib::deserialize(init_file) >> net;
  dlib::dnn_trainer<scanners::detail::LetterNet> trainer(net);
  trainer.set_learning_rate(learning_rate);
  trainer.set_min_learning_rate(1e-5);
  trainer.set_mini_batch_size(128);
  trainer.set_iterations_without_progress_threshold(1000);
  // Epochs are run here so the model is written after every one: training on a shared machine
  // can be stopped at any time and keeps the last finished epoch.
  const auto start = std::chrono::steady_clock::now();
  const size_t batch = 128;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (size_t i = 0; i + batch <= inputs.size(); i += batch)
      trainer.train_one_step(inputs.begin() + static_cast<long>(i), inputs.begin() + static_cast<long>(i + batch),
                             labels.begin() + static_cast<long>(i));
    trainer.get_net();
    net.clean();
    dlib::serialize(out_file) << net;
    std::cout << "epoch " << epoch + 1 << " of " << epochs << " written to " << out_file << " ("
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s, learning rate "
              << trainer.get_learning_rate() << ", loss " << trainer.get_average_loss() << ")" << std::endl;
    calibrate(out_file, holdout);
  }
  return 0;
}
