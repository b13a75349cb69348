// Renders every catalogue form (layout + PDF with QR codes) and reports the median time per
// page and the peak memory, next to pdftoppm's 300 dpi rasterisation of the same pages as a
// yardstick. Usage: bench_print [--repeat N] [--lang L]
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>
#include <vector>

#include "forms/answers.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "print/layout.hpp"
#include "print/pdf.hpp"
#include "print/qr_payload.hpp"

extern char** environ;

namespace {

using Clock = std::chrono::steady_clock;

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1000.0 + static_cast<double>(ts.tv_nsec) / 1e6;
}

double ms_since(Clock::time_point start) {
  return std::chrono::duration<double, std::milli>(Clock::now() - start).count();
}

struct Stats {
  double median, p10, p90, min, max;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<std::size_t>(q * static_cast<double>(v.size() - 1) + 0.5)]; };
  return {at(0.5), at(0.1), at(0.9), v.front(), v.back()};
}

int run(std::vector<std::string> argv) {
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawnp(&pid, args[0], nullptr, nullptr, args.data(), environ) != 0) return -1;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

}  // namespace

int main(int argc, char** argv) {
  int repeat = 5;
  std::string lang = "nb";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--repeat") == 0) repeat = std::max(1, std::atoi(argv[i + 1]));
    if (std::strcmp(argv[i], "--lang") == 0) lang = argv[i + 1];
  }
  const auto dir = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(dir / "forms");
  const auto translations = forms::Translations::load_directory(dir / "i18n");
  print::LayoutContext ctx{&translations, "Helsenorge, Postboks 6576 Etterstad, 0607 Oslo", {}};
  const print::MacKey key(std::vector<std::uint8_t>(32, 0x42));

  char tmpl[] = "/tmp/bench-print.XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  const std::filesystem::path tmp = tmpl;

  std::vector<double> render_ms_per_page, render_cpu_ms_per_page, layout_cpu_ms_per_page, raster_ms_per_page;
  std::size_t pages_total = 0, bytes_total = 0;
  for (const auto& form : catalogue.forms()) {
    const auto answers = forms::make_example_answers(form, 1);
    std::string pdf;
    int pages = 0;
    for (int r = 0; r < repeat; ++r) {
      const auto start = Clock::now();
      const double cpu_start = cpu_ms();
      const auto layout = print::layout_form(form, lang, {}, ctx, &answers);
      const double cpu_layout = cpu_ms() - cpu_start;
      pdf = print::render_form_pdf(layout, "BENCH-1", key, ctx.fonts);
      const double ms = ms_since(start);
      const double cpu = cpu_ms() - cpu_start;
      pages = static_cast<int>(layout.pages.size());
      render_ms_per_page.push_back(ms / pages);
      render_cpu_ms_per_page.push_back(cpu / pages);
      layout_cpu_ms_per_page.push_back(cpu_layout / pages);
    }
    pages_total += static_cast<std::size_t>(pages);
    bytes_total += pdf.size();
    const auto file = tmp / (form.id + ".pdf");
    print::write_file_atomically(file, pdf);
    // Yardstick: rasterise each page at 300 dpi, as a scanner-side check would.
    for (int page = 1; page <= pages; ++page) {
      const auto start = Clock::now();
      int rc = run({"pdftoppm", "-q", "-gray", "-r", "300", "-f", std::to_string(page), "-l", std::to_string(page),
                    file.string(), (tmp / "raster").string()});
      raster_ms_per_page.push_back(ms_since(start));
      if (rc != 0) std::cerr << "pdftoppm failed for " << form.id << "\n";
    }
  }
  rusage self{}, children{};
  getrusage(RUSAGE_SELF, &self);
  getrusage(RUSAGE_CHILDREN, &children);
  std::filesystem::remove_all(tmp);

  const auto r = stats(render_ms_per_page);
  const auto y = stats(raster_ms_per_page);
  const auto rc = stats(render_cpu_ms_per_page);
  const auto lc = stats(layout_cpu_ms_per_page);
  std::printf("forms: %zu, pages: %zu (lang %s, pre-filled), repeats: %d, mean PDF size: %.0f kB\n",
              catalogue.forms().size(), pages_total, lang.c_str(), repeat,
              static_cast<double>(bytes_total) / 1024.0 / static_cast<double>(catalogue.forms().size()));
  std::printf("render (layout + PDF) ms/page: median %.2f  p10 %.2f  p90 %.2f  min %.2f  max %.2f  (n=%zu)\n", r.median,
              r.p10, r.p90, r.min, r.max, render_ms_per_page.size());
  std::printf("render CPU time ms/page:        median %.2f  p10 %.2f  p90 %.2f  (layout alone: median %.2f)\n",
              rc.median, rc.p10, rc.p90, lc.median);
  std::printf("pdftoppm 300 dpi ms/page:      median %.2f  p10 %.2f  p90 %.2f  min %.2f  max %.2f  (n=%zu)\n", y.median,
              y.p10, y.p90, y.min, y.max, raster_ms_per_page.size());
  std::printf("peak memory (max RSS): bench_print %.1f MB, pdftoppm %.1f MB\n",
              static_cast<double>(self.ru_maxrss) / 1024.0, static_cast<double>(children.ru_maxrss) / 1024.0);
  return 0;
}
