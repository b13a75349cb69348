#pragma once
// The first-run admin setup as the kiosk UI shows it: state (SetupView) and what the admin
// touched (SetupIntent), with no ImGui here. Everything that waits on CUPS, SANE, the disk or
// the PIN hash runs on a worker thread; the UI thread only calls apply() and tick().
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <future>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "admin/setup.hpp"
#include "config.hpp"

namespace kiosk::admin {

// The devices the setup talks to. The defaults are the real ones (CUPS, SANE through
// kiosk_scanners); each may block for seconds and is only ever called on the worker.
struct SetupDevices {
  std::function<std::vector<PrinterInfo>()> list_printers;
  std::function<std::vector<ScannerInfo>()> list_scanners;
  // Returns the CUPS job id.
  std::function<int(const std::string& queue, const std::string& site_name)> test_print;
  // Scans one page and returns its size in pixels (width, height).
  std::function<std::pair<int, int>(const std::string& device)> test_scan;

  static SetupDevices real();
};

// Scans one page with kiosk_scanners (empty device: the first scanner found). Throws SetupError.
std::pair<int, int> scan_test_page(const std::string& device);

enum class SetupStep { Welcome, Printer, Scanner, Broker, Certificates, Pin, Languages, Save, Done };
inline constexpr int kSetupStepCount = 9;
std::string to_string(SetupStep step);  // "welcome", "printer", ... (translation keys admin.setup.step.*)

// A line for the admin: a translation key with {placeholders}, plus technical detail in
// English (a path, a CUPS error) shown under it as it is.
struct SetupMessage {
  std::string key;
  std::map<std::string, std::string> args;
  std::string detail;
  bool is_error = false;
};

struct SetupView {
  SetupStep step = SetupStep::Welcome;
  std::string language = "nb";          // the admin screens' own language: nb or en
  std::vector<std::string> needs;       // why the setup is shown (first_run_needs)
  bool busy = false;                    // the worker is busy
  std::optional<SetupMessage> message;  // the outcome of the last action on this step
  std::vector<PrinterInfo> printers;    // what CUPS found
  std::vector<ScannerInfo> scanners;    // what SANE found
  std::optional<SetupMessage> printers_problem, scanners_problem;
  std::string printer, scanner;       // chosen (empty: the default printer / first scanner)
  std::string broker_url;             // typed
  std::string certificate_folder;     // typed
  bool shift = false;                 // the keyboard types capital letters
  std::vector<std::string> imported;  // file names imported so far
  // The Pin step adds the first staff member: their staff number, then their name, then their
  // PIN (the shared staff PIN is no longer set up here). Skipped when the store has members.
  enum class StaffField { Number, Name, Pin };
  StaffField staff_field = StaffField::Number;
  std::string staff_number;            // typed (shown: staff numbers are not secret)
  std::string staff_name;              // typed
  std::int64_t existing_members = 0;   // active members already in the store
  std::size_t pin_digits = 0;          // how many digits typed (the PIN itself is not shown)
  std::vector<std::string> languages;  // offered to citizens, in order
  std::string default_language;
  std::filesystem::path config_file;
  // A kiosk already in use: nothing of the setup shows until the one-time screen code from
  // `kioskctl setup --screen-code` is typed (start_gate.hpp).
  bool code_required = false;
  std::size_t code_digits = 0;  // how many digits typed (the code itself is not shown)
};

namespace setup_intent {
struct Next {};
struct Back {};
struct Refresh {};
struct ChoosePrinter {
  std::string name;
};
struct ChooseScanner {
  std::string device;
};
struct TestPrint {};
struct TestScan {};
struct Type {
  std::string text;  // one key of the on-screen keyboard
};
struct Erase {};
struct Shift {};
struct ImportCertificates {};
struct ToggleLanguage {
  std::string code;
};
struct SetDefaultLanguage {
  std::string code;
};
struct SwitchAdminLanguage {};
struct Save {};
struct Finish {};
}  // namespace setup_intent

using SetupIntent =
    std::variant<setup_intent::Next, setup_intent::Back, setup_intent::Refresh, setup_intent::ChoosePrinter,
                 setup_intent::ChooseScanner, setup_intent::TestPrint, setup_intent::TestScan, setup_intent::Type,
                 setup_intent::Erase, setup_intent::Shift, setup_intent::ImportCertificates,
                 setup_intent::ToggleLanguage, setup_intent::SetDefaultLanguage, setup_intent::SwitchAdminLanguage,
                 setup_intent::Save, setup_intent::Finish>;

class SetupSession {
 public:
  // Starts from the file when it loads (its other keys are kept), else from the defaults,
  // and starts listing printers and scanners.
  // `code_required`: the screen code must be typed first (StartMode::SetupWithCode).
  explicit SetupSession(std::filesystem::path config_file, SetupDevices devices = SetupDevices::real(),
                        bool code_required = false);
  ~SetupSession();
  SetupSession(const SetupSession&) = delete;
  SetupSession& operator=(const SetupSession&) = delete;

  void apply(const SetupIntent& intent);
  // Takes the worker's result when it is ready (never blocks).
  void tick();
  // Waits for the worker (tests and shutdown only, never in a frame).
  bool wait_idle(std::chrono::milliseconds timeout);

  const SetupView& view() const { return view_; }
  bool finished() const { return finished_; }

 private:
  using Result = std::function<void(SetupSession&)>;
  void start(std::function<Result()> job);
  void next();
  void type(const std::string& text);
  void erase();
  void save();
  bool apply_code(const SetupIntent& intent);

  SetupDevices devices_;
  Config config_;
  SetupView view_;
  std::string pin_;
  std::string code_;
  std::future<Result> worker_;
  bool finished_ = false;
};

}  // namespace kiosk::admin
