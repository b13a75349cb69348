// bench_scan [--pages N] [--speed-pages N] [--tesseract-pages N] [--digits 0|1] [--marks 0|1] [--seed S]
// bench_scan --prefilled N [--seed S]: only the pre-filled corpus (issue 17): 2N unchanged sheets
// and N of each kind of hand change.
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

// The value as the kiosk's flow compares it with the answer it knows (kiosk/app scan_service value_text).
std::string as_text(const nlohmann::json& v) {
  if (v.is_null()) return "";
  if (v.is_boolean()) return v.get<bool>() ? "true" : "false";
  if (v.is_string()) return v.get<std::string>();
  if (v.is_array()) {
    std::string joined;
    for (const auto& e : v) joined += (joined.empty() ? "" : ",") + as_text(e);
    return joined;
  }
  return v.dump();
}

// Every printed value of an item, joined as as_text joins a list read from several ticked boxes.
std::string printed_text(const forms::Answers& answers, const std::string& link_id) {
  std::string joined;
  if (auto it = answers.values.find(link_id); it != answers.values.end())
    for (const auto& v : it->second) joined += (joined.empty() ? "" : ",") + v.to_display_string();
  return joined;
}

// Pre-filled sheets (issue 17): sheets the kiosk printed with the answers in their boxes, signed,
// unchanged or changed by hand, scanned with realistic noise. Read twice: with the printed values
// (each box compared with a rendering of what was printed) and, as the yardstick, without them
// (every box read back and compared with the known answer, as the kiosk did before).
int prefilled_bench(const forms::Catalogue& catalogue, const forms::Translations& translations,
                    scancorpus::Generator& gen, scanners::Recognizer& recognizer, int per_kind) {
  using Change = scancorpus::Generator::HandChange;
  const std::vector<std::pair<Change, std::string>> kinds = {{Change::None, "unchanged"},
                                                             {Change::DigitOverwritten, "a digit overwritten"},
                                                             {Change::CrossedOutRewritten, "crossed out and rewritten"},
                                                             {Change::CrossedOutEmpty, "crossed out, nothing written"},
                                                             {Change::TickMoved, "a tick moved"}};
  std::vector<std::string> form_ids;
  for (const auto& form : catalogue.forms()) form_ids.push_back(form.id);
  const std::vector<std::string> langs = {"nb", "nn", "en"};
  std::uniform_real_distribution<double> u(0.0, 1.0);
  struct Row {
    int sheets = 0, no_question = 0, caught = 0, other_questions = 0, silent_wrong = 0, unsigned_found = 0;
    int yard_no_question = 0, yard_questions = 0, yard_silent_wrong = 0, questions = 0;
  };
  std::map<std::string, Row> rows;
  std::vector<double> verify_times, read_times;
  int next = 0;
  std::cout << "== Pre-filled sheets: " << 2 * per_kind << " unchanged, " << per_kind
            << " of each hand change, forms in turn from " << form_ids.size() << " forms, every page, nb/nn/en\n";
  for (const auto& [change, name] : kinds) {
    Row& row = rows[name];
    // Twice as many unchanged sheets: the share that needs no question is the finer target.
    const int wanted = change == Change::None ? 2 * per_kind : per_kind;
    for (int tries = 0; row.sheets < wanted && tries < wanted * 20; ++tries, ++next) {
      const std::string& form_id = form_ids[static_cast<size_t>(next) % form_ids.size()];
      const std::string& lang = langs[static_cast<size_t>(next / static_cast<int>(form_ids.size())) % langs.size()];
      const auto& form = catalogue.at(form_id);
      const int form_pages = static_cast<int>(gen.layout(form_id, lang).pages.size());
      const int page_no = 1 + next % form_pages;
      const std::string submission = "PF" + std::to_string(next);
      scancorpus::Generator::PrefilledPage sheet;
      try {
        sheet = gen.prefilled(form_id, lang, submission, page_no, static_cast<unsigned>(3000 + next), change);
      } catch (const std::runtime_error&) {
        continue;  // no field on this page takes this change
      }
      scancorpus::Degradation d;
      d.dpi = u(gen.rng()) < 0.5 ? 200 : 300;
      d.quarter_turns = static_cast<int>(u(gen.rng()) * 4) % 4;
      d.skew_deg = (u(gen.rng()) - 0.5) * 6.0;
      d.blur_sigma = u(gen.rng()) < 0.4 ? u(gen.rng()) * 1.2 : 0.0;
      d.noise_sigma = u(gen.rng()) < 0.5 ? u(gen.rng()) * 10.0 : 0.0;
      d.jpeg_quality = u(gen.rng()) < 0.4 ? 50 + static_cast<int>(u(gen.rng()) * 45) : 0;
      d.uneven_light = u(gen.rng()) < 0.3;
      d.fold = u(gen.rng()) < 0.2;
      const cv::Mat scanned = gen.degrade(sheet.grey, d);
      const scanners::PrintedSheet printed{submission, sheet.answers};
      scanners::PageImage page;
      page.grey = scanned;
      auto t = Clock::now();
      const auto verified = recognizer.recognize_page(page, &printed);
      verify_times.push_back(seconds_since(t));
      t = Clock::now();
      const auto read = recognizer.recognize_page(page);
      read_times.push_back(seconds_since(t));
      if (!verified.problem.empty()) {
        std::cout << "  " << form_id << " page " << page_no << ": " << verified.problem << "\n";
        continue;
      }
      ++row.sheets;
      // With verification: what the kiosk asks now.
      int questions = 0, others = 0;
      bool caught = false;
      for (const auto& f : verified.fields) {
        if (f.link_id == "signature" && sheet.signed_by_hand && f.value != true) ++row.unsigned_found;
        const auto* item = form.find_item(f.link_id);
        if (!item) continue;
        const std::string truth = printed_text(sheet.answers, f.link_id);
        if (f.status == scanners::FieldStatus::NeedsReview) {
          ++questions;
          if (f.link_id == sheet.changed)
            caught = true;
          else
            ++others;
        } else if (f.link_id == sheet.changed || as_text(f.value) != truth) {
          ++row.silent_wrong;
          std::cout << "  silent wrong: " << form_id << " page " << page_no << " " << f.link_id << " read "
                    << f.value.dump() << " printed " << truth << (f.link_id == sheet.changed ? " (changed)" : "")
                    << "\n";
        }
      }
      row.questions += questions;
      if (questions == 0) ++row.no_question;
      if (caught) ++row.caught;
      row.other_questions += others;
      if (change == Change::None && questions > 0) {
        std::cout << "  asked on an unchanged sheet: " << form_id << " page " << page_no << ":";
        for (const auto& f : verified.fields)
          if (form.find_item(f.link_id) && f.status == scanners::FieldStatus::NeedsReview)
            std::cout << " " << f.link_id << " (" << f.reason << ")";
        std::cout << " (dpi " << d.dpi << ", turns " << d.quarter_turns << ", skew " << d.skew_deg << ", blur "
                  << d.blur_sigma << ", noise " << d.noise_sigma << ", jpeg " << d.jpeg_quality << ")\n";
      }
      if (change != Change::None && !caught)
        std::cout << "  missed: " << form_id << " page " << page_no << " " << sheet.changed << "\n";
      // The yardstick: every box read back; a value that needs review or differs from the known
      // answer is asked (as the kiosk's flow did before verification).
      int yard = 0;
      for (const auto& f : read.fields) {
        const auto* item = form.find_item(f.link_id);
        if (!item) continue;
        const std::string truth = printed_text(sheet.answers, f.link_id);
        if (f.status == scanners::FieldStatus::NeedsReview || as_text(f.value) != truth)
          ++yard;
        else if (f.link_id == sheet.changed)
          ++row.yard_silent_wrong;
      }
      row.yard_questions += yard;
      if (yard == 0) ++row.yard_no_question;
    }
  }
  const auto vt = stats(verify_times), rt = stats(read_times);
  std::cout << std::fixed << std::setprecision(1);
  std::cout << "\n| sheets | n | need no question | hand change caught | questions on other fields | silent wrong | "
               "yardstick (read back): need no question | yardstick: questions per sheet |\n"
               "| --- | --- | --- | --- | --- | --- | --- | --- |\n";
  for (const auto& [change, name] : kinds) {
    const Row& r = rows[name];
    const double n = std::max(1, r.sheets);
    std::cout << "| " << name << " | " << r.sheets << " | " << 100.0 * r.no_question / n << " % | "
              << (change == Change::None ? std::string("—") : std::to_string(r.caught) + "/" + std::to_string(r.sheets))
              << " | " << r.other_questions << " | " << r.silent_wrong << " | " << 100.0 * r.yard_no_question / n
              << " % | " << std::setprecision(2) << r.yard_questions / n << std::setprecision(1) << " |\n";
  }
  std::cout << std::setprecision(3) << "\nseconds per page, verified against the printed values: median " << vt.median
            << " (p10 " << vt.p10 << ", p90 " << vt.p90 << "); read back without them: median " << rt.median << " (p10 "
            << rt.p10 << ", p90 " << rt.p90 << ")\n";
  int unsigned_found = 0;
  for (const auto& [name, r] : rows) unsigned_found += r.unsigned_found;
  std::cout << "signed sheets whose signature was not found: " << unsigned_found << "\n";
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) == 3)
    std::cout << "load average at the end: " << load[0] << " " << load[1] << " " << load[2] << "\n";
  (void)translations;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int pages = 40, speed_pages = 12, tess_pages = 5, prefilled = 0;
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
    else if (f == "--prefilled")
      prefilled = std::atoi(argv[i + 1]);
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
  if (prefilled > 0) return prefilled_bench(catalogue, translations, gen, recognizer, prefilled);

  // 1. Digits on unseen MNIST (indices >= 600), each drawn into a box with border remnants.
  scanners::DigitClassifier classifier(scanners::DigitClassifier::default_model_files());
  // The same acceptance rule as the recognizer: a digit it does not accept goes to review.
  const scanners::DigitAcceptance acceptance = scanners::RecognizerOptions{}.digit_acceptance;
  // The readings per digit as the classifier makes them (not every network reads every test-time
  // variant), counted rather than assumed.
  if (digits_section)
    std::cout << "== Digits, unseen MNIST indices >= " << scanners::kMnistTrainPerDigit << " (" << classifier.networks()
              << " networks, " << classifier.readings({scanners::DigitImage{}}).front().size()
              << " weighted readings per digit; accepted when averaged confidence >= " << acceptance.min_confidence
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
