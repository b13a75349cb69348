// The pen (pen.hpp) and `kiosk-demo fill-sheet`: a printed PDF signed like a person would and
// laid on SANE's pnm glass.
#include "pen.hpp"

#include <cmath>
#include <ctime>
#include <fstream>
#include <ostream>
#include <vector>

#include <opencv2/imgproc.hpp>

#include "command.hpp"
#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "scanners/image.hpp"

namespace kiosk::cli {

namespace {

double px(double mm) {
  return mm * 300.0 / 25.4;
}

}  // namespace

namespace {

// One character written in a box, a little off the middle as a hand would.
void write_char(cv::Mat& sheet, const print::RectMm& b, const std::string& c, std::mt19937& rng) {
  std::uniform_real_distribution<double> jitter(-0.04, 0.04);
  cv::putText(sheet, c,
              cv::Point(static_cast<int>(px(b.x + b.w * (0.2 + jitter(rng)))),
                        static_cast<int>(px(b.y + b.h * (0.8 + jitter(rng))))),
              cv::FONT_HERSHEY_SIMPLEX, px(b.h) / 34.0, cv::Scalar(25), 4, cv::LINE_AA);
}

void write_answers(cv::Mat& sheet, const print::FormLayout& layout, int page, const forms::Answers& answers,
                   std::mt19937& rng) {
  for (const auto& field : layout.fields) {
    if (field.page != page || field.boxes.empty()) continue;
    const auto it = answers.values.find(field.link_id);
    if (it == answers.values.end() || it->second.empty()) continue;
    const auto& v = it->second.front();
    std::string text = v.to_display_string();
    if (v.kind == forms::AnswerValue::Kind::Date && text.size() == 10)
      text = text.substr(8, 2) + text.substr(5, 2) + text.substr(0, 4);
    switch (field.kind) {
      case print::FieldKind::Tick: {
        bool ticked = false;
        for (const auto& value : it->second) ticked = ticked || value.to_display_string() == field.option;
        if (!ticked) break;
        const auto& b = field.boxes.front();
        const cv::Point a(static_cast<int>(px(b.x + b.w * 0.2)), static_cast<int>(px(b.y + b.h * 0.2)));
        const cv::Point z(static_cast<int>(px(b.x + b.w * 0.8)), static_cast<int>(px(b.y + b.h * 0.8)));
        cv::line(sheet, a, z, cv::Scalar(25), 5, cv::LINE_AA);
        cv::line(sheet, cv::Point(a.x, z.y), cv::Point(z.x, a.y), cv::Scalar(25), 5, cv::LINE_AA);
        break;
      }
      case print::FieldKind::Digits:
      case print::FieldKind::Letters:
        // Capitals, one per box (ASCII only: the pen's font has no æøå).
        for (size_t i = 0; i < field.boxes.size() && i < text.size(); ++i) {
          char c = text[i];
          if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
          if (static_cast<unsigned char>(c) < 0x80 && c != ' ')
            write_char(sheet, field.boxes[i], std::string(1, c), rng);
        }
        break;
      case print::FieldKind::Text: {
        const auto& b = field.boxes.front();
        cv::putText(sheet, text, cv::Point(static_cast<int>(px(b.x + 2)), static_cast<int>(px(b.y + b.h * 0.8))),
                    cv::FONT_HERSHEY_SIMPLEX, px(b.h) / 40.0, cv::Scalar(25), 4, cv::LINE_AA);
        break;
      }
      case print::FieldKind::Signature:
        break;
    }
  }
}

}  // namespace

bool fill_at_home(const cv::Mat& printed, const print::FormLayout& layout, int page, const forms::Answers& answers,
                  const std::string& place, const std::filesystem::path& pgm, std::mt19937& rng) {
  cv::Mat sheet = printed.clone();
  write_answers(sheet, layout, page, answers, rng);
  return fill_like_a_person(sheet, layout, page, place, pgm, rng);
}

bool fill_like_a_person(const cv::Mat& printed, const print::FormLayout& layout, int page, const std::string& place,
                        const std::filesystem::path& pgm, std::mt19937& rng) {
  cv::Mat sheet = printed.clone();
  bool signed_here = false;
  std::uniform_real_distribution<double> jitter(-0.8, 0.8);
  const auto pen = cv::Scalar(25);
  std::time_t now = std::time(nullptr);
  char date[16];
  std::strftime(date, sizeof date, "%d%m%Y", std::localtime(&now));
  for (const auto& field : layout.fields) {
    if (field.page != page || field.boxes.empty()) continue;
    if (field.link_id == "signature") {
      const auto& b = field.boxes.front();
      std::vector<cv::Point> scribble;
      for (int i = 0; i <= 80; ++i) {
        const double t = i / 80.0;
        const double x = b.x + b.w * (0.1 + 0.75 * t);
        const double y = b.y + b.h * (0.55 + 0.25 * std::sin(t * 19.0) * (1.0 - 0.5 * t)) + jitter(rng) * 0.3;
        scribble.emplace_back(static_cast<int>(px(x)), static_cast<int>(px(y)));
      }
      cv::polylines(sheet, std::vector<std::vector<cv::Point>>{scribble}, false, pen, 5, cv::LINE_AA);
      signed_here = true;
    } else if (field.link_id == "signature.date") {
      for (size_t i = 0; i < field.boxes.size() && i < 8; ++i) {
        const auto& b = field.boxes[i];
        cv::putText(sheet, std::string(1, date[i]),
                    cv::Point(static_cast<int>(px(b.x + b.w * 0.22)), static_cast<int>(px(b.y + b.h * 0.82))),
                    cv::FONT_HERSHEY_SIMPLEX, px(b.h) / 32.0, pen, 4, cv::LINE_AA);
      }
    } else if (field.link_id == "signature.place") {
      for (size_t i = 0; i < field.boxes.size() && i < place.size(); ++i) {
        const auto& b = field.boxes[i];
        cv::putText(sheet, std::string(1, place[i]),
                    cv::Point(static_cast<int>(px(b.x + b.w * 0.18)), static_cast<int>(px(b.y + b.h * 0.82))),
                    cv::FONT_HERSHEY_SIMPLEX, px(b.h) / 34.0, pen, 4, cv::LINE_AA);
      }
    }
  }
  // Laid on the glass by hand: a small turn.
  const cv::Mat turn = cv::getRotationMatrix2D(cv::Point2f(sheet.cols / 2.0f, sheet.rows / 2.0f), 0.6, 1.0);
  cv::Mat placed;
  cv::warpAffine(sheet, placed, turn, sheet.size(), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar(255));
  std::ofstream out(pgm, std::ios::binary | std::ios::trunc);
  out << "P5\n" << placed.cols << " " << placed.rows << "\n255\n";
  for (int y = 0; y < placed.rows; ++y) out.write(reinterpret_cast<const char*>(placed.ptr(y)), placed.cols);
  return signed_here && static_cast<bool>(out);
}

namespace {

int fill_sheet(Context& ctx) {
  Args args(ctx.args, {"--pdf", "--form", "--lang", "--page", "--out", "--place", "--config"}, {});
  const char* usage =
      "Usage: kiosk-demo fill-sheet --pdf PRINTED.pdf --form ID --out GLASS.pgm [--page N] [--lang nb] "
      "[--place Oslo] [--config FILE]\n";
  if (!args.ok() || !args.value("--pdf") || !args.value("--form") || !args.value("--out")) {
    ctx.err << (args.ok() ? "--pdf, --form and --out are required" : args.error()) << "\n" << usage;
    return kExitUsage;
  }
  int page = 1;
  try {
    page = std::stoi(args.value("--page").value_or("1"));
  } catch (const std::exception&) {
    page = 0;
  }
  if (page < 1) {
    ctx.err << "--page must be a page number (1, 2, ...)\n" << usage;
    return kExitUsage;
  }
  const std::string lang = args.value("--lang").value_or("nb");
  // The layout is the one the kiosk printed with: same large-print choice and site address.
  const Config config = args.value("--config") ? Config::load(*args.value("--config")) : Config();
  const auto assets = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
  const auto translations = forms::Translations::load_directory(assets / "i18n");
  const auto* form = catalogue.find(*args.value("--form"));
  if (!form) {
    ctx.err << "No form with the id " << *args.value("--form") << " (kioskctl forms list)\n";
    return kExitBadInput;
  }
  print::LayoutContext layout_context;
  layout_context.translations = &translations;
  layout_context.postal_address = config.get_string("site.postal_address");
  const auto layout =
      print::layout_form(*form, lang, print::LayoutOptions{config.get_bool("printer.large_print")}, layout_context);
  std::vector<scanners::PageImage> pages;
  try {
    pages = scanners::import_image_file(*args.value("--pdf"));
  } catch (const std::exception& e) {
    ctx.err << "The printed file cannot be read: " << e.what() << "\n";
    return kExitBadInput;
  }
  if (static_cast<size_t>(page) > pages.size()) {
    ctx.err << "The printed file has " << pages.size() << " page(s), not " << page << "\n";
    return kExitBadInput;
  }
  std::mt19937 rng(7);
  const bool signed_here = fill_like_a_person(pages[static_cast<size_t>(page - 1)].grey, layout, page,
                                              args.value("--place").value_or("Oslo"), *args.value("--out"), rng);
  if (!std::filesystem::exists(*args.value("--out"))) {
    ctx.err << "Cannot write " << *args.value("--out") << "\n";
    return kExitUnavailable;
  }
  ctx.out << (signed_here ? "Signed and dated page " : "Laid page ") << page << " of " << pages.size()
          << " on the glass: " << *args.value("--out") << "\n";
  return kExitOk;
}

const CommandRegistration registration{Command{
    "fill-sheet",
    "fill-sheet --pdf PRINTED.pdf --form ID --out GLASS.pgm [--page N] [--lang nb] [--place Oslo] "
    "[--config FILE]",
    "Sign and date a printed page like a person with a pen and lay it on SANE's pnm glass (a PGM file)", fill_sheet}};

}  // namespace

}  // namespace kiosk::cli
