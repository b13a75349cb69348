#include "scanners/image.hpp"

#include <leptonica/allheaders.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <regex>
#include <sstream>

#include <opencv2/imgproc.hpp>
#include <zlib.h>

#include "scanners/error.hpp"

extern char** environ;

namespace scanners {

void PixDeleter::operator()(Pix* pix) const noexcept {
  if (pix) pixDestroy(&pix);
}

namespace {

struct PixaDeleter {
  void operator()(Pixa* pixa) const noexcept {
    if (pixa) pixaDestroy(&pixa);
  }
};
using PixaPtr = std::unique_ptr<Pixa, PixaDeleter>;

// Leptonica reports every failed read on stderr; the caller gets our own error instead.
void quiet_leptonica() {
  static const bool once = [] {
    setMsgSeverity(L_SEVERITY_NONE);
    return true;
  }();
  (void)once;
}

void check_dimensions(int w, int h, const std::string& source, const ImportLimits& limits) {
  if (w <= 0 || h <= 0) throw ScanError("corrupt-image", source + ": the image has no size; the file may be damaged.");
  if (std::min(w, h) < limits.min_side_px)
    throw ScanError("image-too-small", source + ": the image is only " + std::to_string(w) + " x " + std::to_string(h) +
                                           " pixels, too small to be a scanned page.");
  if (std::max(w, h) > limits.max_side_px ||
      static_cast<std::int64_t>(w) * static_cast<std::int64_t>(h) > limits.max_pixels)
    throw ScanError("image-too-large", source + ": the image is " + std::to_string(w) + " x " + std::to_string(h) +
                                           " pixels, larger than any scanned page; it was not opened.");
}

PageImage to_page(const Pix* pix, const std::string& source) {
  PageImage page;
  page.grey = mat_from_pix(pix);
  page.source = source;
  l_int32 xres = 0, yres = 0;
  pixGetResolution(const_cast<Pix*>(pix), &xres, &yres);
  page.dpi_hint = xres > 0 ? xres : 0;
  return page;
}

// Whether every chunk of a PNG fits inside the file. libpng allocates a text chunk's declared
// length before it reads it, so a 300-byte file claiming a 1.7 GB chunk would make the kiosk ask
// for 1.7 GB (found by the image fuzzer). Any chunk that claims more than the file holds is damage.
bool png_chunks_fit(const std::uint8_t* data, std::size_t size) {
  constexpr std::size_t kSignature = 8, kChunkOverhead = 12;  // length, type, CRC
  std::size_t pos = kSignature;
  while (pos + kChunkOverhead <= size) {
    const std::uint32_t length = (std::uint32_t{data[pos]} << 24) | (std::uint32_t{data[pos + 1]} << 16) |
                                 (std::uint32_t{data[pos + 2]} << 8) | std::uint32_t{data[pos + 3]};
    if (length > size - pos - kChunkOverhead) return false;
    const bool end = data[pos + 4] == 'I' && data[pos + 5] == 'E' && data[pos + 6] == 'N' && data[pos + 7] == 'D';
    pos += kChunkOverhead + length;
    if (end) return true;
  }
  return false;  // cut short before IEND
}

bool is_pdf(const std::uint8_t* data, std::size_t size) {
  return size >= 5 && std::memcmp(data, "%PDF-", 5) == 0;
}

// Runs a program without a shell and returns its exit status and standard output.
int run_program(const std::vector<std::string>& argv, std::string& output) {
  int pipe_fds[2];
  if (pipe(pipe_fds) != 0) return -1;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addclose(&actions, pipe_fds[0]);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    return -1;
  }
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) > 0) output.append(buffer, static_cast<size_t>(n));
  close(pipe_fds[0]);
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::vector<PageImage> import_pdf(const std::filesystem::path& file, const ImportLimits& limits) {
  const std::string source = file.filename().string();
  std::string info;
  if (run_program({"pdfinfo", file.string()}, info) != 0)
    throw ScanError("corrupt-image", source + ": the PDF file could not be read; it may be damaged.");
  std::smatch m;
  const std::regex size_re(R"(Page size:\s+([0-9.]+) x ([0-9.]+) pts)");
  if (std::regex_search(info, m, size_re)) {
    const double w_px = std::stod(m[1]) / 72.0 * limits.pdf_dpi;
    const double h_px = std::stod(m[2]) / 72.0 * limits.pdf_dpi;
    check_dimensions(static_cast<int>(w_px), static_cast<int>(h_px), source, limits);
  }
  std::error_code ec;
  std::random_device rd;
  const auto dir =
      std::filesystem::temp_directory_path() / ("kiosk-pdf-" + std::to_string(getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  struct Cleanup {
    std::filesystem::path dir;
    ~Cleanup() {
      std::error_code e;
      std::filesystem::remove_all(dir, e);
    }
  } cleanup{dir};
  std::string ignored;
  const int rc = run_program({"pdftoppm", "-r", std::to_string(limits.pdf_dpi), "-gray", "-png", "-l",
                              std::to_string(limits.max_pdf_pages), file.string(), (dir / "page").string()},
                             ignored);
  if (rc != 0) throw ScanError("pdf-failed", source + ": the PDF pages could not be turned into images.");
  std::vector<std::filesystem::path> pngs;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".png") pngs.push_back(entry.path());
  std::sort(pngs.begin(), pngs.end());
  std::vector<PageImage> pages;
  for (size_t i = 0; i < pngs.size(); ++i) {
    auto page_pages = import_image_file(pngs[i], limits);
    for (auto& p : page_pages) {
      p.source = source + " page " + std::to_string(i + 1);
      p.dpi_hint = limits.pdf_dpi;
      pages.push_back(std::move(p));
    }
  }
  if (pages.empty()) throw ScanError("pdf-failed", source + ": the PDF has no pages.");
  return pages;
}

}  // namespace

std::vector<PageImage> import_image_memory(const std::uint8_t* data, std::size_t size, const std::string& source,
                                           const ImportLimits& limits) {
  quiet_leptonica();
  if (!data || size < 8) throw ScanError("corrupt-image", source + ": the file is empty or cut short.");
  l_int32 format = 0, w = 0, h = 0, bps = 0, spp = 0, iscmap = 0;
  if (pixReadHeaderMem(data, size, &format, &w, &h, &bps, &spp, &iscmap) != 0)
    throw ScanError("unsupported-format",
                    source + ": this is not an image the kiosk can read (PNG, JPEG, TIFF or PDF).");
  if (format != IFF_PNG && format != IFF_JFIF_JPEG && format != IFF_PNM && format != IFF_BMP &&
      !(format >= IFF_TIFF && format <= IFF_TIFF_ZIP))
    throw ScanError("unsupported-format",
                    source + ": this image format is not supported (use PNG, JPEG, TIFF or PDF).");
  check_dimensions(w, h, source, limits);
  if (format == IFF_PNG && !png_chunks_fit(data, size))
    throw ScanError("corrupt-image", source + ": the image could not be decoded; the file may be damaged.");
  PixPtr pix(pixReadMem(data, size));
  if (!pix) throw ScanError("corrupt-image", source + ": the image could not be decoded; the file may be damaged.");
  check_dimensions(pixGetWidth(pix.get()), pixGetHeight(pix.get()), source, limits);
  std::vector<PageImage> pages;
  pages.push_back(to_page(pix.get(), source));
  return pages;
}

std::vector<PageImage> import_image_file(const std::filesystem::path& file, const ImportLimits& limits) {
  quiet_leptonica();
  const std::string source = file.filename().string();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw ScanError("file-missing", file.string() + ": there is no such file.");
  std::ifstream in(file, std::ios::binary);
  std::vector<std::uint8_t> head(8, 0);
  in.read(reinterpret_cast<char*>(head.data()), static_cast<std::streamsize>(head.size()));
  if (is_pdf(head.data(), static_cast<size_t>(in.gcount()))) return import_pdf(file, limits);
  in.seekg(0);
  std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  l_int32 format = 0;
  if (bytes.size() >= 8 && findFileFormatBuffer(bytes.data(), &format) == 0 && format >= IFF_TIFF &&
      format <= IFF_TIFF_ZIP) {
    // Multi-page TIFF (a scanner's ADF batch): check each page's header, then decode it.
    l_int32 count = 0;
    FILE* fp = fopenReadFromMemory(bytes.data(), bytes.size());
    if (fp) {
      tiffGetCount(fp, &count);
      fclose(fp);
    }
    if (count > 1) {
      std::vector<PageImage> pages;
      for (l_int32 i = 0; i < count && i < limits.max_pdf_pages; ++i) {
        PixPtr pix(pixReadMemTiff(bytes.data(), bytes.size(), i));
        if (!pix)
          throw ScanError("corrupt-image", source + ": page " + std::to_string(i + 1) + " could not be decoded.");
        check_dimensions(pixGetWidth(pix.get()), pixGetHeight(pix.get()), source, limits);
        pages.push_back(to_page(pix.get(), source + " page " + std::to_string(i + 1)));
      }
      return pages;
    }
  }
  return import_image_memory(bytes.data(), bytes.size(), source, limits);
}

PixPtr pix_from_mat(const cv::Mat& grey) {
  CV_Assert(grey.type() == CV_8UC1);
  PixPtr pix(pixCreate(grey.cols, grey.rows, 8));
  if (!pix) throw ScanError("out-of-memory", "Not enough memory for the page image.");
  for (int y = 0; y < grey.rows; ++y) {
    l_uint32* line = pixGetData(pix.get()) + static_cast<std::ptrdiff_t>(y) * pixGetWpl(pix.get());
    const std::uint8_t* row = grey.ptr<std::uint8_t>(y);
    for (int x = 0; x < grey.cols; ++x) SET_DATA_BYTE(line, x, row[x]);
  }
  return pix;
}

cv::Mat mat_from_pix(const Pix* source) {
  Pix* mutable_source = const_cast<Pix*>(source);
  auto copy_bytes = [](Pix* grey) {
    const int w = pixGetWidth(grey), h = pixGetHeight(grey);
    cv::Mat out(h, w, CV_8UC1);
    for (int y = 0; y < h; ++y) {
      const l_uint32* line = pixGetData(grey) + static_cast<std::ptrdiff_t>(y) * pixGetWpl(grey);
      std::uint8_t* row = out.ptr<std::uint8_t>(y);
      for (int x = 0; x < w; ++x) row[x] = static_cast<std::uint8_t>(GET_DATA_BYTE(line, x));
    }
    return out;
  };
  // Already grey: read it directly (a whole page is 8.7 MB at 300 dpi; no intermediate copy).
  if (pixGetDepth(mutable_source) == 8 && !pixGetColormap(mutable_source)) return copy_bytes(mutable_source);
  PixPtr grey(pixConvertTo8(mutable_source, 0));
  if (!grey) throw ScanError("corrupt-image", "The image has a pixel format the kiosk cannot read.");
  // pixConvertTo8 keeps a colour map for palette images; remove it so bytes are grey levels.
  if (pixGetColormap(grey.get())) grey.reset(pixRemoveColormap(grey.get(), REMOVE_CMAP_TO_GRAYSCALE));
  if (!grey) throw ScanError("corrupt-image", "The image has a pixel format the kiosk cannot read.");
  return copy_bytes(grey.get());
}

cv::Mat normalize_background(cv::Mat grey) {
  PixPtr flat;
  {
    const PixPtr pix = pix_from_mat(grey);
    grey.release();  // freed here when the caller gave the page up
    flat.reset(pixBackgroundNormSimple(pix.get(), nullptr, nullptr));
    if (!flat) return mat_from_pix(pix.get());  // the page as it was
  }                                             // the page's Leptonica copy goes before the result is copied back
  return mat_from_pix(flat.get());
}

cv::Mat remove_specks(const cv::Mat& ink, int min_area) {
  CV_Assert(ink.type() == CV_8UC1);
  PixPtr bits(pixCreate(ink.cols, ink.rows, 1));
  if (!bits) throw ScanError("out-of-memory", "Not enough memory for the page image.");
  for (int y = 0; y < ink.rows; ++y) {
    l_uint32* line = pixGetData(bits.get()) + static_cast<std::ptrdiff_t>(y) * pixGetWpl(bits.get());
    const std::uint8_t* row = ink.ptr<std::uint8_t>(y);
    for (int x = 0; x < ink.cols; ++x)
      if (row[x]) SET_DATA_BIT(line, x);
  }
  // The area of a piece is its number of ink pixels, as with OpenCV's CC_STAT_AREA.
  PixPtr kept(pixSelectByArea(bits.get(), static_cast<l_float32>(min_area), 8, L_SELECT_IF_GTE, nullptr));
  if (!kept) throw ScanError("out-of-memory", "Not enough memory for the page image.");
  bits.reset();
  cv::Mat out(ink.rows, ink.cols, CV_8UC1);
  for (int y = 0; y < out.rows; ++y) {
    const l_uint32* line = pixGetData(kept.get()) + static_cast<std::ptrdiff_t>(y) * pixGetWpl(kept.get());
    std::uint8_t* row = out.ptr<std::uint8_t>(y);
    for (int x = 0; x < out.cols; ++x) row[x] = GET_DATA_BIT(line, x) ? 255 : 0;
  }
  return out;
}

cv::Mat binarize_despeckle(const cv::Mat& grey, int min_speckle_px) {
  PixPtr pix = pix_from_mat(grey);
  Pix* raw_binary = nullptr;
  // Otsu in tiles adapts to what is left of uneven light after background normalisation.
  pixOtsuAdaptiveThreshold(pix.get(), 300, 300, 0, 0, 0.1f, nullptr, &raw_binary);
  PixPtr binary(raw_binary);
  if (!binary) {
    cv::Mat out;
    cv::threshold(grey, out, 0, 255, cv::THRESH_BINARY_INV | cv::THRESH_OTSU);
    return out;
  }
  if (min_speckle_px > 0) {
    PixPtr clean(
        pixSelectBySize(binary.get(), min_speckle_px, min_speckle_px, 8, L_SELECT_IF_EITHER, L_SELECT_IF_GTE, nullptr));
    if (clean) binary = std::move(clean);
  }
  cv::Mat out = mat_from_pix(binary.get());  // 1 bpp ink=1 -> converted 0/255 with ink dark
  cv::Mat ink;
  cv::threshold(out, ink, 127, 255, cv::THRESH_BINARY_INV);
  return ink;
}

// --- PngRowWriter ---------------------------------------------------------------------

namespace {

struct FileCloser {
  void operator()(std::FILE* f) const noexcept {
    if (f) std::fclose(f);
  }
};

void put_be32(std::uint8_t* at, std::uint32_t v) {
  at[0] = static_cast<std::uint8_t>(v >> 24);
  at[1] = static_cast<std::uint8_t>(v >> 16);
  at[2] = static_cast<std::uint8_t>(v >> 8);
  at[3] = static_cast<std::uint8_t>(v);
}

std::uint32_t chunk_crc(const char* type, const std::uint8_t* data, std::size_t size) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(type), 4);
  if (size > 0) crc = crc32(crc, data, static_cast<uInt>(size));
  return static_cast<std::uint32_t>(crc);
}

std::uint8_t paeth(int a, int b, int c) {
  const int p = a + b - c, pa = std::abs(p - a), pb = std::abs(p - b), pc = std::abs(p - c);
  return static_cast<std::uint8_t>(pa <= pb && pa <= pc ? a : (pb <= pc ? b : c));
}

constexpr std::size_t kIhdrOffset = 8;  // after the signature: length, "IHDR", 13 bytes, CRC

}  // namespace

struct PngRowWriter::State {
  std::unique_ptr<std::FILE, FileCloser> out;
  z_stream zlib{};
  bool zlib_ready = false;
  std::vector<std::uint8_t> previous;               // the row above (zeros before the first)
  std::vector<std::vector<std::uint8_t>> filtered;  // the row under each of PNG's 5 filters
  std::vector<std::uint8_t> compressed;
  std::uint8_t header[13] = {};
  ~State() {
    if (zlib_ready) deflateEnd(&zlib);
  }
};

PngRowWriter::PngRowWriter(const std::filesystem::path& file, int width)
    : file_(file), width_(width), state_(std::make_unique<State>()) {
  if (width <= 0 || width > 100000) throw ScanError("io-error", "The scanner sent a page of an impossible size.");
  state_->out.reset(std::fopen(file.c_str(), "wb"));
  if (!state_->out) throw ScanError("io-error", "The scanned page could not be saved (" + file.string() + ").");
  // The destructor does not run for a constructor that throws: remove the started file here.
  try {
    start();
  } catch (...) {
    discard();
    throw;
  }
}

void PngRowWriter::discard() noexcept {
  state_.reset();  // closes the file first
  std::error_code ec;
  std::filesystem::remove(file_, ec);
}

void PngRowWriter::start() {
  const int width = width_;
  const int rc = deflateInit2(&state_->zlib, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15, 8, Z_FILTERED);
  state_->zlib_ready = rc == Z_OK;
  if (!state_->zlib_ready) throw ScanError("io-error", "The scanned page could not be compressed.");
  const auto row_bytes = static_cast<std::size_t>(width) + 1;  // a filter byte, then the pixels
  state_->previous.assign(static_cast<std::size_t>(width), 0);
  state_->filtered.assign(5, std::vector<std::uint8_t>(row_bytes));
  state_->compressed.resize(64 * 1024);
  static const std::uint8_t signature[8] = {137, 80, 78, 71, 13, 10, 26, 10};
  if (std::fwrite(signature, 1, sizeof signature, state_->out.get()) != sizeof signature)
    throw ScanError("io-error", "The scanned page could not be saved (" + file_.string() + ").");
  // Grey, 8 bits, deflate, adaptive filters, not interlaced; the height (0 for now) is
  // written by finish(), when it is known.
  put_be32(state_->header, static_cast<std::uint32_t>(width));
  put_be32(state_->header + 4, 0);
  state_->header[8] = 8;
  write_chunk("IHDR", state_->header, sizeof state_->header);
}

PngRowWriter::~PngRowWriter() {
  if (!finished_) discard();
}

void PngRowWriter::write_chunk(const char* type, const std::uint8_t* data, std::size_t size) {
  std::uint8_t length[4], crc[4];
  put_be32(length, static_cast<std::uint32_t>(size));
  put_be32(crc, chunk_crc(type, data, size));
  std::FILE* f = state_->out.get();
  if (std::fwrite(length, 1, 4, f) != 4 || std::fwrite(type, 1, 4, f) != 4 ||
      (size > 0 && std::fwrite(data, 1, size, f) != size) || std::fwrite(crc, 1, 4, f) != 4)
    throw ScanError("io-error", "The scanned page could not be saved (" + file_.string() + ").");
}

// Runs zlib over the input it has and writes what it produced as IDAT chunks.
void PngRowWriter::deflate_some(int flush) {
  auto& z = state_->zlib;
  for (;;) {
    z.next_out = state_->compressed.data();
    z.avail_out = static_cast<uInt>(state_->compressed.size());
    const int rc = deflate(&z, flush);
    if (rc == Z_STREAM_ERROR) throw ScanError("io-error", "The scanned page could not be compressed.");
    const std::size_t produced = state_->compressed.size() - z.avail_out;
    if (produced > 0) write_chunk("IDAT", state_->compressed.data(), produced);
    if (flush == Z_FINISH ? rc == Z_STREAM_END : (z.avail_in == 0 && z.avail_out != 0)) return;
  }
}

void PngRowWriter::add_row(const std::uint8_t* grey) {
  if (finished_) throw std::logic_error("PngRowWriter: add_row after finish");
  if (rows_ >= 100000) throw ScanError("io-error", "The scanner sent more data than a page can hold.");
  // Each of PNG's five filters; the one with the smallest sum of (signed) differences is
  // kept, the heuristic PNG encoders use for photos and scans.
  const std::uint8_t* up = state_->previous.data();
  auto& f = state_->filtered;
  long best_sum = -1;
  int best = 0;
  for (int kind = 0; kind < 5; ++kind) {
    std::uint8_t* out = f[static_cast<std::size_t>(kind)].data();
    out[0] = static_cast<std::uint8_t>(kind);
    long sum = 0;
    for (int x = 0; x < width_; ++x) {
      const int a = x > 0 ? grey[x - 1] : 0, b = up[x], c = x > 0 ? up[x - 1] : 0;
      int predicted = 0;
      switch (kind) {
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) / 2;
          break;
        case 4:
          predicted = paeth(a, b, c);
          break;
        default:
          break;
      }
      const auto value = static_cast<std::uint8_t>(grey[x] - predicted);
      out[x + 1] = value;
      sum += value < 128 ? value : 256 - value;
    }
    if (best_sum < 0 || sum < best_sum) {
      best_sum = sum;
      best = kind;
    }
  }
  auto& z = state_->zlib;
  z.next_in = f[static_cast<std::size_t>(best)].data();
  z.avail_in = static_cast<uInt>(width_ + 1);
  deflate_some(Z_NO_FLUSH);
  std::copy_n(grey, width_, state_->previous.begin());
  ++rows_;
}

void PngRowWriter::finish() {
  if (finished_) return;
  if (rows_ == 0) throw ScanError("io-error", "The scanner sent an empty page.");
  state_->zlib.next_in = nullptr;
  state_->zlib.avail_in = 0;
  deflate_some(Z_FINISH);
  write_chunk("IEND", nullptr, 0);
  // The height, now known, into the header (and the header's CRC).
  put_be32(state_->header + 4, static_cast<std::uint32_t>(rows_));
  std::uint8_t height[4], crc[4];
  put_be32(height, static_cast<std::uint32_t>(rows_));
  put_be32(crc, chunk_crc("IHDR", state_->header, sizeof state_->header));
  std::FILE* f = state_->out.get();
  const bool written =
      std::fseek(f, static_cast<long>(kIhdrOffset + 8 + 4), SEEK_SET) == 0 && std::fwrite(height, 1, 4, f) == 4 &&
      std::fseek(f, static_cast<long>(kIhdrOffset + 8 + 13), SEEK_SET) == 0 && std::fwrite(crc, 1, 4, f) == 4;
  std::FILE* closing = state_->out.release();
  const bool closed = std::fclose(closing) == 0;
  if (!written || !closed) throw ScanError("io-error", "The scanned page could not be saved (" + file_.string() + ").");
  finished_ = true;
}

}  // namespace scanners
