#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "forms/answers.hpp"
#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_flow/async.hpp"
#include "kiosk_flow/progress.hpp"
#include "kiosk_flow/services.hpp"
#include "kiosk_flow/session.hpp"
#include "kiosk_flow/staff_desk.hpp"

namespace kiosk {
class Config;
}

namespace kiosk::flow {

using Clock = std::chrono::steady_clock;

// Every screen of the kiosk. The flow decides which one is shown; the UI draws it.
enum class Screen {
  Start,
  Task,
  Who,
  WhoKind,
  FormChoice,
  FormIntro,
  RepresentativeId,
  RepresentedId,
  Refused,
  Question,
  // Before printing: every answer in plain words, each with "Endre" (change it and come back).
  Overview,
  Print,
  Scan,
  Review,
  Correct,
  Send,
  Receipt,
  Help,
  StaffPin,
  StaffMenu,
  StaffInfo,
  StaffQueue,
};
std::string screen_name(Screen screen);

// What the person did. Screens only produce these; the flow applies them.
namespace intent {
struct ChooseLanguage {
  std::string lang;
};
struct ChooseCategory {
  std::string code;
};
struct SendFilledForm {};
struct MoreChoices {};
struct ChooseSelf {};
struct ChooseSomeoneElse {};
struct ChooseRepresentation {
  std::string type;
};
struct ChooseForm {
  std::string id;
};
struct FillIn {};
struct PrintForm {
  std::string id;
  bool blank = false;
};
struct Key {
  std::string text;
};
struct Erase {};
struct Next {};
struct Skip {};
struct AnswerYesNo {
  bool yes = false;
};
struct AnswerChoice {
  std::string code;
};
// "Endre" on the overview: the question (linkId) to change, then back to the overview. The
// who-screens' numbers are changed on their own screens (kChangeRepresentative/-Represented).
struct Change {
  std::string link_id;
};
inline constexpr const char* kChangeRepresentative = "who:representative-id";
inline constexpr const char* kChangeRepresented = "who:represented-id";
struct StartScan {};
struct ConfirmRead {
  bool correct = false;
};
struct SendIn {};
// The person cannot settle what was read: the sheet is kept for staff review.
struct LeaveForStaff {};
struct Finish {};
struct Back {};
struct StartOver {};
struct Help {};
struct ReadAloud {};
struct ToggleContrast {};
struct ToggleBigText {};
struct StillHere {};
struct OpenStaff {};
// Staff mode's intents (kiosk_flow/staff_desk.hpp).
struct StaffAction {
  StaffIntent what;
};
}  // namespace intent

using Intent =
    std::variant<intent::ChooseLanguage, intent::ChooseCategory, intent::SendFilledForm, intent::MoreChoices,
                 intent::ChooseSelf, intent::ChooseSomeoneElse, intent::ChooseRepresentation, intent::ChooseForm,
                 intent::FillIn, intent::PrintForm, intent::Key, intent::Erase, intent::Next, intent::Skip,
                 intent::AnswerYesNo, intent::AnswerChoice, intent::Change, intent::StartScan, intent::ConfirmRead,
                 intent::SendIn, intent::LeaveForStaff, intent::Finish, intent::Back, intent::StartOver, intent::Help,
                 intent::ReadAloud, intent::ToggleContrast, intent::ToggleBigText, intent::StillHere, intent::OpenStaff,
                 intent::StaffAction>;

// A short name for logs and the demo summary (no personal data: typed keys are not shown).
std::string describe(const Intent& intent);

enum class Keyboard { None, Digits, Letters };
enum class Picture { None, Printer, SignHere, PlaceSheet, Sent };

struct Choice {
  std::string id;       // stable widget id for tests ("choice.category.say-no")
  std::string label;    // translated
  std::string explain;  // one translated sentence under the button, may be empty
  Intent intent;
  bool primary = false;
  std::string value = {};  // a row's fact shown beside it (an answer on the overview), may be empty
};

// One line of text. A fact (an address, a phone number, a reference, a value read from
// the sheet) is shown as it is and is not measured for readability.
struct TextLine {
  std::string text;
  bool fact = false;
  TextLine(std::string t, bool is_fact = false) : text(std::move(t)), fact(is_fact) {}  // NOLINT: implicit on purpose
};

struct InputField {
  Keyboard keyboard = Keyboard::Letters;
  std::string shown;  // the typed value, formatted for reading (dates with dots, ...)
  std::string hint;   // translated: what to type
  size_t max_chars = 0;
};

// Everything a screen shows, with every text already translated. Built by the flow,
// read by the UI, walked by the accessibility checks.
struct ScreenModel {
  Screen screen = Screen::Start;
  std::string name;
  bool citizen_facing = true;  // staff screens are not held to the plain-language rule
  std::string title;
  std::vector<TextLine> body;
  std::string error;            // shown next to the field
  std::vector<Choice> choices;  // the main choices: at most four
  // A staff list (the sheets held for review): one row per item, touched to pick it. Rows
  // are buttons, but not main choices.
  std::vector<Choice> rows;
  std::optional<InputField> input;
  Picture picture = Picture::None;
  bool busy = false;  // a worker is busy: show the progress animation
  // Staff review: the field's area on the sheet, drawn beside the value read from it.
  struct Crop {
    int width = 0, height = 0;
    std::vector<unsigned char> grey;
  };
  std::optional<Crop> crop;
  // The always-present buttons.
  std::string back, read_aloud, help, start_over, contrast, bigger_text;
  std::string staff;  // start screen only: the small staff button
  std::string key_erase, key_space;
  // The inactivity warning, drawn over the screen when set.
  std::optional<int> countdown_seconds;
  std::string warning_title, warning_body, still_here;
  // Keys that had no text in the chosen language (the accessibility report lists them).
  std::vector<std::string> untranslated;
  std::string language;
  bool high_contrast = false;
  bool large_text = false;

  // The screen's text as it is read aloud.
  std::string text_for_reading() const;

  // A model holds what the person typed and what was read from their sheet: its strings
  // are overwritten when it goes (it is made many times a frame, on the stack and the heap).
  ScreenModel() = default;
  ScreenModel(const ScreenModel&) = default;
  ScreenModel(ScreenModel&&) = default;
  ScreenModel& operator=(const ScreenModel&) = default;
  ScreenModel& operator=(ScreenModel&&) = default;
  ~ScreenModel();
};

struct FlowOptions {
  std::vector<std::string> languages = {"nb", "nn", "se", "en"};
  std::string default_language = "nb";
  bool high_contrast = false;
  bool large_text = false;
  std::chrono::seconds inactivity_warning{90};
  std::chrono::seconds inactivity_countdown{30};
  std::string help_phone = "23 32 70 00";
  std::string postal_address;
  std::string staff_pin_hash;
  int staff_lockout_failures = 5;
  std::chrono::seconds staff_lockout{300};
  int staff_kiosk_lockout_failures = 10;  // wrong member PINs, any staff numbers, within staff_lockout
  bool large_print = false;

  static FlowOptions from_config(const Config& config);
};

struct Services {
  std::shared_ptr<PrintService> printer = std::make_shared<UnavailablePrinter>();
  std::shared_ptr<ScanService> scanner = std::make_shared<UnavailableScanner>();
  std::shared_ptr<OutboxService> outbox = std::make_shared<UnavailableOutbox>();
  std::shared_ptr<Speaker> speaker = std::make_shared<SilentSpeaker>();
  // Log lines without personal data (help codes, staff actions, service outcomes).
  std::function<void(const std::string&)> log;
  // The staff members who sign in with their own number and PIN (none: the shared PIN).
  std::shared_ptr<StaffDirectory> staff = std::make_shared<NoStaffMembers>();
};

// The citizen session state machine. UI-free: tests, the a11y report and the demo
// drive it with intents and read its screen model.
class Flow {
 public:
  Flow(const forms::Catalogue& catalogue, const forms::Translations& translations,
       const forms::RepresentationRules& rules, FlowOptions options, Services services, Clock::time_point now);

  void apply(const Intent& intent, Clock::time_point now);
  // Any touch, even one that hits no button, keeps the session alive.
  void note_activity(Clock::time_point now);
  // Once per frame: collects finished print/scan/outbox work and runs the inactivity timer.
  void tick(Clock::time_point now);
  // When the inactivity timer next changes what the screen shows (the warning appears, its
  // countdown drops a second, the session is wiped): a UI that sleeps until something
  // happens ticks and draws then. Empty when no timer runs (the start screen).
  std::optional<Clock::time_point> next_deadline() const;

  ScreenModel screen_model() const;
  Screen screen() const { return screen_; }
  const Session& session() const { return session_; }
  bool staff_unlocked() const { return desk_.unlocked(); }
  // A staff PIN is being checked on the sign-in worker (input is ignored meanwhile).
  bool staff_checking() const { return desk_.checking(); }
  bool warning_shown() const { return countdown_.has_value(); }
  int wipe_count() const { return wipes_; }
  const forms::Catalogue& catalogue() const { return catalogue_; }
  const FlowOptions& options() const { return options_; }
  // The representation types offered on "Who is it for?" (everything but "self").
  std::vector<std::string> representation_types() const;
  // For the wipe test: every text value the flow holds right now, joined.
  std::string dump_state() const;
  const std::string& current_link_id() const { return current_link_; }
  // Pages of the form being scanned that are still to come (empty when complete or unknown).
  std::vector<int> missing_pages() const;
  const std::string& staff_actor() const { return desk_.actor(); }
  // The questions asked for the chosen form, in order, given the answers so far.
  std::vector<const forms::Item*> questions() const;
  // "Steg n av N" on the question being asked and on the overview (none elsewhere).
  std::optional<Progress> progress() const;

 private:
  void go(Screen next, bool remember = true);
  void wipe(Clock::time_point now);
  void start_question(const std::string& link_id);
  void submit_typed();
  void answer_and_advance(forms::AnswerValue value);
  void advance_question();
  void after_questions();
  void start_print(bool blank);
  void start_scan();
  void after_scan();
  // A required question that has no answer after the scan (read as empty, crossed out) is asked
  // now, as one clear question: never left for the commit to refuse.
  void ask_required_missing();
  void next_review_or_send();
  // The session's form, answers, representation and pages, as the outbox takes them.
  Submission make_submission() const;
  void start_send();
  // Keeps the scanned sheet for staff review ("kiosk": the citizen left it; "desk": staff scanned it).
  void start_hold(const std::string& source);
  // The sheet opened from the review queue becomes the session's sheet, reviewed by staff.
  void load_held(Submission& held);
  // Forgets the sheet in hand (now held in the store) but keeps staff mode open.
  void forget_sheet();
  // A staff intent: the desk's lists and sign-in, and the screens they lead to.
  void apply_staff(const StaffIntent& what);
  void check_representation_or_refuse();
  // What the who-screens learned, as the form's representation items take it.
  forms::WhoAnswers who_answers() const;
  // Answers the form's representation items from the who-screens (never asked again).
  void answer_who_items();
  // Moves a valid typed identity number into `into` (the typed copy is wiped); otherwise
  // sets the plain-language error and returns false.
  bool take_typed_identity(std::string& into);
  const forms::Questionnaire* form() const;
  std::vector<const forms::Questionnaire*> forms_for_choice() const;
  std::vector<std::string> categories_offered() const;
  void log(const std::string& line) const;

  const forms::Catalogue& catalogue_;
  const forms::Translations& translations_;
  const forms::RepresentationRules& rules_;
  FlowOptions options_;
  Services services_;
  Session session_;

  Screen screen_ = Screen::Start;
  struct Step {
    Screen screen;
    std::string link_id;
  };
  std::vector<Step> history_;
  std::string current_link_;  // question on screen
  // "Endre" from the overview: after the changed answer (and any question it brings that was never
  // asked), back to the overview. `asked_` holds the questions already shown this session.
  bool changing_ = false;
  std::vector<std::string> asked_;
  size_t page_ = 0;        // page of choices on screens with more than four
  std::string error_key_;  // translated error next to the field
  std::string refusal_key_;
  bool print_busy_ = false, scan_busy_ = false, send_busy_ = false, receipt_busy_ = false;
  std::uint64_t scan_ticket_ = 0;  // the running scan's; a wipe moves it on (late results are dropped)
  // The same for prints and commits: each request gets the next number; a result is taken only
  // by the request that asked for it, never by the next person's after a wipe.
  std::uint64_t next_ticket_ = 0;
  std::uint64_t print_ticket_ = 0, receipt_ticket_ = 0, send_ticket_ = 0;
  std::optional<PrintResult> print_result_;
  std::optional<ScanResult> scan_result_;
  std::optional<OutboxResult> send_result_;
  std::optional<PrintResult> receipt_result_;
  std::string scanning_evidence_;  // attachment code being scanned, empty for the form
  Clock::time_point last_activity_;
  std::optional<int> countdown_;
  int wipes_ = 0;
  // Staff mode: sign-in, the queue and the held sheets. Last, so its sign-in worker stops
  // before the rest goes.
  StaffDesk desk_;
};

}  // namespace kiosk::flow
