// kioskctl layout | print | print-receipt | printer-status
#include <chrono>
#include <fstream>
#include <optional>
#include <ostream>
#include <random>
#include <thread>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "config.hpp"
#include "forms/answers.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/error.hpp"
#include "forms/questionnaire_import.hpp"
#include "forms/translations.hpp"
#include "print/error.hpp"
#include "print/layout.hpp"
#include "print/pdf.hpp"
#include "print/printer.hpp"
#include "print/qr_payload.hpp"

namespace kiosk::cli {

namespace {

// Exit code for a print-library failure: missing fonts, keys, disks and printers are
// "unavailable"; the rest is a failure.
int exit_code_for(const print::PrintError& e) {
  const std::string& c = e.code();
  if (c == "unknown-language") return kExitUsage;
  if (c == "qr-bad-field") return kExitBadInput;
  if (c == "font-missing" || c == "mac-key-missing" || c == "mac-key-too-short" || c == "output-failed")
    return kExitUnavailable;
  return kExitFailed;
}

bool load_config(const Args& args, Context& ctx, kiosk::Config& config) {
  try {
    if (auto file = args.value("--config"))
      config = kiosk::Config::load(*file);
    else if (std::filesystem::exists(kiosk::Config::default_path()))
      config = kiosk::Config::load(kiosk::Config::default_path());
    for (const auto& w : config.warnings()) ctx.err << "warning: " << w << "\n";
    return true;
  } catch (const std::exception& e) {
    ctx.err << e.what() << "\n";
    return false;
  }
}

print::Fonts fonts_from(const kiosk::Config& config) {
  print::Fonts fonts;
  const auto dir = config.get_path("print.font_dir");
  fonts.regular = dir / "DejaVuSans.ttf";
  fonts.bold = dir / "DejaVuSans-Bold.ttf";
  return fonts;
}

bool usage_error(const Args& args, Context& ctx, const std::string& usage, bool extra_ok = true) {
  if (args.ok() && extra_ok) return false;
  ctx.err << (args.ok() ? "" : args.error() + "\n") << "Usage: kioskctl " << usage << "\n";
  return true;
}

bool check_language(const std::string& lang, const forms::Translations& t, Context& ctx) {
  const auto langs = t.languages();
  if (forms::is_known_language(lang) && std::find(langs.begin(), langs.end(), lang) != langs.end()) return true;
  ctx.err << "Unknown language \"" << lang << "\". Use one of: nb, nn, se, en.\n";
  return false;
}

const forms::Questionnaire* find_form(const forms::Catalogue& catalogue, const std::string& id, Context& ctx) {
  const forms::Questionnaire* q = catalogue.find(id);
  if (!q) ctx.err << "There is no form with id \"" << id << "\". Run kioskctl forms list to see them.\n";
  return q;
}

// What layout, print and print-receipt all start from: the catalogue, the string
// catalogue, a known language and the form asked for.
struct FormRequest {
  forms::Catalogue catalogue;
  forms::Translations translations;
  std::string lang;
  const forms::Questionnaire* form = nullptr;
  std::optional<forms::Questionnaire> imported;  // --questionnaire FILE
};

// A platform Questionnaire given with --questionnaire FILE, imported as `forms import` does;
// a Bundle's first offered form. Not offered: the reason, and exit 3.
std::optional<int> load_questionnaire(const std::string& file, Context& ctx, FormRequest& out) {
  const auto forms = forms::import_questionnaire_file(file);
  for (const auto& f : forms)
    if (f.offered) {
      out.imported = f.form;
      out.form = &*out.imported;
      return std::nullopt;
    }
  ctx.err << file << ": the kiosk cannot offer this form: "
          << (forms.empty() ? std::string("it holds no form") : forms.front().not_offered)
          << " (kioskctl forms import lists every item)\n";
  return kExitBadInput;
}

// Returns an exit code when the request cannot be served (the reason is already written).
std::optional<int> load_form_request(const Args& args, const std::string& form_id, Context& ctx, FormRequest& out) {
  const auto dir = forms::assets_dir();
  out.translations = forms::Translations::load_directory(dir / "i18n");
  out.lang = args.value("--lang").value_or("nb");
  if (!check_language(out.lang, out.translations, ctx)) return kExitUsage;
  if (auto file = args.value("--questionnaire")) return load_questionnaire(*file, ctx, out);
  out.catalogue = forms::Catalogue::load_directory(dir / "forms");
  out.form = find_form(out.catalogue, form_id, ctx);
  if (!out.form) return kExitBadInput;
  return std::nullopt;
}

// Runs a command body, turning the libraries' errors into their message and exit code.
template <typename Body>
int with_library_errors(Context& ctx, Body&& body) {
  try {
    return body();
  } catch (const print::PrintError& e) {
    ctx.err << e.what() << "\n";
    return exit_code_for(e);
  } catch (const forms::FormError& e) {
    ctx.err << e.what() << "\n";
    return kExitBadInput;
  }
}

// Loads the request and runs the body with it, with the libraries' errors mapped.
template <typename Body>
int with_form_request(const Args& args, const std::string& form_id, Context& ctx, Body&& body) {
  return with_library_errors(ctx, [&]() -> int {
    FormRequest request;
    if (auto failed = load_form_request(args, form_id, ctx, request)) return *failed;
    return body(request.translations, request.lang, *request.form);
  });
}

// Prints the PDF on the configured printer and follows the job, reporting changes in plain words.
int print_on_printer(const std::string& pdf, const std::string& title, const kiosk::Config& config, const Args& args,
                     const forms::Translations& t, const std::string& lang, Context& ctx) {
  print::PrinterTarget target;
  target.queue = args.value("--queue").value_or(config.get_string("printer.queue"));
  print::JobOptions options;
  if (auto s = args.value("--give-up-after")) {
    try {
      options.stall_timeout = std::chrono::seconds(std::stoi(*s));
    } catch (const std::exception&) {
      ctx.err << "--give-up-after takes a number of seconds\n";
      return kExitUsage;
    }
  }
  auto job = print::PrintJob::start(target, pdf, title, options);
  std::string last_key;
  while (!job->wait_for(std::chrono::milliseconds(200))) {
    auto st = job->status();
    if (st.message_key != last_key) {
      ctx.out << t.text(lang, st.message_key) << "\n";
      last_key = st.message_key;
    }
  }
  auto st = job->status();
  if (st.state == print::JobState::Completed) {
    ctx.out << t.text(lang, st.message_key) << "\n";
    ctx.out << "job " << st.job_id << " completed\n";
    return kExitOk;
  }
  ctx.err << t.text(lang, st.message_key) << "\n";
  for (const auto& p : st.problems) ctx.err << "  " << p.code << ": " << p.detail << "\n";
  return kExitUnavailable;
}

int layout_cmd(Context& ctx) {
  const std::string usage = "layout (FORM_ID | --questionnaire FILE) --lang L [--large-print] [--json] [--config FILE]";
  Args args(ctx.args, {"--lang", "--config", "--questionnaire"}, {"--large-print", "--json"});
  if (usage_error(args, ctx, usage, args.positional().size() == (args.has("--questionnaire") ? 0u : 1u)))
    return kExitUsage;
  kiosk::Config config;
  if (!load_config(args, ctx, config)) return kExitBadInput;
  return with_form_request(
      args, args.positional().empty() ? std::string() : args.positional()[0], ctx,
      [&](const forms::Translations& translations, const std::string& lang, const forms::Questionnaire& form) -> int {
        print::LayoutContext lc{&translations, config.get_string("site.postal_address"), fonts_from(config)};
        print::LayoutOptions options{args.has("--large-print") || config.get_bool("printer.large_print")};
        const auto layout = print::layout_form(form, lang, options, lc);
        if (args.has("--json")) {
          ctx.out << print::field_map_json(layout).dump(1) << "\n";
        } else {
          ctx.out << layout.form_id << " v" << layout.version << " (" << lang << "): " << layout.pages.size()
                  << " page(s), " << layout.fields.size() << " fields\n";
          for (const auto& f : layout.fields)
            ctx.out << "  p" << f.page << "  " << print::to_string(f.kind) << "  " << f.link_id
                    << (f.option.empty() ? "" : " = " + f.option) << "  (" << f.boxes.size() << " box"
                    << (f.boxes.size() == 1 ? "" : "es") << ")\n";
        }
        return kExitOk;
      });
}

// Checks pre-filled answers: well-formed for the form and short enough for their boxes.
// Missing answers are fine (the person fills them in by hand).
bool answers_fit(const forms::Questionnaire& form, const forms::Answers& answers, const print::FormLayout& layout,
                 Context& ctx) {
  bool ok = true;
  for (const auto& issue : forms::validate_answers(form, answers)) {
    if (issue.code == "required") continue;
    ctx.err << "The answer to \"" << issue.link_id << "\" does not fit the form: " << issue.code << "\n";
    ok = false;
  }
  for (const auto& f : layout.fields) {
    if (f.kind != print::FieldKind::Digits && f.kind != print::FieldKind::Letters) continue;
    const auto* v = answers.first(f.link_id);
    if (!v) continue;
    std::string s = v->to_display_string();
    std::size_t chars = 0;
    for (unsigned char c : s)
      if ((c & 0xC0) != 0x80) ++chars;
    if (v->kind == forms::AnswerValue::Kind::Date) chars = 8;
    if (chars > f.boxes.size()) {
      ctx.err << "The answer to \"" << f.link_id << "\" has " << chars << " characters but the form has only "
              << f.boxes.size() << " boxes for it.\n";
      ok = false;
    }
  }
  return ok;
}

int print_cmd(Context& ctx) {
  const std::string usage =
      "print (FORM_ID | --questionnaire FILE) --lang L [--out FILE.pdf] [--answers FILE.json] [--submission ID] "
      "[--large-print] [--config FILE] [--queue Q] [--give-up-after SECONDS]";
  Args args(
      ctx.args,
      {"--lang", "--out", "--answers", "--submission", "--config", "--queue", "--give-up-after", "--questionnaire"},
      {"--large-print"});
  if (usage_error(args, ctx, usage, args.positional().size() == (args.has("--questionnaire") ? 0u : 1u)))
    return kExitUsage;
  kiosk::Config config;
  if (!load_config(args, ctx, config)) return kExitBadInput;
  return with_form_request(
      args, args.positional().empty() ? std::string() : args.positional()[0], ctx,
      [&](const forms::Translations& translations, const std::string& lang, const forms::Questionnaire& form) -> int {
        std::optional<forms::Answers> answers;
        if (auto file = args.value("--answers")) {
          std::ifstream in(*file);
          if (!in) {
            ctx.err << "Cannot read the answers file " << *file << "\n";
            return kExitBadInput;
          }
          nlohmann::json j = nlohmann::json::parse(in, nullptr, false);
          if (j.is_discarded()) {
            ctx.err << "The answers file " << *file << " is not valid JSON\n";
            return kExitBadInput;
          }
          answers = forms::parse_answers(j, form, *file);
        }
        const std::string submission = args.value("--submission").value_or("");
        print::LayoutContext lc{&translations, config.get_string("site.postal_address"), fonts_from(config)};
        print::LayoutOptions options{args.has("--large-print") || config.get_bool("printer.large_print")};
        const auto layout = print::layout_form(form, lang, options, lc, answers ? &*answers : nullptr);
        if (answers && !answers_fit(form, *answers, layout, ctx)) return kExitBadInput;
        const auto key = print::MacKey::load_file(config.get_path("print.mac_key_file"));
        const std::string pdf = print::render_form_pdf(layout, submission, key, lc.fonts);
        if (auto out = args.value("--out")) {
          print::write_file_atomically(*out, pdf);
          ctx.out << "Wrote " << *out << " (" << layout.pages.size() << " page(s), " << pdf.size() << " bytes)\n";
          return kExitOk;
        }
        return print_on_printer(pdf, layout.title, config, args, translations, lang, ctx);
      });
}

int print_receipt_cmd(Context& ctx) {
  const std::string usage =
      "print-receipt --reference REF --form ID --lang L [--out FILE.pdf] [--config FILE] [--queue Q]";
  Args args(ctx.args, {"--reference", "--form", "--lang", "--out", "--config", "--queue", "--give-up-after"}, {});
  if (usage_error(args, ctx, usage, args.positional().empty() && args.has("--reference") && args.has("--form")))
    return kExitUsage;
  kiosk::Config config;
  if (!load_config(args, ctx, config)) return kExitBadInput;
  return with_form_request(
      args, *args.value("--form"), ctx,
      [&](const forms::Translations& translations, const std::string& lang, const forms::Questionnaire& form) -> int {
        print::ReceiptInfo info;
        info.reference = *args.value("--reference");
        info.form_id = form.id;
        info.form_title = form.title.get(lang);
        info.lang = lang;
        info.help_phone = config.get_string("site.help_phone");
        info.site_name = config.get_string("site.name");
        const std::string pdf = print::render_receipt_pdf(info, translations, fonts_from(config));
        if (auto out = args.value("--out")) {
          print::write_file_atomically(*out, pdf);
          ctx.out << "Wrote " << *out << " (" << pdf.size() << " bytes)\n";
          return kExitOk;
        }
        return print_on_printer(pdf, translations.text(lang, "receipt.title") + " " + info.reference, config, args,
                                translations, lang, ctx);
      });
}

int printer_status_cmd(Context& ctx) {
  const std::string usage = "printer-status [--lang L] [--json] [--config FILE] [--queue Q]";
  Args args(ctx.args, {"--lang", "--config", "--queue"}, {"--json"});
  if (usage_error(args, ctx, usage, args.positional().empty())) return kExitUsage;
  kiosk::Config config;
  if (!load_config(args, ctx, config)) return kExitBadInput;
  const auto translations = forms::Translations::load_directory(forms::assets_dir() / "i18n");
  const std::string lang = args.value("--lang").value_or("nb");
  if (!check_language(lang, translations, ctx)) return kExitUsage;
  print::PrinterTarget target;
  target.queue = args.value("--queue").value_or(config.get_string("printer.queue"));
  const auto st = print::query_printer(target);
  if (args.has("--json")) {
    nlohmann::json problems = nlohmann::json::array();
    for (const auto& p : st.problems)
      problems.push_back({{"code", p.code}, {"message", translations.text(lang, p.message_key)}, {"detail", p.detail}});
    ctx.out << nlohmann::json{{"queue", st.queue},
                              {"reachable", st.reachable},
                              {"state", st.state},
                              {"accepting_jobs", st.accepting_jobs},
                              {"state_reasons", st.state_reasons},
                              {"ready", st.ready()},
                              {"problems", problems}}
                   .dump(2)
            << "\n";
  } else {
    ctx.out << (st.queue.empty() ? std::string("(default)") : st.queue) << ": " << st.state << "\n";
    if (st.ready()) ctx.out << translations.text(lang, "print.status.ok") << "\n";
    for (const auto& p : st.problems)
      ctx.out << translations.text(lang, p.message_key) << "  [" << p.code << ": " << p.detail << "]\n";
  }
  return st.ready() ? kExitOk : kExitUnavailable;
}

const CommandRegistration registration{
    Command{"layout", "layout (FORM_ID | --questionnaire FILE) --lang L [--large-print] [--json] [--config FILE]",
            "Print a form's field map (boxes in mm from the top-left corner), the scanner's source of truth; "
            "--questionnaire lays out a platform Questionnaire as `forms import` reads it",
            layout_cmd},
    Command{"print",
            "print (FORM_ID | --questionnaire FILE) --lang L [--out FILE.pdf] [--answers FILE.json] [--submission ID] "
            "[--large-print] [--config FILE] [--queue Q] [--give-up-after SECONDS]",
            "Render a form to PDF, or print it on the configured printer and follow the job", print_cmd},
    Command{"print-receipt",
            "print-receipt --reference REF --form ID --lang L [--out FILE.pdf] [--config FILE] [--queue Q]",
            "Render or print a receipt (kvittering) with the reference number", print_receipt_cmd},
    Command{"printer-status", "printer-status [--lang L] [--json] [--config FILE] [--queue Q]",
            "Say whether the printer is ready, or what is wrong in plain words", printer_status_cmd}};

}  // namespace

}  // namespace kiosk::cli
