#include "kiosk_flow/flow.hpp"

#include <algorithm>
#include <filesystem>
#include <cctype>
#include <sstream>
#include <system_error>

#include <sodium.h>

#include "config.hpp"
#include "flow_helpers.hpp"
#include "forms/identity.hpp"
#include "kiosk_flow/pages.hpp"
#include "letters.hpp"
#include "random_id.hpp"

namespace kiosk::flow {

namespace {

// Services with a log that drops its lines and no staff members where none were given.
Services with_defaults(Services services) {
  if (!services.log) services.log = [](const std::string&) {};
  if (!services.staff) services.staff = std::make_shared<NoStaffMembers>();
  return services;
}

// A help code is read aloud over the phone: no letters that sound or look alike.
std::string make_help_code() {
  static constexpr char kAlphabet[] = "ACEFHJKLMNPRTWXY3479";
  std::string code;
  for (int i = 0; i < 4; ++i) code += kAlphabet[randombytes_uniform(sizeof(kAlphabet) - 1)];
  return code;
}

std::string make_submission_id() {
  return random_hex(16);
}

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c) != 0; });
}

bool is_question(const forms::Item& item) {
  using T = forms::ItemType;
  return item.type == T::String || item.type == T::Text || item.type == T::Boolean || item.type == T::Choice ||
         item.type == T::Date || item.type == T::Integer;
}

// Capitalises the first letter of each word for names (the keyboard has no shift key).
std::string capitalise_key(const std::string& typed, const std::string& key) {
  const bool word_start = typed.empty() || typed.back() == ' ' || typed.back() == '-';
  return word_start ? capital_letter(key) : key;
}

size_t utf8_length(const std::string& s) {
  size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

// The scanner reports values as text; turn one into the item's answer type.
std::optional<forms::AnswerValue> answer_from_text(const forms::Item& item, const std::string& text) {
  using T = forms::ItemType;
  if (text.empty()) return std::nullopt;
  switch (item.type) {
    case T::Boolean:
      if (text == "true" || text == "ja" || text == "yes") return forms::AnswerValue::of_bool(true);
      if (text == "false" || text == "nei" || text == "no") return forms::AnswerValue::of_bool(false);
      return std::nullopt;
    case T::Integer:
      if (!all_digits(text)) return std::nullopt;
      return forms::AnswerValue::of_integer(std::stoll(text));
    case T::Date:
      if (!forms::parse_iso_date(text)) return std::nullopt;
      return forms::AnswerValue::of_date(text);
    case T::Choice:
      return forms::AnswerValue::of_coding(text);
    default:
      return forms::AnswerValue::of_string(text);
  }
}

void collect_questions(const std::vector<forms::Item>& items, const forms::Answers& answers,
                       std::vector<const forms::Item*>& out) {
  for (const auto& item : items) {
    if (!forms::is_enabled(item, answers)) continue;
    if (item.type == forms::ItemType::Group) {
      collect_questions(item.items, answers, out);
    } else if (is_question(item)) {
      out.push_back(&item);
    }
  }
}

}  // namespace

namespace detail {

Keyboard keyboard_for(const forms::Item& item) {
  using T = forms::ItemType;
  using K = forms::InputKind;
  if (item.type == T::Date || item.type == T::Integer) return Keyboard::Digits;
  if (item.type == T::String &&
      (item.input_kind == K::IdentityNumber || item.input_kind == K::Phone || item.input_kind == K::Postcode))
    return Keyboard::Digits;
  if (item.type == T::String || item.type == T::Text) return Keyboard::Letters;
  return Keyboard::None;
}

size_t max_chars_for(const forms::Item& item) {
  using K = forms::InputKind;
  if (item.type == forms::ItemType::Date) return 8;
  if (item.type == forms::ItemType::Integer) return 9;
  if (item.input_kind == K::IdentityNumber) return 11;
  if (item.input_kind == K::Phone) return 8;
  if (item.input_kind == K::Postcode) return 4;
  return item.max_length > 0 ? static_cast<size_t>(item.max_length) : 60;
}

// How typed digits are shown: identity numbers as "DDMMYY IIIKK", dates as "DD.MM.YYYY".
std::string format_typed(const forms::Item* item, const std::string& typed) {
  if (!item) return typed;
  if (item->type == forms::ItemType::Date) {
    std::string out;
    for (size_t i = 0; i < typed.size(); ++i) {
      if (i == 2 || i == 4) out += '.';
      out += typed[i];
    }
    return out;
  }
  if (item->input_kind == forms::InputKind::IdentityNumber && typed.size() > 6)
    return typed.substr(0, 6) + " " + typed.substr(6);
  return typed;
}

// Display items are shown as the introduction of the question that follows them.
void collect_intros(const std::vector<forms::Item>& items, std::vector<std::string>& pending, const std::string& lang,
                    std::map<std::string, std::vector<std::string>>& out) {
  for (const auto& item : items) {
    if (item.type == forms::ItemType::Display) {
      pending.push_back(item.text.get(lang));
    } else if (item.type == forms::ItemType::Group) {
      collect_intros(item.items, pending, lang, out);
    } else if (is_question(item)) {
      out[item.link_id] = pending;
      pending.clear();
    }
  }
}

}  // namespace detail

using namespace detail;

std::string screen_name(Screen screen) {
  switch (screen) {
    case Screen::Start:
      return "start";
    case Screen::Task:
      return "task";
    case Screen::Who:
      return "who";
    case Screen::WhoKind:
      return "who-kind";
    case Screen::FormChoice:
      return "form-choice";
    case Screen::FormIntro:
      return "form-intro";
    case Screen::RepresentativeId:
      return "representative-id";
    case Screen::RepresentedId:
      return "represented-id";
    case Screen::Refused:
      return "refused";
    case Screen::Question:
      return "question";
    case Screen::Overview:
      return "overview";
    case Screen::Print:
      return "print";
    case Screen::Scan:
      return "scan";
    case Screen::Review:
      return "review";
    case Screen::Correct:
      return "correct";
    case Screen::Send:
      return "send";
    case Screen::Receipt:
      return "receipt";
    case Screen::Help:
      return "help";
    case Screen::StaffPin:
      return "staff-pin";
    case Screen::StaffMenu:
      return "staff-menu";
    case Screen::StaffInfo:
      return "staff-info";
    case Screen::StaffQueue:
      return "staff-queue";
  }
  return "unknown";
}

std::string describe(const Intent& intent) {
  return std::visit(
      Overloaded{
          [](const intent::ChooseLanguage& i) { return "choose language " + i.lang; },
          [](const intent::ChooseCategory& i) { return "choose task " + i.code; },
          [](const intent::SendFilledForm&) { return std::string("send a form filled in at home"); },
          [](const intent::MoreChoices&) { return std::string("more choices"); },
          [](const intent::ChooseSelf&) { return std::string("it is for me"); },
          [](const intent::ChooseSomeoneElse&) { return std::string("it is for someone else"); },
          [](const intent::ChooseRepresentation& i) { return "act as " + i.type; },
          [](const intent::ChooseForm& i) { return "choose form " + i.id; },
          [](const intent::FillIn&) { return std::string("fill in here"); },
          [](const intent::PrintForm& i) {
            return std::string(i.blank ? "print an empty form " : "print form ") + i.id;
          },
          [](const intent::Key&) { return std::string("key"); },
          [](const intent::Erase&) { return std::string("erase"); },
          [](const intent::Next&) { return std::string("next"); },
          [](const intent::Skip&) { return std::string("skip"); },
          [](const intent::AnswerYesNo& i) { return std::string(i.yes ? "answer yes" : "answer no"); },
          [](const intent::AnswerChoice& i) { return "answer " + i.code; },
          [](const intent::Change&) { return std::string("change an answer"); },
          [](const intent::StartScan&) { return std::string("scan"); },
          [](const intent::ConfirmRead& i) { return std::string(i.correct ? "confirm what was read" : "correct it"); },
          [](const intent::SendIn&) { return std::string("send"); },
          [](const intent::LeaveForStaff&) { return std::string("leave the sheet for staff"); },
          [](const intent::Finish&) { return std::string("finish"); },
          [](const intent::Back&) { return std::string("back"); },
          [](const intent::StartOver&) { return std::string("start over"); },
          [](const intent::Help&) { return std::string("help"); },
          [](const intent::ReadAloud&) { return std::string("read aloud"); },
          [](const intent::ToggleContrast&) { return std::string("toggle high contrast"); },
          [](const intent::ToggleBigText&) { return std::string("toggle bigger text"); },
          [](const intent::StillHere&) { return std::string("still here"); },
          [](const intent::OpenStaff&) { return std::string("staff mode"); },
          [](const intent::StaffAction& i) { return "staff " + describe(i.what); },
      },
      intent);
}

std::string ScreenModel::text_for_reading() const {
  std::string out = title;
  auto add = [&out](const std::string& s) {
    if (s.empty()) return;
    if (!out.empty())
      out += out.back() == '.' || out.back() == '?' || out.back() == '!' || out.back() == ':' ? " " : ". ";
    out += s;
  };
  for (const auto& b : body) add(b.text);
  add(error);
  if (input) add(input->shown);
  for (const auto& c : choices) {
    add(c.label);
    add(c.explain);
  }
  // The overview's answers are read too (each question, then its answer).
  for (const auto& r : rows) {
    if (r.explain.empty()) continue;
    add(r.explain);
    add(r.value);
  }
  if (countdown_seconds) {
    add(warning_title);
    add(warning_body);
  }
  return out;
}

FlowOptions FlowOptions::from_config(const Config& config) {
  FlowOptions o;
  o.languages = config.get_list("ui.languages");
  o.default_language = config.get_string("ui.default_language");
  o.high_contrast = config.get_string("ui.theme") == "high-contrast";
  o.large_text = config.get_bool("ui.large_text");
  o.inactivity_warning = std::chrono::seconds(config.get_int("ui.inactivity_warning_seconds"));
  o.inactivity_countdown = std::chrono::seconds(config.get_int("ui.inactivity_countdown_seconds"));
  o.help_phone = config.get_string("site.help_phone");
  o.postal_address = config.get_string("site.postal_address");
  o.staff_pin_hash = config.get_string("staff.pin_hash");
  o.staff_lockout_failures = static_cast<int>(config.get_int("staff.lockout_failures"));
  o.staff_lockout = std::chrono::seconds(config.get_int("staff.lockout_seconds"));
  o.staff_kiosk_lockout_failures = static_cast<int>(config.get_int("staff.kiosk_lockout_failures"));
  o.large_print = config.get_bool("printer.large_print");
  return o;
}

Flow::Flow(const forms::Catalogue& catalogue, const forms::Translations& translations,
           const forms::RepresentationRules& rules, FlowOptions options, Services services, Clock::time_point now)
    : catalogue_(catalogue),
      translations_(translations),
      rules_(rules),
      options_(std::move(options)),
      services_(with_defaults(std::move(services))),
      last_activity_(now),
      desk_(std::make_shared<StaffLock>(options_.staff_pin_hash, options_.staff_lockout_failures,
                                        options_.staff_lockout, options_.staff_kiosk_lockout_failures),
            services_.staff, services_.outbox, services_.log) {
  if (sodium_init() < 0) throw std::runtime_error("libsodium could not start");
  if (options_.languages.empty()) options_.languages = {"nb"};
  wipe(now);
  wipes_ = 0;
}

void Flow::log(const std::string& line) const {
  services_.log(line);
}

const forms::Questionnaire* Flow::form() const {
  return catalogue_.find(session_.form_id);
}

std::vector<std::string> Flow::representation_types() const {
  std::vector<std::string> out;
  for (const auto& type : rules_.types)
    if (type.code != "self") out.push_back(type.code);
  return out;
}

std::vector<std::string> Flow::categories_offered() const {
  std::vector<std::string> out;
  for (const auto& code : forms::kTaskCategories)
    if (!catalogue_.in_category(code).empty()) out.push_back(code);
  return out;
}

std::vector<const forms::Questionnaire*> Flow::forms_for_choice() const {
  std::vector<const forms::Questionnaire*> out;
  for (const auto* q : catalogue_.in_category(session_.category))
    // Forms whose owner refuses this kind of help stay listed, so the person hears why.
    if (q->allows_representation(session_.representation.type) ||
        q->representation_refusal(session_.representation.type))
      out.push_back(q);
  return out;
}

std::vector<const forms::Item*> Flow::questions() const {
  std::vector<const forms::Item*> all;
  const auto* f = form();
  if (!f) return all;
  collect_questions(f->items, session_.answers, all);
  // What the who-screens learned is never asked again (the form declares those items); someone
  // acting for another person typed that person's number on its own screen.
  const auto* id_item = session_.representing ? forms::represented_id_item(*f) : nullptr;
  std::vector<const forms::Item*> out;
  for (const auto* item : all)
    if (item != id_item && !forms::answered_by_who_screens(*item, session_.representation.type)) out.push_back(item);
  return out;
}

std::optional<Progress> Flow::progress() const {
  const auto* f = form();
  if (!f) return std::nullopt;
  if (screen_ == Screen::Overview) return progress_of(*f, who_answers(), "");
  if (screen_ == Screen::Question) return progress_of(*f, who_answers(), current_link_);
  return std::nullopt;
}

forms::WhoAnswers Flow::who_answers() const {
  forms::WhoAnswers who;
  who.type = session_.representing ? session_.representation.type : "self";
  if (session_.representing) {
    who.representative_id = session_.representation.representative_id;
    who.represented_id = session_.representation.represented_id;
  }
  return who;
}

void Flow::answer_who_items() {
  if (const auto* f = form()) forms::answer_representation_items(*f, who_answers(), session_.answers);
}

void Flow::wipe(Clock::time_point now) {
  services_.speaker->stop();
  // The scanned pages go now, not at the next scan; a scan still running is discarded. Pages a
  // running outbox commit still reads stay: the commit seals them into the store and deletes them.
  std::vector<std::filesystem::path> committing;
  if (send_busy_) {
    committing = session_.pages;
    committing.insert(committing.end(), session_.evidence_pages.begin(), session_.evidence_pages.end());
  }
  ++scan_ticket_;
  services_.scanner->wipe(committing);
  desk_.wipe();
  session_.wipe();
  wipe_string(current_link_);
  for (auto& step : history_) wipe_string(step.link_id);
  history_.clear();
  changing_ = false;
  asked_.clear();
  error_key_.clear();
  refusal_key_.clear();
  scanning_evidence_.clear();
  print_result_.reset();
  scan_result_.reset();
  send_result_.reset();
  receipt_result_.reset();
  print_busy_ = scan_busy_ = send_busy_ = receipt_busy_ = false;
  countdown_.reset();
  page_ = 0;
  session_.language = options_.default_language;
  session_.high_contrast = options_.high_contrast;
  session_.large_text = options_.large_text;
  session_.help_code = make_help_code();
  session_.submission_id = make_submission_id();
  screen_ = Screen::Start;
  last_activity_ = now;
  ++wipes_;
  scrub_stack();
}

void Flow::go(Screen next, bool remember) {
  // Each question is its own step back, even though the screen kind stays the same.
  if (remember && (next != screen_ || next == Screen::Question)) history_.push_back({screen_, current_link_});
  if (next != screen_) services_.speaker->stop();
  if (next == Screen::Overview) changing_ = false;
  screen_ = next;
  page_ = 0;
  error_key_.clear();
}

void Flow::note_activity(Clock::time_point now) {
  last_activity_ = now;
  countdown_.reset();
}

void Flow::tick(Clock::time_point now) {
  // Polled also when nothing is printing: the result of a print the last person left behind
  // is dropped, never shown to the next. The form's print and a receipt each take their own.
  while (auto r = services_.printer->poll()) {
    if (print_busy_ && r->ticket == print_ticket_) {
      print_busy_ = false;
      log("print: " + r->detail);
      print_result_ = std::move(*r);
    } else if (receipt_busy_ && r->ticket == receipt_ticket_) {
      receipt_busy_ = false;
      log("receipt print: " + r->detail);
      receipt_result_ = std::move(*r);
    } else {
      log("print: the result of an earlier print was dropped (" + r->detail + ")");
    }
  }
  if (auto step = desk_.collect_sign_in()) {
    error_key_ = step->error_key;
    if (step->signed_in) go(Screen::StaffMenu);
  }
  // Staff queue answers (one that arrives after a wipe is dropped); a held sheet opened.
  if (auto opened = desk_.collect_answer()) load_held(*opened);
  // Polled also when no scan is running: a result that comes after a wipe (the person left
  // while the sheet was read) is taken out and dropped here, never shown to the next person.
  while (auto r = services_.scanner->poll()) {
    if (!scan_busy_ || r->ticket != scan_ticket_) {
      log("scan: a result from before the session was wiped is discarded");
      for (auto& field : r->fields) wipe_string(field.value);
      std::error_code ec;  // the scanner deletes them too; whichever comes first
      for (const auto& page : r->pages) std::filesystem::remove(page, ec);
      continue;
    }
    scan_busy_ = false;
    log("scan: " + r->detail);
    scan_result_ = std::move(*r);
    after_scan();
    break;
  }
  // The same for commits: a result that arrives after a wipe belongs to nobody here now (the
  // submission itself is committed all the same).
  while (auto r = services_.outbox->poll()) {
    if (!send_busy_ || r->ticket != send_ticket_) {
      log("outbox: the result of an earlier session's commit was dropped (" + r->detail + ")");
      continue;
    }
    send_busy_ = false;
    log("outbox: " + r->detail);
    send_result_ = std::move(*r);
    if (send_result_->outcome == Outcome::Done && send_result_->held) {
      if (desk_.unlocked()) {
        // Scanned at the desk: listed in the review queue, staff pick it from there.
        forget_sheet();
        desk_.show_held();
        go(Screen::StaffQueue, false);
      } else {
        session_.held_for_staff = true;
        session_.held_reference = send_result_->reference;
        go(Screen::Receipt, false);
      }
    } else if (send_result_->outcome == Outcome::Done) {
      session_.receipt_reference = send_result_->reference;
      PrintRequest req;
      req.kind = PrintKind::Receipt;
      req.form_id = session_.form_id;
      req.language = session_.language;
      req.submission_id = session_.submission_id;
      req.receipt_reference = send_result_->reference;
      req.ticket = receipt_ticket_ = ++next_ticket_;
      receipt_busy_ = true;
      services_.printer->start(std::move(req));
      go(Screen::Receipt, false);
    }
  }
  // Inactivity: only when someone has started (the start screen holds nothing personal).
  if (screen_ == Screen::Start && !desk_.unlocked()) {
    countdown_.reset();
    last_activity_ = now;
    return;
  }
  const auto idle = now - last_activity_;
  if (idle >= options_.inactivity_warning + options_.inactivity_countdown) {
    log("inactivity: session wiped on screen " + screen_name(screen_));
    wipe(now);
  } else if (idle >= options_.inactivity_warning) {
    const auto left = options_.inactivity_warning + options_.inactivity_countdown - idle;
    countdown_ = static_cast<int>(std::chrono::ceil<std::chrono::seconds>(left).count());
  } else {
    countdown_.reset();
  }
}

std::optional<Clock::time_point> Flow::next_deadline() const {
  if (screen_ == Screen::Start && !staff_unlocked()) return std::nullopt;
  const auto warning = last_activity_ + options_.inactivity_warning;
  if (!countdown_) return warning;
  // The countdown shows ceil(time left): it drops from c to c - 1 when c - 1 seconds are left.
  return warning + options_.inactivity_countdown - std::chrono::seconds(*countdown_ - 1);
}

void Flow::start_question(const std::string& link_id) {
  current_link_ = link_id;
  if (screen_ == Screen::Question && std::find(asked_.begin(), asked_.end(), link_id) == asked_.end())
    asked_.push_back(link_id);
  wipe_string(session_.typed);
  const auto* f = form();
  const auto* item = f ? f->find_item(link_id) : nullptr;
  if (!item) return;
  if (const auto* v = session_.answers.first(link_id)) {
    if (item->type == forms::ItemType::Date) {
      // stored as YYYY-MM-DD, typed as DDMMYYYY
      if (v->text.size() == 10) session_.typed = v->text.substr(8, 2) + v->text.substr(5, 2) + v->text.substr(0, 4);
    } else if (item->type == forms::ItemType::Integer) {
      session_.typed = std::to_string(v->integer);
    } else if (keyboard_for(*item) != Keyboard::None) {
      session_.typed = v->text;
    }
  }
}

void Flow::advance_question() {
  const auto qs = questions();
  auto it = std::find_if(qs.begin(), qs.end(), [&](const forms::Item* i) { return i->link_id == current_link_; });
  if (it != qs.end()) ++it;
  if (changing_) {
    // Changed from the overview: only a question the change brings (never asked yet), then back.
    it = std::find_if(it, qs.end(), [&](const forms::Item* i) {
      return std::find(asked_.begin(), asked_.end(), i->link_id) == asked_.end();
    });
  }
  if (it == qs.end()) {
    after_questions();
    return;
  }
  go(Screen::Question);
  start_question((*it)->link_id);
}

void Flow::answer_and_advance(forms::AnswerValue value) {
  session_.answers.clear(current_link_);
  session_.answers.set(current_link_, std::move(value));
  wipe_string(session_.typed);
  if (screen_ == Screen::Correct) {
    if (!session_.review_queue.empty()) session_.review_queue.erase(session_.review_queue.begin());
    go(Screen::Review, false);
    return;
  }
  advance_question();
}

void Flow::submit_typed() {
  const auto* f = form();
  const auto* item = f ? f->find_item(current_link_) : nullptr;
  if (!item) return;
  const std::string& typed = session_.typed;
  if (typed.empty()) {
    if (item->required) {
      error_key_ = "error.required";
      return;
    }
    session_.answers.clear(current_link_);
    if (screen_ == Screen::Correct) {
      if (!session_.review_queue.empty()) session_.review_queue.erase(session_.review_queue.begin());
      go(Screen::Review, false);
      return;
    }
    advance_question();
    return;
  }
  using K = forms::InputKind;
  if (item->type == forms::ItemType::Date) {
    if (typed.size() != 8 || !all_digits(typed)) {
      error_key_ = "error.invalid-date";
      return;
    }
    const std::string iso = typed.substr(4, 4) + "-" + typed.substr(2, 2) + "-" + typed.substr(0, 2);
    if (!forms::parse_iso_date(iso)) {
      error_key_ = "error.invalid-date";
      return;
    }
    answer_and_advance(forms::AnswerValue::of_date(iso));
    return;
  }
  if (item->type == forms::ItemType::Integer) {
    if (!all_digits(typed)) {
      error_key_ = "error.wrong-type";
      return;
    }
    answer_and_advance(forms::AnswerValue::of_integer(std::stoll(typed)));
    return;
  }
  if (item->input_kind == K::IdentityNumber) {
    const auto result = forms::validate_identity_number(typed);
    if (!result.valid) {
      error_key_ = forms::message_key(result.error);
      return;
    }
  } else if (item->input_kind == K::Phone && (typed.size() != 8 || !all_digits(typed))) {
    error_key_ = "error.invalid-phone";
    return;
  } else if (item->input_kind == K::Postcode && (typed.size() != 4 || !all_digits(typed))) {
    error_key_ = "error.invalid-postcode";
    return;
  }
  if (item->max_length > 0 && utf8_length(typed) > static_cast<size_t>(item->max_length)) {
    error_key_ = "error.too-long";
    return;
  }
  answer_and_advance(forms::AnswerValue::of_string(typed));
}

void Flow::after_questions() {
  const auto* f = form();
  if (!f) return;
  answer_who_items();
  const auto issues = forms::validate_answers(*f, session_.answers);
  if (!issues.empty()) {
    const auto qs = questions();
    for (const auto& issue : issues) {
      auto it = std::find_if(qs.begin(), qs.end(), [&](const forms::Item* i) { return i->link_id == issue.link_id; });
      if (it == qs.end()) continue;
      go(Screen::Question);
      start_question(issue.link_id);
      error_key_ = issue.message_key;
      return;
    }
    // An issue on a question the person is not asked (e.g. the represented person's
    // number): the representation screen explains it.
    check_representation_or_refuse();
    return;
  }
  if (!session_.representing) {
    if (const auto* id_item = forms::represented_id_item(*f))
      if (const auto* v = session_.answers.first(id_item->link_id)) session_.representation.represented_id = v->text;
  }
  check_representation_or_refuse();
  if (screen_ == Screen::Refused) return;
  go(Screen::Overview);  // a look back at every answer before the sheet is printed
}

bool Flow::take_typed_identity(std::string& into) {
  const auto r = forms::validate_identity_number(session_.typed);
  if (!r.valid) {
    error_key_ = forms::message_key(r.error);
    return false;
  }
  into = session_.typed;
  wipe_string(session_.typed);
  return true;
}

void Flow::check_representation_or_refuse() {
  const auto* f = form();
  if (!f) return;
  forms::RepresentationRequest request;
  request.type_code = session_.representation.type;
  request.represented.identity_number = session_.representation.represented_id;
  if (session_.representing) request.representative = forms::Party{session_.representation.representative_id, false};
  // Evidence is scanned after the form; the kiosk asks for it then, so it is not a refusal here.
  if (const auto* type = rules_.find(request.type_code)) request.evidence_provided = type->evidence;
  request.is_nearest_relative = true;  // declared by choosing that type (explained on screen)
  request.today = forms::today_local();
  if (request.represented.identity_number.empty() && !session_.representing) return;  // asked in the form
  const auto decision = forms::check_representation(rules_, *f, request);
  session_.representation.manual_processing = decision.manual_processing;
  if (!decision.allowed) {
    refusal_key_ =
        decision.refusals.empty() ? "representation.refusal.unknown-type" : decision.refusals.front().message_key;
    go(Screen::Refused);
  }
}

void Flow::start_print(bool blank) {
  const auto* f = form();
  if (!f) return;
  session_.blank_form = blank;
  // Each blank sheet gets its own id: two printed in one visit are two submissions when filled in.
  if (blank) session_.submission_id = make_submission_id();
  PrintRequest req;
  req.kind = blank ? PrintKind::BlankForm : PrintKind::FilledForm;
  req.form_id = f->id;
  req.language = session_.language;
  req.submission_id = session_.submission_id;
  if (!blank) {
    answer_who_items();  // printed pre-filled: the sheet says what the who-screens learned
    req.answers = session_.answers;
  }
  // What this sheet carries, kept to compare with its scan (a blank sheet carries nothing).
  session_.printed.wipe();
  if (!blank) session_.printed = session_.answers;
  req.large_print = options_.large_print || session_.large_text;
  print_result_.reset();
  print_busy_ = true;
  req.ticket = print_ticket_ = ++next_ticket_;
  services_.printer->start(std::move(req));
  go(Screen::Print);
}

void Flow::start_scan() {
  ScanRequest req;
  // The next page of a form filled at home belongs to the submission its first page named.
  const bool next_page = !missing_pages().empty();
  req.submission_id = session_.filled_at_home && !next_page ? "" : session_.submission_id;
  req.expected_form_id = session_.filled_at_home && !next_page ? "" : session_.form_id;
  req.evidence_code = scanning_evidence_;
  req.next_page = next_page;
  if (!session_.filled_at_home) req.printed = session_.printed;
  req.ticket = ++scan_ticket_;
  scan_result_.reset();
  scan_busy_ = true;
  services_.scanner->start(std::move(req));
  if (screen_ != Screen::Scan) go(Screen::Scan);
}

void Flow::after_scan() {
  if (!scan_result_ || scan_result_->outcome != Outcome::Done) return;  // the scan screen explains
  auto& r = *scan_result_;
  if (!scanning_evidence_.empty()) {
    session_.representation.evidence.push_back(scanning_evidence_);
    for (auto& p : r.pages) session_.evidence_pages.push_back(p);
    scanning_evidence_.clear();
  } else {
    // A multi-page form comes one sheet per scan and is put together here.
    add_scanned_sheet(session_, r);
    if (!missing_pages().empty()) {
      // "Put page 2 on the glass": the scan screen asks for the next page.
      log("scan: page(s) " + std::to_string(session_.pages_found.size()) + " of " +
          std::to_string(session_.page_count) + " read, asking for the next");
      scan_result_.reset();
      return;
    }
    session_.review_queue.clear();
    const auto* f = form();
    for (size_t i = 0; i < session_.read_fields.size(); ++i) {
      const auto& field = session_.read_fields[i];
      const auto* item = f ? f->find_item(field.link_id) : nullptr;
      if (!item) continue;
      // Printed by the kiosk and found unchanged on the sheet: nothing to ask.
      if (field.printed && !field.needs_review) continue;
      const auto* known = session_.answers.first(field.link_id);
      const bool differs = known && known->to_display_string() != field.value;
      if (session_.filled_at_home && !field.needs_review) {
        if (auto v = answer_from_text(*item, field.value)) session_.answers.set(field.link_id, *v);
      }
      if (field.needs_review || differs) session_.review_queue.push_back(i);
    }
    ask_required_missing();
    if (session_.filled_at_home && session_.representing) {
      check_representation_or_refuse();
      if (screen_ == Screen::Refused) return;
    }
  }
  scan_result_.reset();
  // Evidence the representation needs, one sheet at a time.
  if (const auto* type = rules_.find(session_.representation.type)) {
    for (const auto& code : type->evidence) {
      const auto& have = session_.representation.evidence;
      if (std::find(have.begin(), have.end(), code) == have.end()) {
        scanning_evidence_ = code;
        go(Screen::Scan, false);
        return;
      }
    }
  }
  // A sheet no key of this kiosk vouches for (another kiosk's, an altered code) goes to staff
  // review with that reason as its source: never refused (it is a citizen's signed sheet), never
  // sent as it is. A held sheet staff opened (held_reference) is theirs to decide.
  if (!session_.key_problem.empty() && session_.held_reference.empty()) {
    log("scan: " + session_.key_problem + ": held for staff review");
    start_hold(session_.key_problem);
    return;
  }
  if (session_.staff_review && session_.held_reference.empty()) {
    start_hold("desk");  // a sheet scanned at the desk joins the review queue
    return;
  }
  go(Screen::Review, false);
}

void Flow::ask_required_missing() {
  const auto* f = form();
  if (!f) return;
  for (const auto* item : questions()) {
    if (!item->required) continue;
    if (session_.answers.has(item->link_id)) continue;
    const auto queued = std::find_if(session_.review_queue.begin(), session_.review_queue.end(),
                                     [&](size_t i) { return session_.read_fields[i].link_id == item->link_id; });
    if (queued != session_.review_queue.end()) continue;
    ReadField missing;
    missing.link_id = item->link_id;
    missing.needs_review = true;
    missing.reason = "required-empty";
    // Asked once: a field already read for it (as empty) is replaced by this question.
    const auto read = std::find_if(session_.read_fields.begin(), session_.read_fields.end(),
                                   [&](const ReadField& r) { return r.link_id == item->link_id; });
    if (read != session_.read_fields.end()) {
      wipe_string(read->value);
      *read = std::move(missing);
      session_.review_queue.push_back(static_cast<size_t>(read - session_.read_fields.begin()));
    } else {
      session_.read_fields.push_back(std::move(missing));
      session_.review_queue.push_back(session_.read_fields.size() - 1);
    }
  }
}

std::vector<int> Flow::missing_pages() const {
  return flow::missing_pages(session_);
}

void Flow::forget_sheet() {
  const std::string language = session_.language, help_code = session_.help_code;
  const bool high_contrast = session_.high_contrast, large_text = session_.large_text;
  session_.wipe();
  session_.language = language;
  session_.help_code = help_code;
  session_.high_contrast = high_contrast;
  session_.large_text = large_text;
  session_.submission_id = make_submission_id();
  scan_result_.reset();
  print_result_.reset();
  scanning_evidence_.clear();
  for (auto& step : history_) wipe_string(step.link_id);
  history_.clear();
  history_.push_back({Screen::StaffMenu, ""});
}

void Flow::load_held(Submission& held) {
  forget_sheet();
  session_.form_id = held.form_id;
  if (!held.submission_id.empty()) session_.submission_id = held.submission_id;
  session_.answers = std::move(held.answers);
  held.answers.wipe();
  session_.representation = std::move(held.representation);
  session_.representing = !session_.representation.type.empty() && session_.representation.type != "self";
  if (session_.representation.type.empty()) session_.representation.type = "self";
  session_.read_fields = std::move(held.read_fields);
  session_.signature_found = held.signature_found;
  session_.held_reference = held.held_reference;
  session_.filled_at_home = true;
  session_.staff_review = true;
  session_.assisted_by = desk_.actor();
  session_.assisted_by_name = desk_.name();
  for (size_t i = 0; i < session_.read_fields.size(); ++i)
    if (session_.read_fields[i].needs_review) session_.review_queue.push_back(i);
  history_.push_back({Screen::StaffQueue, ""});
  go(Screen::Review, false);
}

Submission Flow::make_submission() const {
  const auto* f = form();
  Submission s;
  s.submission_id = session_.submission_id;
  s.form_id = session_.form_id;
  s.form_version = f ? f->version : "";
  s.language = session_.language;
  s.answers = session_.answers;
  // The QuestionnaireResponse says what the Provenance says: the who-screens' answers. (A sheet
  // scanned at the desk or opened from the review queue is staff's to decide: left as read.)
  if (f && !session_.staff_review) forms::answer_representation_items(*f, who_answers(), s.answers);
  s.representation = session_.representation;
  s.pages = session_.pages;
  s.evidence_pages = session_.evidence_pages;
  return s;
}

void Flow::start_send() {
  // A sheet filled in at home that says otherwise about who fills it in than the who-screens
  // did: the Provenance would contradict the signed sheet, so staff look at it before it is sent.
  if (const auto* f = form(); f && session_.filled_at_home && session_.held_reference.empty()) {
    auto differs = forms::representation_disagreements(*f, who_answers(), session_.answers);
    std::erase_if(differs, [&](const std::string& link) { return !session_.answers.has(link); });
    if (!differs.empty()) {
      log("send: the sheet's answers about who fills it in differ from the screens: held for staff review");
      start_hold("representation-differs");
      return;
    }
  }
  Submission s = make_submission();
  s.assisted_by = session_.assisted_by;
  s.assisted_by_name = session_.assisted_by_name;
  s.representation.assisted_by_staff = !session_.assisted_by.empty();
  s.actor = session_.assisted_by.empty() ? "kiosk" : session_.assisted_by;
  s.held_reference = session_.held_reference;
  s.ticket = send_ticket_ = ++next_ticket_;
  send_result_.reset();
  send_busy_ = true;
  services_.outbox->commit(std::move(s));
  go(Screen::Send, false);
}

void Flow::start_hold(const std::string& source) {
  Submission s = make_submission();
  s.read_fields = session_.read_fields;
  s.signature_found = session_.signature_found;
  s.hold_source = source;
  s.actor = session_.staff_review && !desk_.actor().empty() ? desk_.actor() : "kiosk";
  s.ticket = send_ticket_ = ++next_ticket_;
  send_result_.reset();
  send_busy_ = true;
  services_.outbox->commit(std::move(s));
  go(Screen::Send, false);
}

void Flow::apply(const Intent& in, Clock::time_point now) {
  note_activity(now);
  if (desk_.checking()) {
    // While the PIN is checked only leaving counts: Back or Start over discard the check.
    if (std::holds_alternative<intent::Back>(in) || std::holds_alternative<intent::StartOver>(in))
      desk_.discard_check();
    else if (!std::holds_alternative<intent::ReadAloud>(in) && !std::holds_alternative<intent::ToggleContrast>(in) &&
             !std::holds_alternative<intent::ToggleBigText>(in) && !std::holds_alternative<intent::StillHere>(in))
      return;
  }
  // Opens a chosen form; when its owner does not take this kind of help, says why at once
  // (the reason names the way forward) instead of after the questions.
  auto open_form = [&](const std::string& id) {
    session_.form_id = id;
    if (const auto* q = catalogue_.find(id)) {
      if (auto reason = q->representation_refusal(session_.representation.type)) {
        refusal_key_ = "representation.refusal." + *reason;
        go(Screen::Refused);
        return;
      }
    }
    go(Screen::FormIntro);
  };
  std::visit(
      Overloaded{
          [&](const intent::ChooseLanguage& i) {
            if (std::find(options_.languages.begin(), options_.languages.end(), i.lang) == options_.languages.end())
              return;
            session_.language = i.lang;
            go(Screen::Task);
          },
          [&](const intent::ChooseCategory& i) {
            session_.category = i.code;
            session_.filled_at_home = false;
            go(Screen::Who);
          },
          [&](const intent::SendFilledForm&) {
            session_.filled_at_home = true;
            go(Screen::Who);
          },
          [&](const intent::MoreChoices&) { ++page_; },
          [&](const intent::ChooseSelf&) {
            session_.representing = false;
            session_.representation = Representation{};
            session_.representation.type = "self";
            if (session_.filled_at_home) {
              go(Screen::Scan);
              return;
            }
            go(forms_for_choice().size() == 1 ? Screen::FormIntro : Screen::FormChoice);
            if (screen_ == Screen::FormIntro) session_.form_id = forms_for_choice().front()->id;
          },
          [&](const intent::ChooseSomeoneElse&) { go(Screen::WhoKind); },
          [&](const intent::ChooseRepresentation& i) {
            if (!rules_.find(i.type)) return;
            session_.representing = true;
            session_.representation = Representation{};
            session_.representation.type = i.type;
            if (session_.filled_at_home) {
              go(Screen::RepresentativeId);
              start_question("");
              return;
            }
            const auto choices = forms_for_choice();
            if (choices.size() == 1) {
              open_form(choices.front()->id);
            } else {
              go(Screen::FormChoice);
            }
          },
          [&](const intent::ChooseForm& i) {
            if (!catalogue_.find(i.id)) return;
            open_form(i.id);
          },
          [&](const intent::FillIn&) {
            answer_who_items();
            if (session_.representing) {
              go(Screen::RepresentativeId);
              wipe_string(session_.typed);
              return;
            }
            const auto qs = questions();
            if (qs.empty()) {
              after_questions();
              return;
            }
            go(Screen::Question);
            start_question(qs.front()->link_id);
          },
          [&](const intent::PrintForm& i) {
            if (!i.id.empty() && catalogue_.find(i.id)) session_.form_id = i.id;
            start_print(i.blank);
          },
          [&](const intent::Key& i) {
            size_t max = 11;
            const auto* f = form();
            const auto* item = f ? f->find_item(current_link_) : nullptr;
            if (screen_ == Screen::StaffPin)
              max = desk_.max_typed();
            else if (item && (screen_ == Screen::Question || screen_ == Screen::Correct))
              max = max_chars_for(*item);
            if (utf8_length(session_.typed) >= max) return;
            const bool name = item && item->input_kind == forms::InputKind::Name &&
                              (screen_ == Screen::Question || screen_ == Screen::Correct);
            session_.typed += name ? capitalise_key(session_.typed, i.text) : i.text;
            error_key_.clear();
          },
          [&](const intent::Erase&) {
            erase_last_letter(session_.typed);
            error_key_.clear();
          },
          [&](const intent::Next&) {
            switch (screen_) {
              case Screen::Question:
              case Screen::Correct:
                submit_typed();
                break;
              case Screen::RepresentativeId: {
                if (!take_typed_identity(session_.representation.representative_id)) return;
                if (changing_) {
                  after_questions();  // changed from the overview: checked again, then back there
                  return;
                }
                go(Screen::RepresentedId);
                if (!session_.representation.represented_id.empty())
                  session_.typed = session_.representation.represented_id;
                break;
              }
              case Screen::RepresentedId: {
                if (!take_typed_identity(session_.representation.represented_id)) return;
                answer_who_items();
                if (session_.filled_at_home) {
                  go(Screen::Scan);
                  return;
                }
                if (changing_) {
                  after_questions();
                  return;
                }
                check_representation_or_refuse();
                if (screen_ == Screen::Refused) return;
                const auto qs = questions();
                if (qs.empty()) {
                  after_questions();
                  return;
                }
                go(Screen::Question);
                start_question(qs.front()->link_id);
                break;
              }
              case Screen::Print:
                if (print_result_ && print_result_->outcome == Outcome::Done) {
                  scanning_evidence_.clear();
                  go(Screen::Scan);
                }
                break;
              case Screen::StaffPin:
                error_key_ = desk_.next(session_.typed, now);
                break;
              default:
                break;
            }
          },
          [&](const intent::Skip&) {
            const auto* f = form();
            const auto* item = f ? f->find_item(current_link_) : nullptr;
            if (!item || item->required) return;
            session_.answers.clear(current_link_);
            advance_question();
          },
          [&](const intent::AnswerYesNo& i) {
            const auto* f = form();
            const auto* item = f ? f->find_item(current_link_) : nullptr;
            if (!item || item->type != forms::ItemType::Boolean) return;
            if (screen_ == Screen::Question || screen_ == Screen::Correct)
              answer_and_advance(forms::AnswerValue::of_bool(i.yes));
          },
          [&](const intent::AnswerChoice& i) {
            const auto* f = form();
            const auto* item = f ? f->find_item(current_link_) : nullptr;
            if (!item || item->type != forms::ItemType::Choice) return;
            const bool known = std::any_of(item->options.begin(), item->options.end(),
                                           [&](const forms::AnswerOption& o) { return o.code == i.code; });
            if (known && (screen_ == Screen::Question || screen_ == Screen::Correct))
              answer_and_advance(forms::AnswerValue::of_coding(i.code));
          },
          [&](const intent::Change& i) {
            if (screen_ != Screen::Overview) return;
            if (session_.representing &&
                (i.link_id == intent::kChangeRepresentative || i.link_id == intent::kChangeRepresented)) {
              const bool own = i.link_id == intent::kChangeRepresentative;
              go(own ? Screen::RepresentativeId : Screen::RepresentedId);
              changing_ = true;
              session_.typed = own ? session_.representation.representative_id : session_.representation.represented_id;
              return;
            }
            const auto qs = questions();
            if (std::none_of(qs.begin(), qs.end(), [&](const forms::Item* q) { return q->link_id == i.link_id; }))
              return;
            go(Screen::Question);
            changing_ = true;
            start_question(i.link_id);
          },
          [&](const intent::StartScan&) {
            if (!scan_busy_) start_scan();
          },
          [&](const intent::ConfirmRead& i) {
            if (screen_ != Screen::Review || session_.review_queue.empty()) return;
            const auto& field = session_.read_fields[session_.review_queue.front()];
            if (session_.staff_review) {
              log(std::string("audit: staff ") + (i.correct ? "accepted" : "corrects") + " the value read for " +
                  field.link_id);
              desk_.audit(i.correct ? "review-accept" : "review-correct", session_.held_reference);
            }
            const auto* f = form();
            const auto* item = f ? f->find_item(field.link_id) : nullptr;
            auto value = item ? answer_from_text(*item, field.value) : std::nullopt;
            // "Yes, leave it" on nothing read: a required answer is typed instead, never left out.
            const bool must_type = i.correct && item && !value && item->required;
            if (i.correct && !must_type) {
              if (item) {
                if (value)
                  session_.answers.set(field.link_id, *value);
                else
                  session_.answers.clear(field.link_id);  // crossed out: the printed value no longer stands
              }
              session_.review_queue.erase(session_.review_queue.begin());
            } else {
              go(Screen::Correct);
              start_question(field.link_id);
              session_.typed = field.value;
            }
          },
          [&](const intent::SendIn&) {
            if (!send_busy_) start_send();
          },
          [&](const intent::LeaveForStaff&) {
            if (screen_ != Screen::Review || session_.staff_review || send_busy_ || session_.read_fields.empty())
              return;
            start_hold("kiosk");
          },
          [&](const intent::Finish&) {
            log("session finished on screen " + screen_name(screen_));
            wipe(now);
          },
          [&](const intent::Back&) {
            if (screen_ == Screen::StaffPin && desk_.back_to_number()) {
              // From the PIN back to the staff number.
              wipe_string(session_.typed);
              error_key_.clear();
              return;
            }
            if (screen_ == Screen::StaffMenu || screen_ == Screen::StaffPin) {
              if (desk_.unlocked()) log("audit: staff mode locked");
              wipe(now);
              return;
            }
            if (history_.empty()) return;
            const Step step = history_.back();
            history_.pop_back();
            services_.speaker->stop();
            screen_ = step.screen;
            if (step.screen == Screen::Overview) changing_ = false;
            page_ = 0;
            error_key_.clear();
            if (step.screen == Screen::Question || step.screen == Screen::Correct)
              start_question(step.link_id);
            else
              current_link_ = step.link_id;
            if (step.screen == Screen::RepresentativeId) session_.typed = session_.representation.representative_id;
            if (step.screen == Screen::RepresentedId) session_.typed = session_.representation.represented_id;
          },
          [&](const intent::StartOver&) {
            if (desk_.unlocked()) log("audit: staff mode locked");
            log("start over from screen " + screen_name(screen_));
            wipe(now);
          },
          [&](const intent::Help&) {
            if (screen_ == Screen::Help) return;
            log("help: code " + session_.help_code + " on screen " + screen_name(screen_));
            go(Screen::Help);
          },
          [&](const intent::ReadAloud&) {
            services_.speaker->speak(screen_model().text_for_reading(), session_.language);
          },
          [&](const intent::ToggleContrast&) { session_.high_contrast = !session_.high_contrast; },
          [&](const intent::ToggleBigText&) { session_.large_text = !session_.large_text; },
          [&](const intent::StillHere&) {},
          [&](const intent::OpenStaff&) {
            wipe_string(session_.typed);
            desk_.open();
            go(Screen::StaffPin);
          },
          [&](const intent::StaffAction& i) { apply_staff(i.what); },
      },
      in);
}

void Flow::apply_staff(const StaffIntent& what) {
  namespace st = intent::staff;
  if (std::holds_alternative<st::RejectField>(what)) {
    // Rejecting a value read at the desk happens in the (unlocked) review of that sheet.
    if (!session_.staff_review || screen_ != Screen::Review || session_.review_queue.empty()) return;
    const auto& field = session_.read_fields[session_.review_queue.front()];
    log("audit: staff rejected the value read for " + field.link_id);
    desk_.audit("review-reject", session_.held_reference);
    session_.answers.clear(field.link_id);
    session_.review_queue.erase(session_.review_queue.begin());
    return;
  }
  if (!desk_.unlocked()) return;
  log("audit: staff action " + describe(what));
  std::visit(Overloaded{
                 [&](const st::ShowQueue&) {
                   receipt_result_.reset();
                   desk_.show_queue();
                   go(Screen::StaffQueue);
                 },
                 [&](const st::Retry&) {
                   receipt_result_.reset();
                   desk_.request(StaffRequest::Kind::Retry);
                 },
                 [&](const st::Cancel&) {
                   receipt_result_.reset();
                   desk_.request(StaffRequest::Kind::Cancel);
                 },
                 [&](const st::NextEntry&) {
                   receipt_result_.reset();
                   desk_.next_entry();
                 },
                 [&](const st::ReprintReceipt&) {
                   const auto* entry = desk_.shown_entry();
                   if (!entry || receipt_busy_) return;
                   log("audit: staff reprints the receipt " + entry->reference);
                   desk_.audit("reprint-receipt", entry->reference);
                   PrintRequest req;
                   req.kind = PrintKind::Receipt;
                   req.form_id = entry->form_id;
                   req.language = session_.language;
                   req.submission_id = entry->reference;
                   req.receipt_reference = entry->reference;
                   req.ticket = receipt_ticket_ = ++next_ticket_;
                   receipt_result_.reset();
                   receipt_busy_ = true;
                   services_.printer->start(std::move(req));
                 },
                 [&](const st::Assist&) {
                   // Staff fill in a form for a citizen at the desk: the citizen flow, marked as
                   // assisted in the submission's Provenance. Staff mode itself is locked again.
                   desk_.lock();
                   session_.assisted_by = desk_.actor();
                   session_.assisted_by_name = desk_.name();
                   desk_.audit("assist-start");
                   history_.clear();
                   go(Screen::Task, false);
                 },
                 [&](const st::ShowHeld&) {
                   // The review queue: sheets held for staff (left by a citizen or scanned at the desk).
                   desk_.show_held();
                   go(Screen::StaffQueue);
                 },
                 [&](const st::PickHeld& i) { desk_.pick_held(i.reference); },
                 [&](const st::BackToHeldList&) { desk_.back_to_held_list(); },
                 [&](const st::MoreHeld&) { desk_.more_held(); },
                 // Each uncertain value is checked beside its crop (accept, correct or reject), then
                 // the sheet is sent as assisted (the held copy is deleted then).
                 [&](const st::OpenHeld&) { desk_.request(StaffRequest::Kind::OpenHeld); },
                 [&](const st::RejectHeld&) { desk_.request(StaffRequest::Kind::RejectHeld); },
                 [&](const st::ScanAtDesk&) {
                   // A sheet brought to the desk: scanned here and kept in the review queue.
                   forget_sheet();
                   session_.filled_at_home = true;
                   session_.staff_review = true;
                   session_.assisted_by = desk_.actor();
                   session_.assisted_by_name = desk_.name();
                   session_.representation = Representation{};
                   go(Screen::Scan);
                 },
                 [&](const st::RejectField&) {},  // above
                 [&](const st::ShowDevices&) {
                   desk_.show_info("devices");
                   go(Screen::StaffInfo);
                 },
             },
             what);
}

std::string Flow::dump_state() const {
  std::ostringstream out;
  const auto& s = session_;
  out << s.typed << '|' << s.category << '|' << s.form_id << '|' << s.representation.type << '|'
      << s.representation.representative_id << '|' << s.representation.represented_id << '|' << s.receipt_reference;
  for (const auto& e : s.representation.evidence) out << '|' << e;
  for (const auto& [link, values] : s.answers.values) {
    out << '|' << link;
    for (const auto& v : values) out << '=' << v.to_display_string();
  }
  for (const auto& f : s.read_fields) out << '|' << f.link_id << '=' << f.value;
  for (const auto& p : s.pages) out << '|' << p.string();
  for (const auto& p : s.evidence_pages) out << '|' << p.string();
  for (const auto& step : history_) out << '|' << step.link_id;
  out << '|' << current_link_ << '|' << scanning_evidence_;
  if (print_result_) out << '|' << print_result_->document.string();
  if (scan_result_)
    for (const auto& f : scan_result_->fields) out << '|' << f.value;
  if (send_result_) out << '|' << send_result_->reference;
  // The text on screen is state too.
  out << '|' << screen_model().text_for_reading();
  return out.str();
}

}  // namespace kiosk::flow
