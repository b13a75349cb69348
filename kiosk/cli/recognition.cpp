#include "recognition.hpp"

#include <filesystem>
#include <fstream>
#include <optional>
#include <ostream>

#include <nlohmann/json.hpp>

#include "config.hpp"
#include "forms/answers.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "print/error.hpp"
#include "print/qr_key_files.hpp"
#include "print/qr_payload.hpp"
#include "scanners/image.hpp"
#include "scanners/recognize.hpp"

namespace kiosk::cli {

bool load_scan_config(const Args& args, Context& ctx, kiosk::Config& config) {
  try {
    if (auto file = args.value("--config"))
      config = kiosk::Config::load(*file);
    else if (std::filesystem::exists(kiosk::Config::default_path()))
      config = kiosk::Config::load(kiosk::Config::default_path());
    return true;
  } catch (const std::exception& e) {
    ctx.err << e.what() << "\n";
    return false;
  }
}

void report_scan_error(Context& ctx, const scanners::ScanError& e, const kiosk::Config& config) {
  std::string lang = "nb";
  try {
    lang = config.get_string("ui.default_language");
  } catch (const std::exception&) {
  }
  try {
    const auto translations = forms::Translations::load_directory(forms::assets_dir() / "i18n");
    ctx.err << translations.text(lang, scanners::message_key(e)) << "\n  (" << e.what() << ")\n";
  } catch (const std::exception&) {
    ctx.err << e.what() << "\n";
  }
}

namespace {

scanners::RecognizerOptions recognizer_options(const kiosk::Config& config) {
  scanners::RecognizerOptions options;
  options.postal_address = config.get_string("site.postal_address");
  const auto dir = config.get_path("print.font_dir");
  options.fonts.regular = dir / "DejaVuSans.ttf";
  options.fonts.bold = dir / "DejaVuSans-Bold.ttf";
  return options;
}

int recognize_or_throw(std::vector<scanners::PageImage> pages, const kiosk::Config& config, const Args& args,
                       Context& ctx) {
  const auto dir = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(dir / "forms");
  const auto translations = forms::Translations::load_directory(dir / "i18n");
  print::QrKeyRing key;
  try {
    // The current key and the ring beside it (earlier and operator keys).
    key = print::load_qr_key_ring(args.value("--key").value_or(config.get_path("print.mac_key_file").string()));
  } catch (const print::PrintError& e) {
    ctx.err << e.what() << "\n";
    return kExitUnavailable;
  }
  // --printed FILE: what the kiosk printed on the sheet it expects ({"submission", "form",
  // "answers": a QuestionnaireResponse}); its unchanged boxes are verified, not read.
  std::optional<scanners::PrintedSheet> printed;
  if (auto file = args.value("--printed")) {
    try {
      std::ifstream in(*file);
      if (!in) throw std::runtime_error("cannot be opened");
      const auto j = nlohmann::json::parse(in);
      const auto& form = catalogue.at(j.at("form").get<std::string>());
      printed = scanners::PrintedSheet{j.at("submission").get<std::string>(),
                                       forms::parse_answers(j.at("answers"), form, *file)};
    } catch (const std::exception& e) {
      ctx.err << "the printed values in " << *file << " cannot be used: " << e.what() << "\n";
      return kExitBadInput;
    }
  }
  scanners::Recognizer recognizer(catalogue, translations, key, recognizer_options(config));
  std::vector<scanners::PageResult> results;
  for (auto& page : pages) results.push_back(recognizer.recognize_page(std::move(page), printed ? &*printed : nullptr));
  if (printed) printed->answers.wipe();
  const auto submissions = scanners::assemble_submissions(std::move(results), catalogue);
  if (auto crops = args.value("--crops")) scanners::write_crops(submissions, *crops);
  const auto json = scanners::to_json(submissions);
  bool all_accepted = true;
  for (const auto& s : submissions) {
    if (!s.problem.empty() || !s.key_problem.empty() || !s.pages_missing.empty() || !s.pages_duplicate.empty())
      all_accepted = false;
    for (const auto& f : s.fields)
      if (f.status != scanners::FieldStatus::Accepted) all_accepted = false;
  }
  if (args.has("--json")) {
    ctx.out << json.dump(2) << "\n";
  } else {
    for (const auto& s : json["submissions"]) {
      ctx.out << "Form " << (s["form"].is_null() ? "(unknown)" : s["form"].get<std::string>());
      if (!s["submission"].is_null()) ctx.out << ", submission " << s["submission"].get<std::string>();
      ctx.out << ": pages " << s["pages_found"].dump() << " found, " << s["pages_missing"].dump() << " missing\n";
      if (s.contains("problem")) ctx.out << "  needs review: " << s["problem"].get<std::string>() << "\n";
      if (s.contains("key_problem")) ctx.out << "  needs review: " << s["key_problem"].get<std::string>() << "\n";
      for (const auto& f : s["fields"])
        ctx.out << "  " << f["linkId"].get<std::string>() << " = " << f["value"].dump() << "  ["
                << f["status"].get<std::string>()
                << (f["reason"].is_null() ? "" : ": " + f["reason"].get<std::string>())
                << (f.contains("printed") ? ", printed by the kiosk, unchanged" : "") << "]\n";
    }
  }
  return all_accepted ? kExitOk : kExitFailed;
}

}  // namespace

int recognize_and_report(std::vector<scanners::PageImage> pages, const kiosk::Config& config, const Args& args,
                         Context& ctx) {
  try {
    return recognize_or_throw(std::move(pages), config, args, ctx);
  } catch (const scanners::ScanError& e) {
    report_scan_error(ctx, e, config);
    return kExitUnavailable;
  }
}

int recognize_files(Context& ctx, const std::string& usage) {
  Args args(ctx.args, {"--crops", "--key", "--config", "--printed"}, {"--json"});
  if (!args.ok() || args.positional().empty()) {
    ctx.err << (args.ok() ? "" : args.error() + "\n") << "Usage: " << usage << "\n";
    return kExitUsage;
  }
  kiosk::Config config;
  if (!load_scan_config(args, ctx, config)) return kExitBadInput;
  std::vector<scanners::PageImage> pages;
  for (const auto& file : args.positional()) {
    try {
      auto imported = scanners::import_image_file(file);
      for (auto& p : imported) pages.push_back(std::move(p));
    } catch (const scanners::ScanError& e) {
      report_scan_error(ctx, e, config);
      return kExitBadInput;
    }
  }
  return recognize_and_report(std::move(pages), config, args, ctx);
}

}  // namespace kiosk::cli
