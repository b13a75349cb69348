#include "support.hpp"

#include <png.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#define ZX_USE_UTF8 1  // Result::text() as UTF-8 std::string
#include <ZXing/ReadBarcode.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "forms/assets.hpp"

extern char** environ;

namespace print_test {

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string tmpl = std::string(base && *base ? base : "/tmp") + "/kiosk-print-test.XXXXXX";
  if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

RunResult run(const std::vector<std::string>& argv, const std::vector<std::string>& extra_env) {
  int pipefd[2];
  if (pipe(pipefd) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
  posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
  posix_spawn_file_actions_addclose(&actions, pipefd[0]);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e; ++e) env_strings.emplace_back(*e);
  for (const auto& e : extra_env) env_strings.push_back(e);
  std::vector<char*> env_ptrs, arg_ptrs;
  for (auto& s : env_strings) env_ptrs.push_back(s.data());
  env_ptrs.push_back(nullptr);
  std::vector<std::string> args = argv;
  for (auto& s : args) arg_ptrs.push_back(s.data());
  arg_ptrs.push_back(nullptr);
  pid_t pid = 0;
  int rc = posix_spawnp(&pid, arg_ptrs[0], &actions, nullptr, arg_ptrs.data(), env_ptrs.data());
  posix_spawn_file_actions_destroy(&actions);
  close(pipefd[1]);
  RunResult result;
  if (rc != 0) {
    close(pipefd[0]);
    result.output = "cannot start " + argv[0] + ": " + std::strerror(rc);
    return result;
  }
  std::array<char, 4096> buf;
  ssize_t n;
  while ((n = read(pipefd[0], buf.data(), buf.size())) > 0)
    result.output.append(buf.data(), static_cast<std::size_t>(n));
  close(pipefd[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

GreyImage read_png(const std::filesystem::path& file) {
  png_image image;
  std::memset(&image, 0, sizeof image);
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&image, file.c_str()))
    throw std::runtime_error("cannot read " + file.string() + ": " + image.message);
  image.format = PNG_FORMAT_GRAY;
  GreyImage out;
  out.width = static_cast<int>(image.width);
  out.height = static_cast<int>(image.height);
  out.pixels.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.pixels.data(), 0, nullptr)) {
    png_image_free(&image);
    throw std::runtime_error("cannot decode " + file.string() + ": " + image.message);
  }
  return out;
}

GreyImage read_pgm(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::string magic;
  int maxval = 0;
  GreyImage out;
  in >> magic >> out.width >> out.height >> maxval;
  in.get();
  if (!in || magic != "P5" || maxval != 255 || out.width <= 0 || out.height <= 0)
    throw std::runtime_error("not an 8-bit PGM: " + file.string());
  out.pixels.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height));
  in.read(reinterpret_cast<char*>(out.pixels.data()), static_cast<std::streamsize>(out.pixels.size()));
  if (!in) throw std::runtime_error("truncated PGM: " + file.string());
  return out;
}

GreyImage crop(const GreyImage& image, int dpi, const print::RectMm& r) {
  const double px = dpi / 25.4;
  const int x0 = std::clamp(static_cast<int>(r.x * px), 0, image.width);
  const int y0 = std::clamp(static_cast<int>(r.y * px), 0, image.height);
  const int x1 = std::clamp(static_cast<int>((r.x + r.w) * px), x0, image.width);
  const int y1 = std::clamp(static_cast<int>((r.y + r.h) * px), y0, image.height);
  GreyImage out;
  out.width = x1 - x0;
  out.height = y1 - y0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) out.pixels.push_back(image.at(x, y));
  return out;
}

std::vector<std::filesystem::path> rasterise(const std::filesystem::path& pdf, int dpi,
                                             const std::filesystem::path& dir, const std::string& prefix, bool png) {
  std::vector<std::string> argv = {
      "pdftoppm", "-q", "-gray", "-r", std::to_string(dpi), pdf.string(), (dir / prefix).string()};
  if (png) argv.insert(argv.begin() + 3, "-png");
  auto r = run(argv);
  const std::string ext = png ? ".png" : ".pgm";
  if (r.exit_code != 0) throw std::runtime_error("pdftoppm failed: " + r.output);
  std::vector<std::filesystem::path> pages;
  for (int page = 1;; ++page) {
    bool found = false;
    // pdftoppm pads the page number with zeros to the width of the page count.
    for (int width = 1; width <= 3 && !found; ++width) {
      std::string number = std::to_string(page);
      while (static_cast<int>(number.size()) < width) number.insert(number.begin(), '0');
      const auto file = dir / (prefix + "-" + number + ext);
      if (std::filesystem::exists(file)) {
        pages.push_back(file);
        found = true;
      }
    }
    if (!found) break;
  }
  return pages;
}

std::optional<std::string> decode_qr(const GreyImage& image) {
  ZXing::ImageView view(image.pixels.data(), image.width, image.height, ZXing::ImageFormat::Lum);
  ZXing::DecodeHints hints;
  hints.setFormats(ZXing::BarcodeFormat::QRCode);
  hints.setTryHarder(true);
  auto result = ZXing::ReadBarcode(view, hints);
  if (!result.isValid()) return std::nullopt;
  return result.text();
}

double dark_fraction(const GreyImage& image, int dpi, const print::RectMm& r) {
  const double px = dpi / 25.4;
  int x0 = static_cast<int>(r.x * px), y0 = static_cast<int>(r.y * px);
  int x1 = static_cast<int>((r.x + r.w) * px), y1 = static_cast<int>((r.y + r.h) * px);
  x0 = std::max(0, x0);
  y0 = std::max(0, y0);
  x1 = std::min(image.width, x1);
  y1 = std::min(image.height, y1);
  long dark = 0, total = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) {
      ++total;
      if (image.at(x, y) < 128) ++dark;
    }
  return total ? static_cast<double>(dark) / static_cast<double>(total) : 0.0;
}

const forms::Catalogue& catalogue() {
  static const forms::Catalogue c = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
  return c;
}

const forms::Translations& translations() {
  static const forms::Translations t = forms::Translations::load_directory(forms::assets_dir() / "i18n");
  return t;
}

print::MacKey test_key() {
  std::vector<std::uint8_t> bytes;
  for (int i = 0; i < 32; ++i) bytes.push_back(static_cast<std::uint8_t>(i * 7 + 3));
  return print::MacKey(bytes);
}

print::LayoutContext layout_context() {
  print::LayoutContext c;
  c.translations = &translations();
  c.postal_address = "Helsenorge, Postboks 6576 Etterstad, 0607 Oslo";
  return c;
}

std::filesystem::path kioskctl() {
  return std::filesystem::path(KIOSK_BINARY_DIR) / "bin" / "kioskctl";
}

}  // namespace print_test
