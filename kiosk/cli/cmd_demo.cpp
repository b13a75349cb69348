// kioskctl demo: the scripted demo that README command 1 runs where there is no display
// (under xvfb-run). It drives the real kiosk screens in a real window by touching their
// buttons, saves a screenshot of every step and writes a summary of what happened.
// Parts that are not built into this kiosk (print, scan, outbox) are reported as such:
// the demo never pretends a step worked.
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <optional>
#include <ostream>
#include <sstream>
#include <thread>

#include <sodium.h>

#include "command.hpp"
#include "config.hpp"
#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/identity.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_app/services_factory.hpp"
#include "kiosk_app/window.hpp"
#include "kiosk_ui/headless.hpp"

namespace kiosk::cli {

namespace {

using flow::Clock;

// Drives either the real window (screenshots) or, with no display, the headless screens.
class Driver {
 public:
  Driver(flow::Flow& flow, std::filesystem::path out_dir, std::ostream& summary)
      : flow_(flow), out_dir_(std::move(out_dir)), summary_(summary) {
    try {
      window_ = std::make_unique<app::Window>(1920, 1080, false);
      loop_ = std::make_unique<app::FrameLoop>(app::FrameLoop{*window_, flow_, {}});
    } catch (const std::exception& e) {
      summary_ << "No screen: " << e.what() << " The demo runs the same screens without a window; no screenshots.\n";
      headless_ = std::make_unique<ui::HeadlessUi>();
    }
  }

  bool has_window() const { return window_ != nullptr; }

  void settle() {
    for (int i = 0; i < 3; ++i) frame();
  }

  // Touches a widget by id, as a finger would. Returns false (and notes it) when the
  // screen has no such button.
  bool touch(const std::string& id) {
    const bool ok = window_ ? loop_->touch(id, now_) : headless_->touch(flow_, id, now_);
    if (!ok) summary_ << "   (no button \"" << id << "\" on screen " << flow::screen_name(flow_.screen()) << ")\n";
    return ok;
  }

  void type(const std::string& digits_or_letters) {
    for (size_t i = 0; i < digits_or_letters.size();) {
      size_t len = 1;
      const auto c = static_cast<unsigned char>(digits_or_letters[i]);
      if (c >= 0xC0) len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : 2;
      std::string key = digits_or_letters.substr(i, len);
      i += len;
      if (key == " ") key = "space";
      std::string lower = key;
      if (lower.size() == 1 && lower[0] >= 'A' && lower[0] <= 'Z') lower[0] = static_cast<char>(lower[0] + 32);
      // The keyboard has lower-case keys only; names get their capitals automatically.
      static const std::pair<const char*, const char*> kUpper[] = {{"Æ", "æ"}, {"Ø", "ø"}, {"Å", "å"}, {"Á", "á"},
                                                                   {"Č", "č"}, {"Đ", "đ"}, {"Ŋ", "ŋ"}, {"Š", "š"},
                                                                   {"Ŧ", "ŧ"}, {"Ž", "ž"}};
      for (const auto& [upper, small] : kUpper)
        if (lower == upper) lower = small;
      touch("key." + lower);
    }
  }

  // Saves a screenshot of the current screen and notes the step in the summary.
  void step(const std::string& what) {
    ++step_;
    std::ostringstream name;
    name << std::setw(2) << std::setfill('0') << step_ << "-" << flow::screen_name(flow_.screen()) << ".png";
    settle();
    std::string shot = "no screenshot";
    if (window_) {
      loop_->frame(now_, std::nullopt, true);
      if (window_->save_png(out_dir_ / name.str())) shot = name.str();
    }
    summary_ << std::setw(2) << step_ << ". " << what << "  [screen: " << flow::screen_name(flow_.screen()) << ", "
             << shot << "]\n";
  }

  // Lets the workers (print, scan, outbox) finish while frames keep running.
  void wait_for_workers() {
    for (int i = 0; i < 600 && flow_.screen_model().busy; ++i) {
      frame();
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  Clock::time_point now() const { return now_; }

 private:
  void frame() {
    now_ = Clock::now();
    if (window_)
      loop_->frame(now_);
    else
      headless_->look(flow_, now_);
  }

  flow::Flow& flow_;
  std::filesystem::path out_dir_;
  std::ostream& summary_;
  std::unique_ptr<app::Window> window_;
  std::unique_ptr<app::FrameLoop> loop_;
  std::unique_ptr<ui::HeadlessUi> headless_;
  Clock::time_point now_ = Clock::now();
  int step_ = 0;
};

std::string typed_form(const forms::Item& item, const forms::AnswerValue& v) {
  if (item.type == forms::ItemType::Date && v.text.size() == 10)
    return v.text.substr(8, 2) + v.text.substr(5, 2) + v.text.substr(0, 4);
  if (item.type == forms::ItemType::Integer) return std::to_string(v.integer);
  return v.text;
}

int demo(Context& ctx) {
  Args args(ctx.args, {"--out", "--config"}, {});
  if (!args.ok() || !args.value("--out")) {
    ctx.err << (args.ok() ? "--out DIR is required" : args.error())
            << "\nUsage: kioskctl demo --out DIR [--config FILE]\n";
    return kExitUsage;
  }
  const std::filesystem::path out_dir = std::filesystem::absolute(*args.value("--out"));
  std::error_code ec;
  std::filesystem::create_directories(out_dir, ec);
  if (ec) {
    ctx.err << "Cannot create the demo folder " << out_dir << ": " << ec.message() << "\n";
    return kExitUnavailable;
  }
  Config config;
  if (auto file = args.value("--config")) config = Config::load(*file);
  // Unless the configuration names a printer, the demo prints to PDF files in DIR, with a
  // QR-code key of its own (a real kiosk's key is made by the installer).
  if (!config.is_set("printer.queue") && !config.is_set("ui.print_to_folder")) {
    config.set("ui.print_to_folder", (out_dir / "printed").string());
    std::filesystem::create_directories(out_dir / "printed", ec);
  }
  if (!config.is_set("print.mac_key_file")) {
    const auto key_file = out_dir / "demo-qr-mac.key";
    std::ofstream key(key_file, std::ios::binary | std::ios::trunc);
    unsigned char bytes[32];
    randombytes_buf(bytes, sizeof bytes);
    key.write(reinterpret_cast<const char*>(bytes), sizeof bytes);
    config.set("print.mac_key_file", key_file.string());
  }
  const auto assets = forms::assets_dir();
  const auto catalogue = forms::Catalogue::load_directory(assets / "forms");
  const auto translations = forms::Translations::load_directory(assets / "i18n");
  const auto rules = forms::RepresentationRules::load(assets / "representation.json");
  {
    std::ofstream list(out_dir / "catalogue.txt");
    for (const auto& q : catalogue.forms()) list << q.id << "\t" << q.category << "\t" << q.title.get("nb") << "\n";
    if (!list) {
      ctx.err << "Cannot write to the demo folder " << out_dir << "\n";
      return kExitUnavailable;
    }
  }
  std::ofstream summary(out_dir / "summary.txt");
  summary << "Helsenorge ekstra enkel kiosk: scripted demo\n"
          << "Form catalogue: " << catalogue.forms().size() << " forms (catalogue.txt)\n";

  auto wired = app::make_services(config, catalogue, translations);
  summary << "Parts of this kiosk:\n";
  for (const auto& line : wired.report) summary << "  - " << line << "\n";
  std::vector<std::string> log_lines;
  wired.services.log = [&log_lines](const std::string& line) { log_lines.push_back(line); };
  const auto print_available = wired.services.printer->available();

  // The demo acts under a power of attorney when a form allows it, else for itself.
  const forms::Questionnaire* form = nullptr;
  std::string type = "self";
  for (const auto& q : catalogue.forms())
    if (q.allows_representation("power-of-attorney")) {
      form = &q;
      type = "power-of-attorney";
      break;
    }
  if (!form && !catalogue.forms().empty()) form = &catalogue.forms().front();
  if (!form) {
    summary << "The catalogue has no forms: nothing to demonstrate.\n";
    ctx.err << "The form catalogue is empty.\n";
    return kExitFailed;
  }

  flow::Flow flow(catalogue, translations, rules, flow::FlowOptions::from_config(config), wired.services, Clock::now());
  summary << "\nSteps:\n";
  Driver d(flow, out_dir, summary);
  d.step("The start screen");
  d.touch("choice.language.nb");
  d.step("Chose Norsk bokmål; the kiosk asks what the person wants to do");
  for (int page = 0; page < 3 && !d.touch("choice.category." + form->category); ++page) d.touch("choice.more");
  d.step("Chose the task \"" + translations.text("nb", "category." + form->category) + "\"");
  if (type == "self") {
    d.touch("choice.self");
  } else {
    d.touch("choice.someone-else");
    d.step("Acting for someone else: the kiosk asks on what authority");
    for (int page = 0; page < 3 && !d.touch("choice.representation." + type); ++page) d.touch("choice.more");
  }
  if (flow.screen() == flow::Screen::FormChoice) d.touch("choice.form." + form->id);
  d.step("The form \"" + form->title.get("nb") + "\" in one sentence: fill in here, or print an empty form");
  d.touch("choice.fill-in");
  // Synthetic test numbers (month + 80): a representative born 1980, the person born 1950.
  auto synthetic = [](forms::CivilDate birth) -> std::optional<std::string> {
    for (int individual = 100; individual < 500; ++individual)
      if (auto n = forms::make_identity_number(birth, forms::IdentityKind::SyntheticTest, individual)) return n;
    return std::nullopt;
  };
  const auto representative = synthetic({1980, 1, 15});
  const auto represented = synthetic({1950, 6, 1});
  if (flow.screen() == flow::Screen::RepresentativeId && representative && represented) {
    d.type(*representative);
    d.step("Typed the representative's own number on the digit pad (a synthetic test number)");
    d.touch("choice.next");
    d.type(*represented);
    d.step("Typed the number of the person they act for");
    d.touch("choice.next");
  }
  const auto example = forms::make_example_answers(*form, 7);
  for (int guard = 0; guard < 100 && flow.screen() == flow::Screen::Question; ++guard) {
    const auto* item = form->find_item(flow.current_link_id());
    if (!item) break;
    const auto* v = example.first(item->link_id);
    using T = forms::ItemType;
    const std::string before = item->link_id;
    if (item->type == T::Boolean) {
      d.step("Question: " + item->text.get("nb"));
      d.touch(v && !v->boolean ? "choice.no" : "choice.yes");
    } else if (item->type == T::Choice) {
      d.step("Question: " + item->text.get("nb"));
      if (!d.touch("choice.option." + (v ? v->text : item->options.front().code))) d.touch("choice.skip");
    } else {
      if (v) d.type(typed_form(*item, *v));
      d.step("Question: " + item->text.get("nb") + " (typed on the on-screen keyboard)");
      d.touch("choice.next");
    }
    if (flow.screen() == flow::Screen::Question && flow.current_link_id() == before) {
      d.step("The kiosk did not accept the answer; skipping the question");
      if (!d.touch("choice.skip")) break;
    }
  }
  if (flow.screen() == flow::Screen::Refused) d.step("The representation rules said no (see the screen)");
  if (flow.screen() == flow::Screen::Print) {
    d.wait_for_workers();
    const bool ok = flow.screen_model().picture == flow::Picture::SignHere;
    d.step(ok                ? "Printed the filled form; the kiosk shows where to sign"
           : print_available ? "Printing did not work: the screen says why"
                             : "Printing is not available on this kiosk: the screen says so");
  }
  bool printed = false, scanned = false, sent = false;
  if (flow.screen() == flow::Screen::Print && flow.screen_model().picture == flow::Picture::SignHere) {
    printed = true;
    d.touch("choice.next");
    d.step("Where to place the signed sheet");
    d.touch("choice.scan");
    d.wait_for_workers();
    d.step(wired.services.scanner->available() ? "Scanned the sheet" : "Scanning is not available on this kiosk");
    if (flow.screen() == flow::Screen::Review) {
      scanned = true;
      while (flow.screen() == flow::Screen::Review && d.touch("choice.correct")) {
      }
      d.step("This is what we read");
      d.touch("choice.send");
      d.wait_for_workers();
      d.step("Sent into the outbox");
      if (flow.screen() == flow::Screen::Receipt) {
        sent = true;
        d.wait_for_workers();
        d.step("The receipt");
      }
    }
  }
  d.touch("nav.help");
  d.step("Talk to a person: phone number and help code");
  d.touch("nav.back");
  d.touch("nav.contrast");
  d.touch("nav.bigger-text");
  d.step("High-contrast colours and bigger text, reachable from every screen");
  d.touch("nav.start-over");
  d.step("Start over: everything about the person is wiped");

  summary << "\nWhat happened:\n";
  if (printed)
    summary << "  - The filled form was printed (see the log below for where it went).\n";
  else if (!print_available)
    summary << "  - The form was NOT printed: printing is not built into this kiosk version.\n";
  else
    summary << "  - The form was NOT printed: the printer reported a problem (see the log below).\n";
  if (printed && !scanned)
    summary << "  - The signed sheet was NOT scanned back: "
            << (wired.services.scanner->available() ? "the scanner reported a problem.\n"
                                                    : "scanning is not built into this kiosk version.\n");
  if (scanned && !sent)
    summary << "  - Nothing was queued or sent: "
            << (wired.services.outbox->available() ? "the outbox reported a problem.\n"
                                                   : "the outbox is not built into this kiosk version.\n");
  if (!scanned) summary << "  - Sending and the receipt were therefore not reached.\n";
  summary << "  - The session was wiped at the end (wipes: " << flow.wipe_count() << ").\n";
  summary << "\nKiosk log (no personal data):\n";
  for (const auto& line : log_lines) summary << "  " << line << "\n";
  summary.flush();
  ctx.out << "Demo finished" << (d.has_window() ? " with screenshots" : " without a screen (no screenshots)")
          << ". Results are in " << out_dir.string() << " (summary.txt)\n";
  return summary ? kExitOk : kExitUnavailable;
}

const CommandRegistration registration{
    Command{"demo", "demo --out DIR [--config FILE]",
            "Run the scripted demo session in the real UI and write screenshots and a summary into DIR", demo}};

}  // namespace

}  // namespace kiosk::cli
