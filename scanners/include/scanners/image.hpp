#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

struct Pix;

namespace scanners {

// Leptonica images are owned by a unique_ptr whose deleter calls pixDestroy (never throws).
struct PixDeleter {
  void operator()(Pix* pix) const noexcept;
};
using PixPtr = std::unique_ptr<Pix, PixDeleter>;

// Limits checked from the file header before any pixel is decoded, so a hostile or broken
// file (a 20000 x 20000 "page") cannot make us allocate absurd amounts of memory.
struct ImportLimits {
  int min_side_px = 300;    // smaller than ~1 inch at 300 dpi is no page
  int max_side_px = 12000;  // A4 at 1000 dpi is 8268 x 11693
  std::int64_t max_pixels = 100'000'000;
  int pdf_dpi = 300;  // PDF pages are rasterised at this resolution
  int max_pdf_pages = 50;
};

// A scanned or imported page: 8-bit grey, row-major, with where it came from.
struct PageImage {
  cv::Mat grey;        // CV_8UC1
  std::string source;  // file name and page, or the scanner device
  int dpi_hint = 0;    // resolution stated by the file/scanner, 0 when unknown
};

// Reads PNG, JPEG, TIFF (every page of a multi-page TIFF) or PDF (every page, through
// pdftoppm) into grey pages. Throws ScanError: "file-missing", "unsupported-format",
// "image-too-small", "image-too-large", "corrupt-image", "pdf-failed".
std::vector<PageImage> import_image_file(const std::filesystem::path& file, const ImportLimits& limits = {});

// Decodes an image held in memory (PNG/JPEG/TIFF/PNM), same checks. Used by the fuzzer.
std::vector<PageImage> import_image_memory(const std::uint8_t* data, std::size_t size, const std::string& source,
                                           const ImportLimits& limits = {});

// Writes an 8-bit grey PNG row by row as a scanner sends the rows, so no page-sized image
// is ever held (8.7 MB for an A4 page at 300 dpi): only the previous row, one filtered row
// and zlib's buffers. The height need not be known in advance: finish() writes it into the
// header. A file that was not finished is removed when the writer goes away. Errors throw
// ScanError "io-error" with a plain message.
class PngRowWriter {
 public:
  PngRowWriter(const std::filesystem::path& file, int width);
  ~PngRowWriter();
  PngRowWriter(const PngRowWriter&) = delete;
  PngRowWriter& operator=(const PngRowWriter&) = delete;

  // `grey` holds `width` pixels.
  void add_row(const std::uint8_t* grey);
  // Ends the image (at least one row) and closes the file.
  void finish();
  int rows() const { return rows_; }
  const std::filesystem::path& file() const { return file_; }

 private:
  struct State;
  void start();             // the PNG signature and header, after the file is open
  void discard() noexcept;  // closes and removes an unfinished file
  void write_chunk(const char* type, const std::uint8_t* data, std::size_t size);
  void deflate_some(int flush);
  std::filesystem::path file_;
  int width_;
  int rows_ = 0;
  bool finished_ = false;
  std::unique_ptr<State> state_;
};

// Conversions between Leptonica and OpenCV (copies).
PixPtr pix_from_mat(const cv::Mat& grey);
cv::Mat mat_from_pix(const Pix* pix);  // any depth -> CV_8UC1

// Leptonica clean-up of a grey page: flattens uneven lighting (background normalisation).
// Takes `grey` by value: a caller that moves its page in lets it be freed once Leptonica has
// its copy (one 300 dpi page fewer alive at once).
cv::Mat normalize_background(cv::Mat grey);
// Binarises (ink = 255) and removes speckles smaller than `min_speckle_px` connected pixels.
cv::Mat binarize_despeckle(const cv::Mat& grey, int min_speckle_px);
// Of an ink image (ink = non-zero), keeps the 8-connected pieces of at least `min_area`
// pixels (as 255) and clears the rest. Works on a 1-bit copy: a page needs a few MB, not
// the 4 bytes per pixel of a label image.
cv::Mat remove_specks(const cv::Mat& ink, int min_area);

}  // namespace scanners
