// The first-run setup's state machine. The UI thread applies intents and polls the worker;
// the worker (one job at a time) does everything that touches CUPS, SANE, files or the PIN
// hash, and hands back a closure that updates the view on the UI thread.
#include "admin/setup_session.hpp"

#include <algorithm>

#include <sodium.h>

#include "admin/checks.hpp"
#include "admin/config_file.hpp"
#include "admin/qr_keys.hpp"
#include "admin/start_gate.hpp"
#include "letters.hpp"
#include "scanners/error.hpp"
#include "scanners/sane_scanner.hpp"

namespace kiosk::admin {

std::pair<int, int> scan_test_page(const std::string& device) {
  try {
    scanners::SaneSession sane;
    auto scanner = sane.open(device);
    scanners::ScanSettings settings;
    settings.dpi = 75;  // enough to see that it scans, quick on every scanner
    settings.max_pages = 1;
    const auto pages = scanner->scan(settings);
    if (pages.empty()) throw SetupError("The scanner returned no page. Put a sheet on the glass and try again.");
    return {pages.front().grey.cols, pages.front().grey.rows};
  } catch (const scanners::ScanError& e) {
    throw SetupError(e.what());
  }
}

SetupDevices SetupDevices::real() {
  return {discover_printers, discover_scanners, print_test_page, scan_test_page};
}

std::string to_string(SetupStep step) {
  static const char* const names[] = {"welcome", "printer",   "scanner", "broker", "certificates",
                                      "pin",     "languages", "save",    "done"};
  return names[static_cast<int>(step)];
}

namespace {

SetupMessage error_message(const std::string& key, const std::string& detail) {
  return {key, {}, detail, true};
}

SetupStep step_after(SetupStep step) {
  return static_cast<SetupStep>(std::min(static_cast<int>(step) + 1, kSetupStepCount - 1));
}

SetupStep step_before(SetupStep step) {
  return static_cast<SetupStep>(std::max(static_cast<int>(step) - 1, 0));
}

}  // namespace

SetupSession::SetupSession(std::filesystem::path config_file, SetupDevices devices, bool code_required)
    : devices_(std::move(devices)) {
  view_.config_file = std::move(config_file);
  view_.code_required = code_required;
  view_.needs = first_run_needs(view_.config_file);
  // A broken file is not thrown away silently: the setup starts from the defaults and the
  // welcome step says why; writing replaces the file.
  if (auto read = load_config_file(view_.config_file); read.valid()) config_ = std::move(*read.config);
  view_.printer = config_.get_string("printer.queue");
  view_.scanner = config_.get_string("scanner.device");
  const std::string url = config_.get_string("broker.url");
  try {
    if (!parse_broker_url(url).host.ends_with(".invalid")) view_.broker_url = url;
  } catch (const SetupError&) {
  }
  view_.certificate_folder = "/media/usb";
  view_.languages = config_.get_list("ui.languages");
  view_.default_language = config_.get_string("ui.default_language");
  view_.language = view_.default_language == "en" ? "en" : "nb";
  try {
    view_.existing_members = count_active_staff_members(config_.get_path("store.path"));
  } catch (const SetupError&) {
    view_.existing_members = 0;  // cannot tell: the admin adds the first member, as on a new kiosk
  }
  apply(setup_intent::Refresh{});
}

SetupSession::~SetupSession() {
  if (worker_.valid()) worker_.wait();
  sodium_memzero(pin_.data(), pin_.capacity());
  sodium_memzero(code_.data(), code_.capacity());
}

void SetupSession::start(std::function<Result()> job) {
  if (view_.busy) return;  // one job at a time; the screen shows it is busy
  view_.busy = true;
  view_.message.reset();
  worker_ = std::async(std::launch::async, [job = std::move(job)]() -> Result {
    try {
      return job();
    } catch (const std::exception& e) {
      const std::string detail = e.what();
      return [detail](SetupSession& s) { s.view_.message = error_message("admin.setup.failed", detail); };
    }
  });
}

void SetupSession::tick() {
  if (!worker_.valid() || worker_.wait_for(std::chrono::seconds(0)) != std::future_status::ready) return;
  Result result = worker_.get();
  view_.busy = false;
  result(*this);
}

bool SetupSession::wait_idle(std::chrono::milliseconds timeout) {
  if (worker_.valid() && worker_.wait_for(timeout) != std::future_status::ready) return false;
  tick();
  return !view_.busy;
}

// While the screen code is required only the digit pad, Next and the language switch work:
// every other intent is dropped, so nothing of the setup can be reached without the code.
bool SetupSession::apply_code(const SetupIntent& intent) {
  namespace in = setup_intent;
  if (const auto* typed = std::get_if<in::Type>(&intent)) {
    const bool digit = typed->text.size() == 1 && typed->text[0] >= '0' && typed->text[0] <= '9';
    if (digit && code_.size() < static_cast<std::size_t>(kScreenCodeDigits)) code_ += typed->text;
  } else if (std::holds_alternative<in::Erase>(intent)) {
    erase_last_letter(code_);
  } else if (std::holds_alternative<in::SwitchAdminLanguage>(intent)) {
    view_.language = view_.language == "nb" ? "en" : "nb";
  } else if (std::holds_alternative<in::Next>(intent)) {
    const auto result = use_screen_code(view_.config_file, code_);
    sodium_memzero(code_.data(), code_.capacity());
    code_.clear();
    if (result == ScreenCodeResult::Accepted) {
      view_.code_required = false;
      view_.message.reset();
      apply(in::Refresh{});  // the device lists were not fetched while the code was asked for
    } else {
      view_.message =
          error_message(result == ScreenCodeResult::Wrong ? "admin.setup.code.wrong" : "admin.setup.code.none", "");
    }
  }
  view_.code_digits = code_.size();
  return true;
}

void SetupSession::apply(const SetupIntent& intent) {
  namespace in = setup_intent;
  if (view_.code_required && apply_code(intent)) return;
  std::visit(
      [this](const auto& i) {
        using T = std::decay_t<decltype(i)>;
        if constexpr (std::is_same_v<T, in::Next>) {
          next();
        } else if constexpr (std::is_same_v<T, in::Back>) {
          if (!view_.busy && view_.step != SetupStep::Done) {
            view_.message.reset();
            using F = SetupView::StaffField;
            if (view_.step == SetupStep::Pin && view_.staff_field != F::Number)
              view_.staff_field = view_.staff_field == F::Pin ? F::Name : F::Number;
            else
              view_.step = step_before(view_.step);
          }
        } else if constexpr (std::is_same_v<T, in::Refresh>) {
          start([devices = devices_]() -> Result {
            std::vector<PrinterInfo> printers;
            std::vector<ScannerInfo> scanners;
            std::optional<SetupMessage> printers_problem, scanners_problem;
            try {
              printers = devices.list_printers();
            } catch (const std::exception& e) {
              printers_problem = error_message("admin.setup.printer.unavailable", e.what());
            }
            try {
              scanners = devices.list_scanners();
            } catch (const std::exception& e) {
              scanners_problem = error_message("admin.setup.scanner.unavailable", e.what());
            }
            return [=](SetupSession& s) {
              s.view_.printers = printers;
              s.view_.scanners = scanners;
              s.view_.printers_problem = printers_problem;
              s.view_.scanners_problem = scanners_problem;
            };
          });
        } else if constexpr (std::is_same_v<T, in::ChoosePrinter>) {
          view_.printer = i.name;
          view_.message.reset();
        } else if constexpr (std::is_same_v<T, in::ChooseScanner>) {
          view_.scanner = i.device;
          view_.message.reset();
        } else if constexpr (std::is_same_v<T, in::TestPrint>) {
          start([devices = devices_, queue = view_.printer, site = config_.get_string("site.name")]() -> Result {
            const int job = devices.test_print(queue, site);
            return [job](SetupSession& s) {
              s.view_.message =
                  SetupMessage{"admin.setup.printer.test-sent", {{"job", std::to_string(job)}}, "", false};
            };
          });
        } else if constexpr (std::is_same_v<T, in::TestScan>) {
          start([devices = devices_, device = view_.scanner]() -> Result {
            const auto [width, height] = devices.test_scan(device);
            return [width, height](SetupSession& s) {
              s.view_.message = SetupMessage{"admin.setup.scanner.test-done",
                                             {{"width", std::to_string(width)}, {"height", std::to_string(height)}},
                                             "",
                                             false};
            };
          });
        } else if constexpr (std::is_same_v<T, in::Type>) {
          type(i.text);
        } else if constexpr (std::is_same_v<T, in::Erase>) {
          erase();
        } else if constexpr (std::is_same_v<T, in::Shift>) {
          view_.shift = !view_.shift;
        } else if constexpr (std::is_same_v<T, in::ImportCertificates>) {
          const auto cert_dir = config_.get_path("store.path").parent_path() / "certs";
          start([source = std::filesystem::path(view_.certificate_folder), cert_dir]() -> Result {
            auto files = import_certificates(source, cert_dir, kiosk_user_uid(), kiosk_user_gid());
            return [files](SetupSession& s) {
              s.view_.imported.clear();
              for (const auto& f : files) {
                s.view_.imported.push_back(f.destination.filename().string());
                if (!f.config_key.empty()) s.config_.set(f.config_key, f.destination.string());
              }
              s.view_.message = SetupMessage{
                  "admin.setup.certificates.imported", {{"count", std::to_string(files.size())}}, "", false};
            };
          });
        } else if constexpr (std::is_same_v<T, in::ToggleLanguage>) {
          auto& langs = view_.languages;
          if (auto it = std::find(langs.begin(), langs.end(), i.code); it != langs.end())
            langs.erase(it);
          else
            langs.push_back(i.code);
          view_.message.reset();
        } else if constexpr (std::is_same_v<T, in::SetDefaultLanguage>) {
          view_.default_language = i.code;
          if (std::find(view_.languages.begin(), view_.languages.end(), i.code) == view_.languages.end())
            view_.languages.push_back(i.code);
          view_.message.reset();
        } else if constexpr (std::is_same_v<T, in::SwitchAdminLanguage>) {
          view_.language = view_.language == "nb" ? "en" : "nb";
        } else if constexpr (std::is_same_v<T, in::Save>) {
          save();
        } else if constexpr (std::is_same_v<T, in::Finish>) {
          finished_ = view_.step == SetupStep::Done;
        }
      },
      intent);
}

void SetupSession::next() {
  if (view_.busy || view_.step == SetupStep::Save || view_.step == SetupStep::Done) return;
  view_.message.reset();
  switch (view_.step) {
    case SetupStep::Broker:
      try {
        parse_broker_url(view_.broker_url);
      } catch (const SetupError& e) {
        view_.message = error_message("admin.setup.broker.invalid", e.what());
        return;
      }
      break;
    case SetupStep::Pin: {
      if (view_.existing_members > 0) break;  // staff can already sign in: nothing to add here
      using F = SetupView::StaffField;
      switch (view_.staff_field) {
        case F::Number:
          if (view_.staff_number.empty() || view_.staff_number.size() > 8) {
            view_.message = error_message("admin.setup.staff.number-invalid", "");
            return;
          }
          view_.staff_field = F::Name;
          return;
        case F::Name:
          if (view_.staff_name.empty() || view_.staff_name.size() > 40 ||
              view_.staff_name.find_first_not_of(' ') == std::string::npos) {
            view_.message = error_message("admin.setup.staff.name-invalid", "");
            return;
          }
          view_.staff_field = F::Pin;
          return;
        case F::Pin:
          if (pin_.size() < 6 || pin_.size() > 12) {
            view_.message = error_message("admin.setup.pin.invalid", "");
            return;
          }
          break;
      }
      break;
    }
    case SetupStep::Languages:
      try {
        validate_languages(view_.languages, view_.default_language);
      } catch (const SetupError& e) {
        view_.message = error_message("admin.setup.languages.invalid", e.what());
        return;
      }
      break;
    default:
      break;
  }
  view_.step = step_after(view_.step);
}

void SetupSession::type(const std::string& text) {
  switch (view_.step) {
    case SetupStep::Broker:
      view_.broker_url += text;
      break;
    case SetupStep::Certificates:
      view_.certificate_folder += text;
      break;
    case SetupStep::Pin: {
      const bool digit = text.size() == 1 && text[0] >= '0' && text[0] <= '9';
      switch (view_.staff_field) {
        case SetupView::StaffField::Number:
          if (digit && view_.staff_number.size() < 8) view_.staff_number += text;
          break;
        case SetupView::StaffField::Name:
          if (view_.staff_name.size() + text.size() <= 40) view_.staff_name += text;
          break;
        case SetupView::StaffField::Pin:
          if (digit && pin_.size() < 12) pin_ += text;
          view_.pin_digits = pin_.size();
          break;
      }
      break;
    }
    default:
      break;
  }
}

void SetupSession::erase() {
  switch (view_.step) {
    case SetupStep::Broker:
      erase_last_letter(view_.broker_url);
      break;
    case SetupStep::Certificates:
      erase_last_letter(view_.certificate_folder);
      break;
    case SetupStep::Pin:
      switch (view_.staff_field) {
        case SetupView::StaffField::Number:
          erase_last_letter(view_.staff_number);
          break;
        case SetupView::StaffField::Name:
          erase_last_letter(view_.staff_name);
          break;
        case SetupView::StaffField::Pin:
          erase_last_letter(pin_);
          view_.pin_digits = pin_.size();
          break;
      }
      break;
    default:
      break;
  }
}

void SetupSession::save() {
  if (view_.step != SetupStep::Save) return;
  Config config = config_;
  config.set("printer.queue", view_.printer);
  config.set("scanner.device", view_.scanner);
  config.set("broker.url", view_.broker_url);
  config.set("ui.languages", view_.languages);
  config.set("ui.default_language", view_.default_language);
  start([config, number = view_.staff_number, name = view_.staff_name, pin = pin_,
         file = view_.config_file]() mutable -> Result {
    // The first staff member, in the store (made now if the kiosk has not run yet). Hashing
    // the PIN takes a noticeable fraction of a second on purpose: not in a frame.
    struct WipeOnExit {
      std::string& text;
      ~WipeOnExit() { sodium_memzero(text.data(), text.capacity()); }
    } wipe{pin};
    // Counted again here rather than trusted from when the screen opened: a store that cannot
    // be read stops the save (fail closed), and a member added by an earlier save whose config
    // write failed is not added twice.
    const auto members = count_active_staff_members(config.get_path("store.path"));
    if (members == 0) add_staff_member(config, number, name, pin);
    const auto members_now = members == 0 ? 1 : members;
    // The QR code key when there is none yet (never replaced), as kioskctl setup does.
    ensure_qr_key(config);
    write_config(file, config);
    // Written is not enough: the kiosk starts only when the file no longer needs the admin.
    const auto needs = first_run_needs(file);
    return [config, needs, members_now](SetupSession& s) {
      s.config_ = config;
      s.view_.existing_members = members_now;
      sodium_memzero(s.pin_.data(), s.pin_.capacity());  // stored as a hash now
      s.pin_.clear();
      s.view_.pin_digits = 0;
      if (!needs.empty()) {
        s.view_.message = error_message("admin.setup.failed", needs.front());
        return;
      }
      s.view_.needs.clear();
      s.view_.step = SetupStep::Done;
      s.view_.message = SetupMessage{"admin.setup.saved", {{"file", s.view_.config_file.string()}}, "", false};
    };
  });
}

}  // namespace kiosk::admin
