// kiosk-demo demo (run by `kioskctl demo`): the scripted demo that README command 1 runs where there is no display
// (under xvfb-run). It drives the real kiosk screens in a real window by touching their
// buttons, saves a screenshot of every step and writes a summary of what happened.
// After printing it fills the printed page like a person would (a signature scribble and
// the date written by hand), "scans" it back through SANE's pnm backend (a private
// SANE_CONFIG_DIR), confirms what was read, and commits it to the outbox; with --broker it
// also runs platform-sim and the delivery worker as its own process (the command line the
// delivery unit of an installed kiosk runs), so the submission travels over AMQP to the
// simulated platform. Parts that are not built into this kiosk are reported as
// such: the demo never pretends a step worked.
#include <algorithm>
#include <chrono>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <optional>
#include <ostream>
#include <random>
#include <sstream>
#include <thread>

#include <opencv2/imgproc.hpp>
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
#include "outbox/outbox.hpp"
#include "print/layout.hpp"
#include "scanners/error.hpp"
#include "scanners/image.hpp"
#include "pen.hpp"
#include "subprocess.hpp"

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
    const bool ok = try_touch(id);
    if (!ok) summary_ << "   (no button \"" << id << "\" on screen " << flow::screen_name(flow_.screen()) << ")\n";
    return ok;
  }

  // Touches a widget when the screen has it; says nothing when it has not. Every touch that hits
  // a button is counted (the effort the summary ends with), keys and "Er det rett?" answers too.
  bool try_touch(const std::string& id) {
    const bool review = flow_.screen() == flow::Screen::Review;
    const bool ok = window_ ? loop_->touch(id, now_) : headless_->touch(flow_, id, now_);
    if (ok && counting_) {
      ++effort_.touches;
      if (id.rfind("key.", 0) == 0) ++effort_.keys;
      if (review && (id == "choice.correct" || id == "choice.wrong")) ++effort_.confirmations;
    }
    return ok;
  }

  struct Effort {
    int touches = 0, keys = 0, confirmations = 0;
  };
  const Effort& effort() const { return effort_; }
  // Touches made only to show a feature (help, contrast, "Endre") are not the session's effort.
  void counting(bool on) { counting_ = on; }

  // Touches `id`, turning the pages of choices ("More") until it shows up.
  bool touch_paged(const std::string& id) {
    for (int page = 0; page < 6; ++page) {
      if (try_touch(id)) return true;
      if (!try_touch("choice.more")) break;
    }
    return touch(id);
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
    for (int i = 0; i < 3000 && flow_.screen_model().busy; ++i) {
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
  Effort effort_;
  bool counting_ = true;
};

std::string typed_form(const forms::Item& item, const forms::AnswerValue& v) {
  if (item.type == forms::ItemType::Date && v.text.size() == 10)
    return v.text.substr(8, 2) + v.text.substr(5, 2) + v.text.substr(0, 4);
  if (item.type == forms::ItemType::Integer) return std::to_string(v.integer);
  return v.text;
}

// The letter keyboard has letters and a space only: digits and signs in an example answer
// are left out, as a person would write the name without them.
std::string keyboard_text(const std::string& text, bool digits_only) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const bool digit = c >= '0' && c <= '9';
    if (digits_only ? digit : (!digit && (c >= 0x80 || std::isalpha(c) || c == ' '))) out += text[i];
  }
  return out;
}

// The simulated platform, started for the demo when a broker is given; stopped at the end.
// Absent when platform-sim is not beside this program.
std::unique_ptr<ChildProcess> start_platform_sim(const std::filesystem::path& config_file,
                                                 const std::filesystem::path& log) {
  const auto program = program_next_to_this_one("platform-sim");
  if (program.empty()) return nullptr;
  try {
    return std::make_unique<ChildProcess>(
        program, std::vector<std::string>{"serve", "--config", config_file.string(), "--timeout", "300"}, log);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// The one delivery worker, as an installed kiosk's delivery unit runs it (`kioskctl queue deliver
// --config FILE`): the kiosk's screens only commit to the outbox. Stopped at the end of the demo.
std::unique_ptr<ChildProcess> start_delivery(const std::filesystem::path& config_file,
                                             const std::optional<std::string>& broker,
                                             const std::filesystem::path& log) {
  const auto program = program_next_to_this_one("kioskctl");
  if (program.empty()) return nullptr;
  std::vector<std::string> args{"queue", "deliver", "--config", config_file.string()};
  if (broker) args.insert(args.end(), {"--broker", *broker});
  try {
    return std::make_unique<ChildProcess>(program, args, log);
  } catch (const std::exception&) {
    return nullptr;
  }
}

// A demo environment (TEST certificates, a store, a configuration) from `kioskctl demo-env`,
// without a broker unless one is given: then submissions stay queued.
std::optional<std::filesystem::path> make_demo_env(const std::filesystem::path& dir,
                                                   const std::optional<std::string>& broker, std::ostream& err) {
  const auto kioskctl = program_next_to_this_one("kioskctl");
  if (kioskctl.empty()) {
    err << "kioskctl is not next to kiosk-demo: the demo's kiosk cannot be made (or give --config FILE).\n";
    return std::nullopt;
  }
  std::vector<std::string> args{"demo-env", "--out", dir.string()};
  if (broker) args.insert(args.end(), {"--broker", *broker});
  const auto log = dir.parent_path() / "demo-env.log";
  ChildProcess demo_env(kioskctl, args, log);
  if (demo_env.wait() != kExitOk) {
    std::ifstream said(log);
    err << said.rdbuf();
    return std::nullopt;
  }
  std::error_code ec;
  std::filesystem::remove(log, ec);
  const auto file = dir / "kiosk.toml";
  if (!broker) {
    // No broker: the outbox keeps what is committed (the delivery worker is not started).
    std::ifstream in(file);
    std::ostringstream kept;
    std::string line;
    while (std::getline(in, line))
      if (line.rfind("url = ", 0) != 0) kept << line << "\n";
    in.close();
    std::ofstream(file, std::ios::trunc) << kept.str();
  }
  return file;
}

// The same text but for the case of ASCII letters and spaces (a name in letter boxes is read
// back in capitals, the empty box between words as nothing): the person would say it is right.
bool same_letters(const std::string& a, const std::string& b) {
  auto plain = [](const std::string& s) {
    std::string out;
    for (char c : s)
      if (c != ' ') out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return out;
  };
  return plain(a) == plain(b);
}

// A paper that shows the authority (a certificate, a copy of an ID): a plain page with a few
// printed lines, laid on the glass (the pnm backend's file).
bool lay_evidence_on_glass(const std::filesystem::path& glass) {
  cv::Mat page(3508, 2480, CV_8UC1, cv::Scalar(255));
  for (int line = 0; line < 12; ++line)
    cv::putText(page, "Verjefullmakt - Statsforvalteren", cv::Point(300, 500 + line * 200), cv::FONT_HERSHEY_SIMPLEX,
                3.0, cv::Scalar(20), 6, cv::LINE_AA);
  std::ofstream out(glass, std::ios::binary | std::ios::trunc);
  out << "P5\n" << page.cols << " " << page.rows << "\n255\n";
  for (int y = 0; y < page.rows; ++y) out.write(reinterpret_cast<const char*>(page.ptr(y)), page.cols);
  return static_cast<bool>(out);
}

constexpr const char* kUsage =
    "kioskctl demo --out DIR [--config FILE] [--broker URL] [--scenario self|parent|fullmakt|verge|filled-at-home]";
constexpr const char* kScenarios[] = {"self", "parent", "fullmakt", "verge", "filled-at-home"};
constexpr const char* kScenarioForm = "bytte-fastlege";

int demo(Context& ctx) {
  Args args(ctx.args, {"--out", "--config", "--broker", "--scenario"}, {});
  if (!args.ok() || !args.value("--out")) {
    ctx.err << (args.ok() ? "--out DIR is required" : args.error()) << "\nUsage: " << kUsage << "\n";
    return kExitUsage;
  }
  const std::string scenario = args.value("--scenario").value_or("fullmakt");
  if (scenario == "hand-changed") {
    ctx.err << "The scenario hand-changed (a printed value changed by hand) needs the check of pre-printed boxes "
               "after scanning, which is not in this kiosk yet.\n";
    return kExitUsage;
  }
  if (std::find(std::begin(kScenarios), std::end(kScenarios), scenario) == std::end(kScenarios)) {
    ctx.err << "Unknown scenario \"" << scenario << "\".\nUsage: " << kUsage << "\n";
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
  std::optional<std::filesystem::path> config_file;
  const auto broker = args.value("--broker");
  try {
    if (auto file = args.value("--config")) {
      config_file = *file;
    } else {
      // The demo's own kiosk: TEST certificates and a fresh store in DIR/env.
      config_file = make_demo_env(out_dir / "env", broker, ctx.err);
    }
    if (config_file) config = Config::load(*config_file);
    if (broker) config.set("broker.url", *broker);
  } catch (const std::exception& e) {
    ctx.err << "The demo configuration could not be made: " << e.what() << "\n";
    return kExitUnavailable;
  }
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
  // Unless the configuration names a scanner, the demo "scans" through SANE's pnm backend:
  // a private SANE configuration that lists only it, reading the sheet the demo filled in.
  const auto glass = out_dir / "scanner-glass.pgm";
  if (!config.is_set("scanner.device")) {
    const auto sane_dir = out_dir / "sane";
    std::filesystem::create_directories(sane_dir, ec);
    std::ofstream(sane_dir / "dll.conf", std::ios::trunc) << "pnm\n";
    setenv("SANE_CONFIG_DIR", sane_dir.c_str(), 1);
    config.set("scanner.device", std::string("pnm:0"));
    config.set("scanner.options", std::vector<std::string>{"filename=" + glass.string()});
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
  summary << "Helsenorge ekstra enkel kiosk: scripted demo (scenario " << scenario << ")\n"
          << "Form catalogue: " << catalogue.forms().size() << " forms (catalogue.txt)\n";

  auto wired = app::make_services(config, catalogue, translations);
  summary << "Parts of this kiosk:\n";
  for (const auto& line : wired.report) summary << "  - " << line << "\n";
  std::vector<std::string> log_lines;
  wired.services.log = [&log_lines](const std::string& line) { log_lines.push_back(line); };
  const auto print_available = wired.services.printer->available();

  // The scenario "fullmakt" (the default) acts under a power of attorney, for a two-page form when
  // one allows it (the pnm backend is a flatbed: one sheet per scan, so the kiosk asks for page 2
  // and the demo lays it on the glass), else a one-page form, else for itself. The others fill in
  // "Få en ny fastlege" (the form of issue 17's walk-through): for oneself, for a child under 12, as
  // a guardian (two evidence sheets scanned after the form).
  const forms::Questionnaire* form = nullptr;
  std::string type = "self";
  const print::LayoutOptions layout_options{config.get_bool("printer.large_print")};
  print::LayoutContext layout_context;
  layout_context.translations = &translations;
  layout_context.postal_address = config.get_string("site.postal_address");
  auto pages_of = [&](const forms::Questionnaire& q) {
    try {
      return print::layout_form(q, "nb", layout_options, layout_context).pages.size();
    } catch (const std::exception&) {
      return size_t{0};
    }
  };
  auto preference = [&](const forms::Questionnaire& q) {
    const auto n = pages_of(q);
    return n == 2 ? 2 : n == 1 ? 1 : 0;
  };
  if (scenario == "fullmakt") {
    for (const auto& q : catalogue.forms())
      if (q.allows_representation("power-of-attorney") && (!form || preference(q) > preference(*form))) {
        form = &q;
        type = "power-of-attorney";
      }
  } else {
    form = catalogue.find(kScenarioForm);
    type = scenario == "parent" ? "parent-under-12" : scenario == "verge" ? "guardian" : "self";
    if (form && !form->allows_representation(type)) form = nullptr;
  }
  if (!form && !catalogue.forms().empty() && scenario == "fullmakt") form = &catalogue.forms().front();
  if (!form) {
    summary << "The catalogue has no forms: nothing to demonstrate.\n";
    ctx.err << "The form catalogue is empty.\n";
    return kExitFailed;
  }

  std::unique_ptr<ChildProcess> platform;
  if (broker && config_file) platform = start_platform_sim(*config_file, out_dir / "platform-sim.log");
  std::unique_ptr<ChildProcess> delivery_worker;
  if (config.is_set("broker.url") && config_file) {
    delivery_worker = start_delivery(*config_file, broker, out_dir / "delivery.log");
    summary << (delivery_worker ? "Delivery: kioskctl queue deliver runs as its own process (delivery.log), as the "
                                  "delivery unit does on an installed kiosk.\n"
                                : "Delivery: kioskctl is not next to kiosk-demo, so nothing is sent.\n");
  }

  flow::Flow flow(catalogue, translations, rules, flow::FlowOptions::from_config(config), wired.services, Clock::now());
  summary << "\nSteps:\n";
  Driver d(flow, out_dir, summary);
  // Synthetic test numbers (month + 80): a representative born 1980, the person born 1950 (a
  // child of eight for a parent).
  auto synthetic = [](forms::CivilDate birth) -> std::optional<std::string> {
    for (int individual = 0; individual < 1000; ++individual)
      if (auto n = forms::make_identity_number(birth, forms::IdentityKind::SyntheticTest, individual))
        if (forms::validate_identity_number(*n).valid) return n;
    return std::nullopt;
  };
  const auto representative = synthetic({1980, 1, 15});
  const auto represented = synthetic(type == "parent-under-12" ? forms::CivilDate{forms::today_local().year - 8, 2, 2}
                                                               : forms::CivilDate{1950, 6, 1});
  // What the person means to answer: the example answers, agreeing with the who-screens (the
  // form's own representation items say what the who-screens say; what they switch off is empty).
  forms::Answers example = forms::make_example_answers(*form, 7);
  forms::WhoAnswers who{type, type == "self" ? "" : representative.value_or(""),
                        type == "self" ? "" : represented.value_or("")};
  forms::answer_representation_items(*form, who, example);
  for (const auto* item : form->all_items())
    if (!forms::is_enabled(*item, example)) example.clear(item->link_id);
  const bool at_home = scenario == "filled-at-home";
  if (at_home) {
    // An earlier visit (not counted): an empty form printed to fill in at home.
    d.counting(false);
    d.step("The start screen");
    d.touch("choice.language.nb");
    d.touch_paged("choice.category." + form->category);
    d.touch("choice.self");
    if (flow.screen() == flow::Screen::FormChoice) d.touch_paged("choice.form." + form->id);
    d.step("An earlier visit: \"" + form->title.get("nb") + "\", print an empty form to fill in at home");
    d.touch("choice.print-blank");
    d.wait_for_workers();
    d.step("Printed the empty form; the person takes it home");
    d.touch("nav.start-over");
    d.counting(true);
    // Back with the sheet filled in by hand and signed.
    d.step("Back at the kiosk with the sheet filled in at home");
    d.touch("choice.language.nb");
    d.touch_paged("choice.send-filled");
    d.step("Chose to send a form filled in at home; the kiosk asks for whom");
    d.touch("choice.self");
  } else {
    d.step("The start screen");
    d.touch("choice.language.nb");
    d.step("Chose Norsk bokmål; the kiosk asks what the person wants to do");
    d.touch_paged("choice.category." + form->category);
    d.step("Chose the task \"" + translations.text("nb", "category." + form->category) + "\"");
    if (type == "self") {
      d.touch("choice.self");
    } else {
      d.touch("choice.someone-else");
      d.step("Acting for someone else: the kiosk asks on what authority");
      d.touch_paged("choice.representation." + type);
    }
    if (flow.screen() == flow::Screen::FormChoice) d.touch_paged("choice.form." + form->id);
    d.step("The form \"" + form->title.get("nb") + "\" in one sentence: fill in here, or print an empty form");
    d.touch("choice.fill-in");
    if (flow.screen() == flow::Screen::RepresentativeId && representative && represented) {
      d.type(*representative);
      d.step("Typed the representative's own number on the digit pad (a synthetic test number)");
      d.touch("choice.next");
      d.type(*represented);
      d.step("Typed the number of the person they act for");
      d.touch("choice.next");
    }
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
        if (!d.touch_paged("choice.option." + (v ? v->text : item->options.front().code))) d.touch("choice.skip");
      } else {
        const auto keyboard = flow.screen_model().input;
        if (v) d.type(keyboard_text(typed_form(*item, *v), keyboard && keyboard->keyboard == flow::Keyboard::Digits));
        d.step("Question: " + item->text.get("nb") + " (typed on the on-screen keyboard)");
        d.touch("choice.next");
      }
      if (flow.screen() == flow::Screen::Question && flow.current_link_id() == before) {
        d.step("The kiosk did not accept the answer; skipping the question");
        if (!d.touch("choice.skip")) break;
      }
    }
    if (flow.screen() == flow::Screen::Overview) {
      d.step("Before printing: every answer once more in plain words, each with \"Endre\"");
      // "Endre" on the first answer: its screen again with the answer in place, then back.
      const auto rows = flow.screen_model().rows;
      d.counting(false);  // shown, not part of the session's effort
      if (!rows.empty() && d.touch(rows.front().id)) {
        d.step("Endre: the answer's own screen again, with the answer filled in");
        if (flow.screen_model().input)
          d.touch("choice.next");
        else if (flow.screen() != flow::Screen::Overview)
          d.touch("nav.back");
        d.step(flow.screen() == flow::Screen::Overview ? "Back at the look over the answers"
                                                       : "The change did not return to the answers");
      }
      d.counting(true);
      d.touch("choice.print");
    }
    if (flow.screen() == flow::Screen::Refused) d.step("The representation rules said no (see the screen)");
    if (flow.screen() == flow::Screen::Print) {
      d.wait_for_workers();
      const bool ok = flow.screen_model().picture == flow::Picture::SignHere;
      d.step(ok                ? "Printed the filled form; the kiosk shows where to sign"
             : print_available ? "Printing did not work: the screen says why"
                               : "Printing is not available on this kiosk: the screen says so");
    }
  }
  bool printed = false, filled = false, scanned = false, sent = false, receipt = false;
  forms::Answers meant_answers = example;
  size_t sheets_scanned = 0, sheet_count = 0, evidence_sheets = 0;
  std::string reference;
  std::string fill_problem = "the form was not printed to a file the demo can read (ui.print_to_folder)";
  if ((flow.screen() == flow::Screen::Print && flow.screen_model().picture == flow::Picture::SignHere) ||
      (at_home && flow.screen() == flow::Screen::Scan)) {
    printed = true;
    // What the person means the sheet to say: what they typed (printed on it), or wrote at home.
    if (!at_home) meant_answers = flow.session().answers;
    // The printed PDF: the newest "-form.pdf" in the print folder (the empty form for a sheet
    // filled in at home).
    std::filesystem::path pdf;
    if (config.is_set("ui.print_to_folder"))
      for (const auto& entry : std::filesystem::directory_iterator(config.get_path("ui.print_to_folder"), ec)) {
        const auto name = entry.path().filename().string();
        if (name.size() > 9 && name.substr(name.size() - 9) == "-form.pdf" &&
            (pdf.empty() || entry.last_write_time() > std::filesystem::last_write_time(pdf)))
          pdf = entry.path();
      }
    // Lays page `page` of the printed form on the glass (the pnm backend's file), signed and
    // dated where the form has its signing box.
    std::vector<scanners::PageImage> pages;
    std::optional<print::FormLayout> layout;
    std::mt19937 rng(7);
    auto lay_on_glass = [&](int page) {
      if (!layout || page < 1 || static_cast<size_t>(page) > pages.size()) return false;
      const auto& printed_page = pages[static_cast<size_t>(page - 1)].grey;
      const bool signed_here = at_home ? fill_at_home(printed_page, *layout, page, example, "Oslo", glass, rng)
                                       : fill_like_a_person(printed_page, *layout, page, "Oslo", glass, rng);
      filled = filled || signed_here;
      return true;
    };
    if (!pdf.empty()) {
      try {
        pages = scanners::import_image_file(pdf);
        layout = print::layout_form(*form, "nb", layout_options, layout_context);
        sheet_count = pages.size();
        if (!lay_on_glass(1)) fill_problem = "the printed form has no pages";
        if (!filled && sheet_count <= 1) fill_problem = "the printed page has no signing box";
      } catch (const std::exception& e) {
        fill_problem = std::string("the printed page could not be filled in: ") + e.what();
        layout.reset();
      }
    }
    if (!at_home) d.touch("choice.next");
    d.step(at_home           ? "Filled in and signed at home; where to place it"
           : sheet_count > 1 ? "Signed the printed form with a pen; page 1 of " + std::to_string(sheet_count) +
                                   " on the glass; where to place it"
           : filled ? "Signed the printed sheet with a pen and wrote the date and place; where to place it"
                    : "Where to place the signed sheet");
    d.touch("choice.scan");
    d.wait_for_workers();
    ++sheets_scanned;
    // A form of several pages: the kiosk asks for the next page ("Legg side 2 i skanneren").
    for (int guard = 0; guard < 8 && flow.screen() == flow::Screen::Scan && !flow.missing_pages().empty(); ++guard) {
      const int next = flow.missing_pages().front();
      if (!lay_on_glass(next)) break;
      d.step("The kiosk asks for page " + std::to_string(next) + "; laid it on the glass");
      d.touch("choice.scan");
      d.wait_for_workers();
      ++sheets_scanned;
    }
    if (sheet_count > 1 && !filled) fill_problem = "no page of the printed form has a signing box";
    // Evidence the representation needs (a guardian's certificate, a copy of their ID): one sheet
    // each, laid on the glass when the kiosk asks for it.
    for (int guard = 0; guard < 4 && flow.screen() == flow::Screen::Scan && flow.missing_pages().empty() &&
                        !flow.screen_model().busy && flow.screen_model().error.empty();
         ++guard) {
      if (!lay_evidence_on_glass(glass)) break;
      d.step("The kiosk asks for a paper that shows the authority; laid it on the glass");
      d.touch("choice.scan");
      d.wait_for_workers();
      ++evidence_sheets;
    }
    d.step(!wired.services.scanner->available()    ? "Scanning is not available on this kiosk"
           : flow.screen() == flow::Screen::Review ? "Scanned the sheet through SANE and read it"
                                                   : "Scanning did not work: the screen says why");
    if (flow.screen() == flow::Screen::Review) {
      scanned = true;
      int confirmed = 0, corrected = 0;
      if (!flow.session().review_queue.empty())
        d.step("This is what we read: the kiosk asks about a value it was unsure of");
      // Each value the kiosk asks about is checked against what the person meant: right, or
      // "Nei, jeg vil rette" and the right value (the keyboard, or yes/no, or the option).
      for (int guard = 0; guard < 40 && flow.screen() == flow::Screen::Review && !flow.session().review_queue.empty();
           ++guard) {
        const auto& field = flow.session().read_fields[flow.session().review_queue.front()];
        const auto* item = form->find_item(field.link_id);
        const auto* meant = meant_answers.first(field.link_id);
        const std::string meant_text = meant ? meant->to_display_string() : "";
        // Names are printed in capitals: the person reads KARI as Kari.
        if (!item || same_letters(meant_text, field.value) || !d.try_touch("choice.wrong")) {
          if (!d.try_touch("choice.correct")) break;
          ++confirmed;
          continue;
        }
        ++corrected;
        if (flow.screen_model().input) {
          for (size_t i = 0; i < 40 && !flow.session().typed.empty(); ++i) d.touch("key.erase");
          if (meant) {
            const auto keyboard = flow.screen_model().input;
            d.type(keyboard_text(typed_form(*item, *meant), keyboard && keyboard->keyboard == flow::Keyboard::Digits));
          }
          d.touch(meant || !item->required ? "choice.next" : "choice.skip");
        } else if (meant && meant->kind == forms::AnswerValue::Kind::Boolean) {
          d.touch(meant->boolean ? "choice.yes" : "choice.no");
        } else if (meant) {
          d.touch_paged("choice.option." + meant->text);
        } else {
          d.touch("choice.skip");
        }
      }
      d.step(confirmed + corrected == 0 ? "This is what we read: nothing was uncertain"
                                        : "Confirmed " + std::to_string(confirmed) + " and corrected " +
                                              std::to_string(corrected) + " value(s) the kiosk was unsure of");
      if (d.touch("choice.send")) {
        d.wait_for_workers();
        d.step("Sent into the outbox");
        if (flow.screen() == flow::Screen::Receipt) {
          sent = true;
          reference = flow.session().receipt_reference;
          d.wait_for_workers();
          receipt = flow.screen_model().error.empty();
          d.step("The receipt, printed and shown");
        }
      }
    }
  }
  const auto effort = d.effort();  // the session, up to its receipt
  d.counting(false);
  d.touch("nav.help");
  d.step("Talk to a person: phone number and help code");
  d.touch("nav.back");
  d.touch("nav.contrast");
  d.touch("nav.bigger-text");
  d.step("High-contrast colours and bigger text, reachable from every screen");
  d.touch("nav.start-over");
  d.step("Start over: everything about the person is wiped");

  // With a broker: wait (up to a minute) for the platform's receipt.
  std::string delivery;
  if (sent && config.is_set("broker.url")) {
    delivery = "no receipt from the platform within a minute";
    try {
      outbox::Outbox box(config);
      for (int i = 0; i < 600; ++i) {
        const auto entry = box.status(reference);
        if (!entry) break;
        if (entry->status == outbox::Status::Accepted || entry->status == outbox::Status::Rejected) {
          delivery = entry->status == outbox::Status::Accepted
                         ? "accepted by the platform (platform reference " + entry->platform_reference + ")"
                         : "rejected by the platform: " + entry->reason_text;
          break;
        }
        delivery = "still " + outbox::to_string(entry->status) + " after a minute, no receipt from the platform" +
                   (entry->last_error.empty() ? "" : " (" + entry->last_error + ")");
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    } catch (const std::exception& e) {
      delivery = std::string("its status could not be read: ") + e.what();
    }
  }

  summary << "\nWhat happened:\n";
  if (printed)
    summary << "  - The filled form was printed (see the log below for where it went).\n";
  else if (!print_available)
    summary << "  - The form was NOT printed: printing is not built into this kiosk version.\n";
  else
    summary << "  - The form was NOT printed: the printer reported a problem (see the log below).\n";
  if (printed)
    summary << (filled ? "  - The printed page was signed and dated like a person would, and laid on the "
                         "scanner (SANE pnm backend).\n"
                       : "  - The printed page was NOT filled in: " + fill_problem + ".\n");
  if (printed && !scanned)
    summary << "  - The signed sheet was NOT read back: "
            << (wired.services.scanner->available() ? "the scanner reported a problem (see the log below).\n"
                                                    : "scanning is not built into this kiosk version.\n");
  if (scanned)
    summary << "  - "
            << (sheets_scanned > 1 ? "All " + std::to_string(sheets_scanned) + " pages were"
                                   : std::string("The sheet was"))
            << " scanned and read; the person confirmed what was uncertain.\n";
  if (scanned && !sent)
    summary << "  - Nothing was queued or sent: "
            << (wired.services.outbox->available() ? "the outbox reported a problem (see the log below).\n"
                                                   : "the outbox is not built into this kiosk version.\n");
  if (sent) {
    summary << "  - Committed to the outbox with reference " << reference << ".\n";
    if (config.is_set("broker.url"))
      summary << "  - Delivery over the broker " << config.get_string("broker.url") << ": " << delivery
              << (platform
                      ? " (platform-sim ran for the demo).\n"
                      : " (platform-sim was not found next to kiosk-demo: nothing answers on the platform's side).\n");
    else
      summary << "  - No broker is configured: the submission stays QUEUED in the outbox (run the demo with "
                 "--broker URL to send it to platform-sim).\n";
    summary << (receipt ? "  - The receipt was printed.\n" : "  - The receipt was NOT printed (see the log below).\n");
  }
  if (evidence_sheets > 0)
    summary << "  - " << evidence_sheets << " evidence sheet(s) for the representation were scanned after the form.\n";
  if (!scanned) summary << "  - Sending and the receipt were therefore not reached.\n";
  summary << "  - The session was wiped at the end (wipes: " << flow.wipe_count() << ").\n";
  summary << "\nKiosk log (no personal data):\n";
  for (const auto& line : log_lines) summary << "  " << line << "\n";
  // The session's effort, counted from the first touch to the receipt (the help, contrast and
  // "Endre" shown afterwards are not counted). Minutes at a stated, unhurried pace.
  constexpr double kSecondsPerTouch = 5.0, kSecondsPerKey = 1.5;
  const double minutes = ((effort.touches - effort.keys) * kSecondsPerTouch + effort.keys * kSecondsPerKey) / 60.0;
  summary << "\nEffort (scenario " << scenario << ", form " << form->id << ", " << type << "):\n"
          << "touches: " << effort.touches << "\n"
          << "keys: " << effort.keys << "\n"
          << "confirmations: " << effort.confirmations << "\n"
          << "minutes: " << std::fixed << std::setprecision(1) << minutes << " (at " << kSecondsPerTouch
          << " s a touch and " << kSecondsPerKey << " s a key)\n";
  summary.flush();
  ctx.out << "Demo finished" << (d.has_window() ? " with screenshots" : " without a screen (no screenshots)")
          << (sent ? ", submission " + reference + (config.is_set("broker.url") ? " " + delivery : " queued") : "")
          << ". Results are in " << out_dir.string() << " (summary.txt)\n";
  return summary ? kExitOk : kExitUnavailable;
}

const CommandRegistration registration{
    Command{"demo", "demo --out DIR [--config FILE] [--broker URL] [--scenario S]",
            "Run the scripted demo session in the real UI and write screenshots and a summary into DIR", demo}};

}  // namespace

}  // namespace kiosk::cli
