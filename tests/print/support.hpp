#pragma once
// Helpers for the print tests: temporary folders, running programs, rasterising PDFs with
// pdftoppm, reading grey images, decoding QR codes with ZXing.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "print/layout.hpp"
#include "print/qr_payload.hpp"

namespace print_test {

// A unique folder under $TMPDIR, removed with everything in it when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs argv (no shell) with extra environment entries "NAME=value", capturing its output.
RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env = {});

struct GreyImage {
  int width = 0, height = 0;
  std::vector<std::uint8_t> pixels;  // row-major, 0 = black
  std::uint8_t at(int x, int y) const {
    return pixels[static_cast<std::size_t>(y) * static_cast<std::size_t>(width) + static_cast<std::size_t>(x)];
  }
};

GreyImage read_png(const std::filesystem::path& file);
GreyImage read_pgm(const std::filesystem::path& file);  // binary P5, as pdftoppm -gray writes
// Rasterises every page of `pdf` with pdftoppm into `dir`, as grey PNG (`png`, small files for
// goldens) or PGM (fast); returns the files in page order.
std::vector<std::filesystem::path> rasterise(const std::filesystem::path& pdf, int dpi,
                                             const std::filesystem::path& dir, const std::string& prefix,
                                             bool png = true);
// The text of the QR code found in the image, if any.
std::optional<std::string> decode_qr(const GreyImage& image);
// The part of the image inside a rectangle in mm (clipped to the image).
GreyImage crop(const GreyImage& image, int dpi, const print::RectMm& rect_mm);
// Fraction of dark (< 128) pixels in a rectangle given in mm.
double dark_fraction(const GreyImage& image, int dpi, const print::RectMm& rect_mm);

const forms::Catalogue& catalogue();
const forms::Translations& translations();
print::MacKey test_key();
print::LayoutContext layout_context();
std::filesystem::path kioskctl();

}  // namespace print_test
