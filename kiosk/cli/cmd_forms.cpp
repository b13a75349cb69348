// kioskctl forms list | forms show | forms check | forms import | check-id
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <ostream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/error.hpp"
#include "forms/identity.hpp"
#include "forms/questionnaire_import.hpp"
#include "forms/translations.hpp"
#include "print/error.hpp"
#include "print/layout.hpp"
#include "print/qr_payload.hpp"

namespace kiosk::cli {

namespace {

bool check_args(const Args& args, Context& ctx, const std::string& usage) {
  if (args.ok()) return true;
  ctx.err << args.error() << "\nUsage: kioskctl " << usage << "\n";
  return false;
}

bool check_lang(const std::string& lang, Context& ctx) {
  if (forms::is_known_language(lang)) return true;
  ctx.err << "Unknown language \"" << lang << "\". Use one of: nb, nn, se, en.\n";
  return false;
}

void print_item(const forms::Questionnaire& form, const forms::Item& item, const std::string& lang,
                const forms::Translations& t, std::ostream& out, int depth) {
  const std::string indent(static_cast<size_t>(depth) * 2, ' ');
  if (item.type == forms::ItemType::Group) {
    if (!item.text.empty()) out << indent << "## " << item.text.get(lang) << "\n";
  } else if (item.type == forms::ItemType::Display) {
    out << indent << "(" << item.text.get(lang) << ")\n";
  } else {
    out << indent << "- " << item.text.get(lang);
    if (item.required) out << " *";
    out << "  [" << item.link_id << ", " << forms::to_string(item.type) << "]\n";
    for (const auto& o : item.options) out << indent << "    [ ] " << o.display.get(lang) << "  (" << o.code << ")\n";
    for (const auto& cond : item.enable_when) {
      // Name the question and the answer in words, as a person reads the paper form.
      const forms::Item* target = form.find_item(cond.question);
      std::string answer = cond.answer.to_display_string();
      if (cond.answer.kind == forms::AnswerValue::Kind::Boolean)
        answer = t.text(lang, cond.answer.boolean ? "form.answer-yes" : "form.answer-no");
      if (target)
        for (const auto& o : target->options)
          if (o.code == cond.answer.text) answer = o.display.get(lang);
      out << indent << "    " << t.text(lang, "form.only-if") << " \""
          << (target ? target->text.get(lang) : cond.question) << "\" = " << answer << "\n";
    }
  }
  for (const auto& child : item.items) print_item(form, child, lang, t, out, depth + 1);
}

int forms_list(Context& ctx) {
  Args args(ctx.args, {"--lang"}, {"--json"});
  if (!check_args(args, ctx, "forms list [--json] [--lang L]")) return kExitUsage;
  const std::string lang = args.value("--lang").value_or("nb");
  if (!check_lang(lang, ctx)) return kExitUsage;
  const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
  if (args.has("--json")) {
    ctx.out << forms::catalogue_summary_json(catalogue).dump(2) << "\n";
    return kExitOk;
  }
  for (const auto& q : catalogue.forms())
    ctx.out << q.id << "  v" << q.version << "  [" << q.category << "]  " << q.title.get(lang) << "\n";
  return kExitOk;
}

int forms_show(Context& ctx) {
  Args args(ctx.args, {"--lang"}, {});
  if (!check_args(args, ctx, "forms show ID [--lang L]")) return kExitUsage;
  if (args.positional().size() != 1) {
    ctx.err << "Usage: kioskctl forms show ID [--lang L]\n";
    return kExitUsage;
  }
  const std::string lang = args.value("--lang").value_or("nb");
  if (!check_lang(lang, ctx)) return kExitUsage;
  const auto dir = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(dir / "forms");
  const auto translations = forms::Translations::load_directory(dir / "i18n");
  const forms::Questionnaire* q = catalogue.find(args.positional()[0]);
  if (!q) {
    ctx.err << "There is no form with id \"" << args.positional()[0] << "\". Run kioskctl forms list to see them.\n";
    return kExitBadInput;
  }
  ctx.out << "# " << q->title.get(lang) << "\n";
  if (!q->official_title.empty() && !q->proposed()) ctx.out << q->official_title.get(lang) << "\n";
  if (q->owner) ctx.out << "(" << q->owner->name.get(lang) << ", " << forms::to_string(q->catalogue_status) << ")\n";
  ctx.out << q->description.get(lang) << "\n\n";
  for (const auto& item : q->items) print_item(*q, item, lang, translations, ctx.out, 0);
  if (q->signature_required) ctx.out << "\n" << translations.text(lang, "form.signature") << "\n";
  return kExitOk;
}

int forms_check(Context& ctx) {
  Args args(ctx.args, {}, {});
  if (!check_args(args, ctx, "forms check")) return kExitUsage;
  try {
    const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
    ctx.out << catalogue.forms().size() << " forms are valid.\n";
    return kExitOk;
  } catch (const forms::FormError& e) {
    ctx.err << e.what() << "\n";
    return kExitBadInput;
  }
}

// The forms as the platform registers them (forms::platform_questionnaire): what the
// QuestionnaireResponse in each Bundle refers to by its url and version.
int forms_export(Context& ctx) {
  const std::string usage = "forms export ID | forms export --out DIR";
  Args args(ctx.args, {"--out"}, {});
  if (!check_args(args, ctx, usage)) return kExitUsage;
  const auto out_dir = args.value("--out");
  if (args.positional().size() != (out_dir ? 0u : 1u)) {
    ctx.err << "Usage: kioskctl " << usage << "\n";
    return kExitUsage;
  }
  try {
    const auto catalogue = forms::Catalogue::load_directory(forms::assets_dir() / "forms");
    auto exported = [](const forms::Questionnaire& q) {
      std::ifstream in(q.source, std::ios::binary);
      return forms::platform_questionnaire(nlohmann::json::parse(in), q.source.string());
    };
    if (!out_dir) {
      const forms::Questionnaire* q = catalogue.find(args.positional()[0]);
      if (!q) {
        ctx.err << "There is no form with id \"" << args.positional()[0]
                << "\". Run kioskctl forms list to see them.\n";
        return kExitBadInput;
      }
      ctx.out << exported(*q).dump(1) << "\n";
      return kExitOk;
    }
    std::error_code ec;
    std::filesystem::create_directories(*out_dir, ec);
    for (const auto& q : catalogue.forms()) {
      const auto path = std::filesystem::path(*out_dir) / (q.id + ".json");
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out << exported(q).dump(1) << "\n";
      out.close();
      if (!out) {
        ctx.err << "Could not write " << path.string() << " (is the folder writable and the disk not full?)\n";
        return kExitBadInput;
      }
    }
    ctx.out << "Wrote " << catalogue.forms().size() << " Questionnaires to " << *out_dir << "\n";
    return kExitOk;
  } catch (const forms::FormError& e) {
    ctx.err << e.what() << "\n";
    return kExitBadInput;
  } catch (const nlohmann::json::exception& e) {
    ctx.err << "A catalogue form is not valid JSON: " << e.what() << "\n";
    return kExitBadInput;
  }
}

const char* yes_no(bool b) {
  return b ? "yes" : "no";
}

// The printed sheet is part of every kiosk form: an imported form must lay out, and within the
// page count its QR code can name. A layout that cannot run here (no fonts) is said, not guessed.
void check_paper(forms::ImportedForm& f, const forms::Translations& t, Context& ctx) {
  try {
    print::LayoutContext lc{&t, "", print::Fonts{}};
    const auto layout = print::layout_form(f.form, "nb", print::LayoutOptions{}, lc);
    if (layout.pages.size() > static_cast<size_t>(print::kMaxQrPageCount)) {
      f.supported.paper = false;
      f.offered = false;
      f.not_offered = "it prints on " + std::to_string(layout.pages.size()) +
                      " pages; a page's QR code can name at most " + std::to_string(print::kMaxQrPageCount);
    }
  } catch (const print::PrintError& e) {
    if (e.code() == "layout-failed") {
      f.supported.paper = false;
      f.offered = false;
      f.not_offered = std::string("it cannot be laid out on paper: ") + e.what();
    } else {
      ctx.err << "warning: " << f.source << ": the printed layout was not checked: " << e.what() << "\n";
    }
  }
}

int forms_import(Context& ctx) {
  const std::string usage = "forms import FILE.json... [--json] [--into DIR --category C [--owner CODE]]";
  Args args(ctx.args, {"--into", "--category", "--owner"}, {"--json"});
  if (!check_args(args, ctx, usage)) return kExitUsage;
  if (args.positional().empty() || (args.has("--into") && !args.has("--category")) ||
      (!args.has("--into") && (args.has("--category") || args.has("--owner")))) {
    ctx.err << "Usage: kioskctl " << usage
            << "\n(--into needs --category: the task under which the citizen finds the form)\n";
    return kExitUsage;
  }
  forms::ImportOptions options;
  if (auto c = args.value("--category")) {
    if (std::find(forms::kTaskCategories.begin(), forms::kTaskCategories.end(), *c) == forms::kTaskCategories.end()) {
      ctx.err << "Unknown category \"" << *c << "\". Use one of:";
      for (const auto& k : forms::kTaskCategories) ctx.err << " " << k;
      ctx.err << "\n";
      return kExitUsage;
    }
    options.category = *c;
  }
  const auto translations = forms::Translations::load_directory(forms::assets_dir() / "i18n");
  std::vector<forms::ImportedForm> all;
  nlohmann::json errors = nlohmann::json::array();
  bool bad_file = false;
  for (const auto& file : args.positional()) {
    try {
      auto imported = forms::import_questionnaire_file(file, options);
      for (auto& f : imported) {
        if (f.offered) check_paper(f, translations, ctx);
        all.push_back(std::move(f));
      }
    } catch (const forms::FormError& e) {
      bad_file = true;
      errors.push_back({{"file", file}, {"error", e.what()}});
      if (!args.has("--json")) ctx.err << e.what() << "\n";
    }
  }
  bool all_offered = true;
  for (const auto& f : all) all_offered = all_offered && f.offered;

  std::vector<std::filesystem::path> written;
  if (auto dir = args.value("--into")) {
    try {
      written = forms::write_imported_forms(*dir, all, args.value("--owner").value_or(""));
    } catch (const forms::FormError& e) {
      ctx.err << e.what() << "\n";
      return kExitBadInput;
    }
  }

  if (args.has("--json")) {
    auto report = forms::import_report_json(all);
    report["errors"] = errors;
    nlohmann::json paths = nlohmann::json::array();
    for (const auto& p : written) paths.push_back(p.string());
    report["written"] = paths;
    ctx.out << report.dump(2) << "\n";
  } else {
    for (const auto& f : all) {
      ctx.out << f.source << ": \"" << f.title << "\" (" << f.url << "), " << f.items
              << " items: " << (f.offered ? "offered as " + f.id : "NOT OFFERED: " + f.not_offered) << "\n";
      ctx.out << "  screen " << yes_no(f.supported.screen) << ", paper " << yes_no(f.supported.paper)
              << ", recognition " << yes_no(f.supported.recognition);
      if (f.languages.size() > 1) {
        ctx.out << "; languages";
        for (const auto& l : f.languages) ctx.out << " " << l;
      }
      if (f.parts > 1) ctx.out << "; split into " << f.parts << " parts";
      ctx.out << "\n";
      for (const auto& u : f.unsupported)
        ctx.out << "  left out" << (u.required ? " (required)" : "") << ": " << u.link_id << " (" << u.type
                << "): " << u.why << "\n";
      for (const auto& n : f.notes) ctx.out << "  note: " << n.link_id << ": " << n.note << "\n";
    }
    for (const auto& p : written) ctx.out << "Wrote " << p.string() << "\n";
  }
  if (bad_file) return kExitBadInput;
  return all_offered ? kExitOk : kExitFailed;
}

int check_id(Context& ctx) {
  Args args(ctx.args, {"--lang"}, {"--json"});
  if (!check_args(args, ctx, "check-id NUMBER [--lang L] [--json]")) return kExitUsage;
  if (args.positional().size() != 1) {
    ctx.err << "Usage: kioskctl check-id NUMBER [--lang L] [--json]\n";
    return kExitUsage;
  }
  const std::string lang = args.value("--lang").value_or("nb");
  if (!check_lang(lang, ctx)) return kExitUsage;
  const auto t = forms::Translations::load_directory(forms::assets_dir() / "i18n");
  std::string number;
  for (char c : args.positional()[0])
    if (c != ' ') number.push_back(c);  // people write numbers as "010190 12345"
  const auto r = forms::validate_identity_number(number);
  if (args.has("--json")) {
    nlohmann::json j = {{"valid", r.valid}};
    if (r.valid) {
      j["kind"] = forms::to_string(r.kind);
      j["birth_date"] = r.birth_date.iso();
      j["check_digit_rule"] = r.new_check_digit_rule ? "2032" : "classic";
    } else {
      j["error"] = forms::message_key(r.error);
      j["message"] = t.text(lang, forms::message_key(r.error));
    }
    ctx.out << j.dump(2) << "\n";
    return r.valid ? kExitOk : kExitFailed;
  }
  if (!r.valid) {
    ctx.out << t.text(lang, forms::message_key(r.error)) << "\n";
    return kExitFailed;
  }
  ctx.out << t.text(lang, forms::message_key(r.kind)) << "\n"
          << t.format(lang, "identity.birth-date", {{"date", r.birth_date.iso()}}) << "\n";
  if (r.new_check_digit_rule) ctx.out << t.text(lang, "identity.new-rule") << "\n";
  return kExitOk;
}

const CommandRegistration registration{
    Command{"forms list", "forms list [--json] [--lang L]", "List the forms in the catalogue", forms_list},
    Command{"forms show", "forms show ID [--lang L]", "Show one form's questions as plain text", forms_show},
    Command{"forms check", "forms check", "Check that every form in the catalogue is valid", forms_check},
    Command{"forms export", "forms export ID | forms export --out DIR",
            "Print a form (or write every form) as the FHIR R4 Questionnaire the platform registers: item.maxLength, "
            "every coded option with its code system",
            forms_export},
    Command{"forms import", "forms import FILE.json... [--json] [--into DIR --category C [--owner CODE]]",
            "Import the platform's FHIR Questionnaires: what the kiosk can carry on screen, paper and scan, and "
            "why not; write the offered ones into a catalogue folder. Exit 0 all offered, 1 some not offered, "
            "3 a file is not a usable Questionnaire",
            forms_import},
    Command{"check-id", "check-id NUMBER [--lang L] [--json]",
            "Check a Norwegian identity number: kind and birth date, or why it is invalid", check_id}};

}  // namespace

}  // namespace kiosk::cli
