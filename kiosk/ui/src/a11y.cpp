#include "kiosk_ui/a11y.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <thread>

#include "forms/lix.hpp"
#include "kiosk_flow/staff_lock.hpp"
#include "kiosk_ui/headless.hpp"
#include "kiosk_ui/scripted_services.hpp"
#include "kiosk_ui/theme.hpp"

namespace kiosk::ui {

namespace {

std::string fmt(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f", v);
  return buf;
}

std::string quote(const std::string& s) {
  return "\"" + s + "\"";
}

bool has_text(Role role) {
  return role != Role::Picture;
}

// Citizen-facing text measured by LIX: not keys (single letters), not typed values.
bool lix_measured(const WidgetRecord& w) {
  return w.role == Role::Title || w.role == Role::Body || w.role == Role::Error || w.role == Role::Choice ||
         w.role == Role::Nav || w.role == Role::Overlay || w.role == Role::OverlayButton;
}

bool ends_sentence(const std::string& s) {
  if (s.empty()) return true;
  const char c = s.back();
  return c == '.' || c == '!' || c == '?' || c == ':' || c == ';';
}

// Distance between two rectangles (0 when they touch or overlap).
float gap_between(const WidgetRecord& a, const WidgetRecord& b) {
  const float dx = std::max({0.0f, b.x - (a.x + a.w), a.x - (b.x + b.w)});
  const float dy = std::max({0.0f, b.y - (a.y + a.h), a.y - (b.y + b.h)});
  return std::sqrt(dx * dx + dy * dy);
}

bool overlaps(const WidgetRecord& a, const WidgetRecord& b) {
  return a.x < b.x + b.w - 0.5f && b.x < a.x + a.w - 0.5f && a.y < b.y + b.h - 0.5f && b.y < a.y + a.h - 0.5f;
}

}  // namespace

bool lix_applies_to(const std::string& lang) {
  return lang == "nb" || lang == "nn" || lang == "en";
}

std::vector<Violation> check_frame(const FrameRecord& frame) {
  std::vector<Violation> out;
  auto add = [&out](std::string rule, std::string detail) { out.push_back({std::move(rule), std::move(detail)}); };
  const float top_quarter = kDesignHeight / 4;
  const bool overlay = std::any_of(frame.widgets.begin(), frame.widgets.end(),
                                   [](const WidgetRecord& w) { return w.role == Role::Overlay; });
  std::vector<const WidgetRecord*> buttons;
  int main_choices = 0;
  for (const auto& w : frame.widgets) {
    if (is_button(w.role)) buttons.push_back(&w);
    if (w.role == Role::Choice) ++main_choices;
    if (is_button(w.role) && w.h < kMinButtonHeight)
      add("button-height", w.id + " is " + fmt(w.h) + " px high (at least " + fmt(kMinButtonHeight) + ")");
    if (has_text(w.role) && !w.text.empty() && w.font_px < kMinTextPx)
      add("text-size", w.id + " uses " + fmt(w.font_px) + " px text (at least " + fmt(kMinTextPx) + ")");
    if (has_text(w.role) && !w.text.empty()) {
      const double c = contrast_ratio(w.fg, w.bg);
      if (c < kMinContrast) add("contrast", w.id + " has contrast " + fmt(c) + ":1 (at least 7:1)");
    }
    if (!w.text_fits) add("text-fits", w.id + " " + quote(w.text) + " is wider or taller than its box");
    if (w.role != Role::Staff && w.role != Role::Picture && w.y < top_quarter)
      add("top-quarter", w.id + " starts at y=" + fmt(w.y) + ", inside the top quarter (y < " + fmt(top_quarter) + ")");
    if (w.x < 0 || w.y < 0 || w.x + w.w > kDesignWidth + 0.5f || w.y + w.h > kDesignHeight + 0.5f)
      add("off-screen", w.id + " reaches outside the 1920x1080 screen");
  }
  if (main_choices > static_cast<int>(kMaxMainChoices))
    add("main-choices",
        std::to_string(main_choices) + " main choices (at most " + std::to_string(kMaxMainChoices) + ")");
  for (const char* id : {"nav.back", "nav.read-aloud", "nav.help", "nav.start-over", "nav.contrast", "nav.bigger-text"})
    if (!frame.find(id)) add("always-present", std::string(id) + " is missing");
  for (size_t i = 0; i < buttons.size(); ++i)
    for (size_t j = i + 1; j < buttons.size(); ++j) {
      const auto& a = *buttons[i];
      const auto& b = *buttons[j];
      // The warning's button sits over the (disabled) screen on purpose.
      if (a.role == Role::OverlayButton || b.role == Role::OverlayButton) continue;
      const float g = gap_between(a, b);
      if (g < kMinButtonSpacing - 0.5f)
        add("button-spacing",
            a.id + " and " + b.id + " are " + fmt(g) + " px apart (at least " + fmt(kMinButtonSpacing) + ")");
    }
  // Nothing may cover anything else (except the inactivity warning, which covers all).
  if (!overlay) {
    for (size_t i = 0; i < frame.widgets.size(); ++i)
      for (size_t j = i + 1; j < frame.widgets.size(); ++j) {
        const auto& a = frame.widgets[i];
        const auto& b = frame.widgets[j];
        if (a.role == Role::Picture && b.role == Role::Picture) continue;
        if (overlaps(a, b)) add("overlap", a.id + " and " + b.id + " overlap");
      }
  }
  for (const auto& key : frame.untranslated) add("translated", key + " has no text in " + frame.language);
  if (frame.citizen_facing && lix_applies_to(frame.language)) {
    std::string screen_text;
    for (const auto& w : frame.widgets) {
      if (!lix_measured(w) || w.text.empty()) continue;
      screen_text += w.text;
      screen_text += ends_sentence(w.text) ? " " : ". ";
      const auto score = forms::lix(w.text);
      if (score.words >= kLixMinWordsPerString && score.value > kMaxLix)
        add("lix", w.id + " " + quote(w.text) + " has LIX " + fmt(score.value) + " (at most 35)");
    }
    const auto score = forms::lix(screen_text);
    if (score.value > kMaxLix) add("lix", "the screen's text has LIX " + fmt(score.value) + " (at most 35)");
  }
  return out;
}

namespace {

using flow::Clock;
namespace in = flow::intent;

// Types what a value would be typed as on the kiosk keyboard.
std::string typed_form(const forms::Item& item, const forms::AnswerValue& v) {
  if (item.type == forms::ItemType::Date && v.text.size() == 10)
    return v.text.substr(8, 2) + v.text.substr(5, 2) + v.text.substr(0, 4);
  if (item.type == forms::ItemType::Integer) return std::to_string(v.integer);
  return v.text;
}

class Walker {
 public:
  Walker(const forms::Catalogue& catalogue, const forms::Translations& translations,
         const forms::RepresentationRules& rules, flow::FlowOptions options, std::vector<ScreenReport>& out)
      : catalogue_(catalogue), translations_(translations), rules_(rules), options_(std::move(options)), out_(out) {
    // A throwaway PIN, so the staff screens behind it can be walked too.
    options_.staff_pin_hash = flow::StaffLock::hash_pin("2468", true);
  }

  void run() {
    for (const auto& lang : options_.languages) {
      for (int variant = 0; variant < 2; ++variant) {
        variant_ = variant == 0 ? "standard" : "high-contrast+large-text";
        general_screens(lang);
        for (const auto& form : catalogue_.forms()) form_screens(lang, form);
      }
    }
  }

 private:
  struct Run {
    std::shared_ptr<ScriptedPrinter> printer = std::make_shared<ScriptedPrinter>();
    std::shared_ptr<ScriptedScanner> scanner = std::make_shared<ScriptedScanner>();
    std::shared_ptr<ScriptedOutbox> outbox = std::make_shared<ScriptedOutbox>();
    std::shared_ptr<flow::MemoryStaffDirectory> staff = std::make_shared<flow::MemoryStaffDirectory>();
    std::unique_ptr<flow::Flow> flow;
  };

  Run start(const std::string& lang) {
    Run r;
    flow::Services services;
    services.printer = r.printer;
    services.scanner = r.scanner;
    services.outbox = r.outbox;
    services.staff = r.staff;
    r.flow = std::make_unique<flow::Flow>(catalogue_, translations_, rules_, options_, services, now_);
    if (variant_ != "standard") {
      r.flow->apply(in::ToggleContrast{}, now_);
      r.flow->apply(in::ToggleBigText{}, now_);
    }
    r.flow->apply(in::ChooseLanguage{lang}, now_);
    return r;
  }

  void record(flow::Flow& f, const std::string& step, const std::optional<std::string>& form) {
    const FrameRecord frame = ui_.look(f, now_);
    ScreenReport rep;
    rep.screen = frame.screen;
    rep.step = step;
    rep.lang = frame.language;
    rep.form = form;
    rep.variant = variant_;
    rep.violations = check_frame(frame);
    out_.push_back(std::move(rep));
  }

  void general_screens(const std::string& lang) {
    Run r = start(lang);
    auto& f = *r.flow;
    // The start screen in the chosen language.
    {
      Run s = start(lang);
      s.flow->apply(in::Back{}, now_);
      s.flow->apply(in::StartOver{}, now_);
      if (variant_ != "standard") {
        s.flow->apply(in::ToggleContrast{}, now_);
        s.flow->apply(in::ToggleBigText{}, now_);
      }
      record(*s.flow, "start", std::nullopt);
    }
    record(f, "task", std::nullopt);
    for (int page = 1; page < 3; ++page) {
      f.apply(in::MoreChoices{}, now_);
      record(f, "task page " + std::to_string(page + 1), std::nullopt);
    }
    f.apply(in::Help{}, now_);
    record(f, "help", std::nullopt);
    f.apply(in::Back{}, now_);
    f.apply(in::SendFilledForm{}, now_);
    record(f, "who", std::nullopt);
    f.apply(in::ChooseSomeoneElse{}, now_);
    record(f, "who-kind", std::nullopt);
    for (int page = 1; page < 3; ++page) {
      f.apply(in::MoreChoices{}, now_);
      record(f, "who-kind page " + std::to_string(page + 1), std::nullopt);
    }
    // The inactivity warning over a screen.
    {
      const auto later = now_ + options_.inactivity_warning + std::chrono::seconds(1);
      f.tick(later);
      const FrameRecord frame = ui_.look(f, later);
      ScreenReport rep{frame.screen, "inactivity warning", lang, std::nullopt, variant_, check_frame(frame)};
      out_.push_back(std::move(rep));
      f.apply(in::StillHere{}, now_);
    }
    // Staff screens.
    Run st = start(lang);
    st.flow->apply(in::StartOver{}, now_);
    // A staff member signs in: the staff number, then their PIN.
    st.staff->members.push_back({"1001", "KN", options_.staff_pin_hash});
    st.flow->apply(in::OpenStaff{}, now_);
    record(*st.flow, "staff number", std::nullopt);
    for (const char* d : {"1", "0", "0", "1"}) st.flow->apply(in::Key{d}, now_);
    st.flow->apply(in::Next{}, now_);
    record(*st.flow, "staff pin", std::nullopt);
    for (const char* d : {"2", "4", "6", "8"}) st.flow->apply(in::Key{d}, now_);
    st.flow->apply(in::Next{}, now_);
    record(*st.flow, "staff pin checking", std::nullopt);
    // The PIN is checked on the sign-in worker thread: its answer comes with a later frame.
    for (int i = 0; i < 5000 && st.flow->staff_checking(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      st.flow->tick(now_);
    }
    record(*st.flow, "staff menu", std::nullopt);
    st.flow->apply(in::StaffAction{in::staff::ShowDevices{}}, now_);
    record(*st.flow, "staff devices", std::nullopt);
    st.flow->apply(in::StaffAction{in::staff::ShowQueue{}}, now_);
    st.flow->tick(now_);
    record(*st.flow, "staff queue", std::nullopt);
    // The review queue: empty, then with a sheet scanned at the desk, then that sheet opened.
    st.flow->apply(in::StaffAction{in::staff::ShowHeld{}}, now_);
    st.flow->tick(now_);
    record(*st.flow, "staff review queue empty", std::nullopt);
    if (catalogue_.forms().empty()) return;
    const auto& form = catalogue_.forms().front();
    const auto answers = forms::make_example_answers(form, 1);
    st.scanner->result = ScriptedScanner::read_back(form, answers, true);
    st.flow->apply(in::StaffAction{in::staff::ScanAtDesk{}}, now_);
    st.flow->apply(in::StartScan{}, now_);
    for (int i = 0; i < 3; ++i) st.flow->tick(now_);
    record(*st.flow, "staff review queue", std::nullopt);
    const auto rows = st.flow->screen_model().rows;
    if (rows.empty()) return;
    st.flow->apply(rows.front().intent, now_);  // staff pick the sheet from the list
    record(*st.flow, "staff review sheet picked", std::nullopt);
    st.flow->apply(in::StaffAction{in::staff::OpenHeld{}}, now_);
    st.flow->tick(now_);
    record(*st.flow, "staff review sheet", std::nullopt);

    // A form of two pages filled at home: the second page is asked for, a page scanned
    // twice is said, and the person leaves an uncertain value for staff.
    Run m = start(lang);
    m.flow->apply(in::SendFilledForm{}, now_);
    m.flow->apply(in::ChooseSelf{}, now_);
    auto first = ScriptedScanner::read_back(form, answers, true);
    first.page_count = 2;
    first.pages_found = {1};
    flow::ScanResult second;
    second.form_id = form.id;
    second.signature_found = true;
    second.page_count = 2;
    second.pages_found = {2};
    m.scanner->sequence = {first, first, second};
    m.flow->apply(in::StartScan{}, now_);
    m.flow->tick(now_);
    record(*m.flow, "scan next page", std::nullopt);
    m.flow->apply(in::StartScan{}, now_);
    m.flow->tick(now_);
    record(*m.flow, "scan a page twice", std::nullopt);
    m.flow->apply(in::StartScan{}, now_);
    m.flow->tick(now_);
    record(*m.flow, "review uncertain, filled at home", std::nullopt);
    m.flow->apply(in::LeaveForStaff{}, now_);
    m.flow->tick(now_);
    record(*m.flow, "left for staff", std::nullopt);
  }

  // Answers every question as a person would, recording each screen.
  void answer_questions(flow::Flow& f, const forms::Questionnaire& form, const forms::Answers& example,
                        const std::optional<std::string>& id, bool record_screens) {
    for (int guard = 0; guard < 200 && (f.screen() == flow::Screen::Question); ++guard) {
      const auto* item = form.find_item(f.current_link_id());
      if (!item) break;
      if (record_screens) record(f, "question " + item->link_id, id);
      const auto* v = example.first(item->link_id);
      using T = forms::ItemType;
      if (item->type == T::Boolean) {
        f.apply(in::AnswerYesNo{v ? v->boolean : true}, now_);
      } else if (item->type == T::Choice) {
        f.apply(in::AnswerChoice{v ? v->text : item->options.front().code}, now_);
      } else {
        while (!f.session().typed.empty()) f.apply(in::Erase{}, now_);
        if (record_screens && item->required) {
          f.apply(in::Next{}, now_);  // the error shown next to an empty required field
          record(f, "question " + item->link_id + " error", id);
        }
        if (v) f.apply(in::Key{typed_form(*item, *v)}, now_);
        f.apply(in::Next{}, now_);
        if (f.screen() == flow::Screen::Question && f.current_link_id() == item->link_id) {
          f.apply(in::Skip{}, now_);  // an example value the keyboard cannot type
          if (f.current_link_id() == item->link_id) break;
        }
      }
    }
  }

  void form_screens(const std::string& lang, const forms::Questionnaire& form) {
    const std::optional<std::string> id = form.id;
    const auto example = forms::make_example_answers(form, 1);
    const bool self = form.allows_representation("self");
    Run r = start(lang);
    auto& f = *r.flow;
    r.printer->hold = true;
    f.apply(in::ChooseCategory{form.category}, now_);
    if (self) {
      f.apply(in::ChooseSelf{}, now_);
    } else {
      f.apply(in::ChooseSomeoneElse{}, now_);
      f.apply(in::ChooseRepresentation{form.representation.front()}, now_);
    }
    if (f.screen() == flow::Screen::FormChoice) {
      record(f, "form choice", id);
      f.apply(in::ChooseForm{form.id}, now_);
    }
    record(f, "form intro", id);
    f.apply(in::FillIn{}, now_);
    answer_questions(f, form, example, id, true);
    // The look back before printing: every page of answers, "Endre" and back.
    if (f.screen() == flow::Screen::Overview) {
      record(f, "overview", id);
      const auto model = f.screen_model();
      if (!model.rows.empty()) {
        f.apply(model.rows.front().intent, now_);
        record(f, "overview change", id);
        f.apply(in::Back{}, now_);
      }
      const std::string first_row = model.rows.empty() ? "" : model.rows.front().id;
      for (int more = 0; more < 12 && f.screen_model().choices.size() > 1; ++more) {
        f.apply(in::MoreChoices{}, now_);
        const auto rows = f.screen_model().rows;
        if (!rows.empty() && rows.front().id == first_row) break;  // back at the first page
        record(f, "overview page " + std::to_string(more + 2), id);
      }
      f.apply(in::PrintForm{form.id, false}, now_);
    }
    record(f, "print working", id);
    r.printer->hold = false;
    f.tick(now_);
    record(f, "print done", id);
    if (!r.printer->requests.empty())
      r.scanner->result = ScriptedScanner::read_back(form, r.printer->requests.back().answers, true);
    f.apply(in::Next{}, now_);
    record(f, "scan ready", id);
    r.scanner->hold = true;
    f.apply(in::StartScan{}, now_);
    record(f, "scan working", id);
    r.scanner->hold = false;
    f.tick(now_);
    for (int guard = 0; guard < 5 && f.screen() == flow::Screen::Scan; ++guard) {
      record(f, "scan evidence", id);
      f.apply(in::StartScan{}, now_);
      f.tick(now_);
    }
    record(f, "review uncertain", id);
    f.apply(in::ConfirmRead{false}, now_);
    record(f, "correct", id);
    f.apply(in::Next{}, now_);
    while (f.screen() == flow::Screen::Review && !f.session().review_queue.empty())
      f.apply(in::ConfirmRead{true}, now_);
    record(f, "review all good", id);
    r.outbox->hold = true;
    f.apply(in::SendIn{}, now_);
    record(f, "send working", id);
    r.outbox->hold = false;
    r.printer->hold = true;
    f.tick(now_);
    record(f, "receipt printing", id);
    r.printer->hold = false;
    f.tick(now_);
    record(f, "receipt", id);

    // Someone else acting, and what happens when the rules say no.
    for (const auto& type : form.representation) {
      if (type == "self") continue;
      Run o = start(lang);
      o.flow->apply(in::ChooseCategory{form.category}, now_);
      o.flow->apply(in::ChooseSomeoneElse{}, now_);
      o.flow->apply(in::ChooseRepresentation{type}, now_);
      if (o.flow->screen() == flow::Screen::FormChoice) o.flow->apply(in::ChooseForm{form.id}, now_);
      record(*o.flow, "form intro " + type, id);
      o.flow->apply(in::FillIn{}, now_);
      record(*o.flow, "representative id", id);
      o.flow->apply(in::Key{"01018012372"}, now_);  // a wrong check digit: the error is shown
      o.flow->apply(in::Next{}, now_);
      record(*o.flow, "representative id error", id);
      break;
    }
    // Print, scan and send going wrong.
    Run bad = start(lang);
    bad.printer->outcome = flow::Outcome::Unavailable;
    bad.scanner->outcome = flow::Outcome::Unavailable;
    bad.outbox->outcome = flow::Outcome::Unavailable;
    bad.flow->apply(in::ChooseCategory{form.category}, now_);
    if (self)
      bad.flow->apply(in::ChooseSelf{}, now_);
    else {
      bad.flow->apply(in::ChooseSomeoneElse{}, now_);
      bad.flow->apply(in::ChooseRepresentation{form.representation.front()}, now_);
    }
    if (bad.flow->screen() == flow::Screen::FormChoice) bad.flow->apply(in::ChooseForm{form.id}, now_);
    bad.flow->apply(in::PrintForm{form.id, true}, now_);
    bad.flow->tick(now_);
    record(*bad.flow, "print unavailable", id);
    bad.printer->outcome = flow::Outcome::Failed;
    bad.flow->apply(in::PrintForm{form.id, true}, now_);
    bad.flow->tick(now_);
    record(*bad.flow, "print failed", id);
    bad.printer->outcome = flow::Outcome::Done;
    bad.flow->apply(in::PrintForm{form.id, true}, now_);
    bad.flow->tick(now_);
    record(*bad.flow, "print blank done", id);
    bad.flow->apply(in::StartScan{}, now_);
    bad.flow->tick(now_);
    record(*bad.flow, "scan unavailable", id);
    bad.flow->apply(in::SendIn{}, now_);
    bad.flow->tick(now_);
    record(*bad.flow, "send unavailable", id);
  }

  const forms::Catalogue& catalogue_;
  const forms::Translations& translations_;
  const forms::RepresentationRules& rules_;
  flow::FlowOptions options_;
  std::vector<ScreenReport>& out_;
  HeadlessUi ui_;
  std::string variant_;
  Clock::time_point now_ = Clock::now();
};

}  // namespace

std::vector<ScreenReport> walk_all_screens(const forms::Catalogue& catalogue, const forms::Translations& translations,
                                           const forms::RepresentationRules& rules, flow::FlowOptions options) {
  std::vector<ScreenReport> out;
  Walker(catalogue, translations, rules, std::move(options), out).run();
  return out;
}

nlohmann::json report_json(const std::vector<ScreenReport>& reports) {
  nlohmann::json screens = nlohmann::json::array();
  for (const auto& r : reports) {
    nlohmann::json v = nlohmann::json::array();
    for (const auto& violation : r.violations) v.push_back({{"rule", violation.rule}, {"detail", violation.detail}});
    screens.push_back({{"screen", r.screen},
                       {"lang", r.lang},
                       {"form", r.form ? nlohmann::json(*r.form) : nlohmann::json(nullptr)},
                       {"step", r.step},
                       {"variant", r.variant},
                       {"violations", v}});
  }
  return {{"screens", screens}};
}

std::string report_text(const std::vector<ScreenReport>& reports) {
  std::ostringstream out;
  for (const auto& r : reports)
    for (const auto& v : r.violations)
      out << r.lang << " " << (r.form ? *r.form : "-") << " " << r.screen << " [" << r.step << ", " << r.variant << "] "
          << v.rule << ": " << v.detail << "\n";
  return out.str();
}

}  // namespace kiosk::ui
