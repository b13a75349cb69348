#pragma once
// What the kiosk shows when it starts: the citizen screens, the first-run setup (only on a new
// kiosk, or after the admin has printed a one-time screen code over ssh), or an "out of
// order" screen. Whoever stands at the screen must never be able to set up a kiosk that is
// already in use: with the setup they could point it at their own broker and make themselves
// staff (issue 15).
#include <chrono>
#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

namespace kiosk::admin {

enum class StartMode {
  Ready,          // nothing needs the admin: the citizen screens
  Setup,          // a new kiosk (no store in use): the first-run setup
  SetupWithCode,  // a kiosk in use that needs the admin, and a screen code is pending
  OutOfOrder,     // a kiosk in use that needs the admin (or a broken configuration)
};

struct StartDecision {
  StartMode mode = StartMode::Ready;
  std::vector<std::string> reasons;  // what needs the admin (English, for the journal and the setup's welcome)
  std::string help_phone;            // for the out-of-order screen (site.help_phone, or the default)
};

StartDecision decide_start(const std::filesystem::path& config_file, std::time_t now = std::time(nullptr));

// ---- The one-time screen code (kioskctl setup --screen-code) ----
// Kept beside the configuration (the kiosk user may write that folder; it is known even when
// the file does not parse) as a salted BLAKE2b hash with its expiry and the wrong tries left.

inline constexpr int kScreenCodeDigits = 10;
inline constexpr int kScreenCodeTries = 5;
inline constexpr std::chrono::minutes kScreenCodeDefaultLifetime{30};
inline constexpr std::chrono::hours kScreenCodeMaxLifetime{24};

std::filesystem::path screen_code_file(const std::filesystem::path& config_file);

// Makes a new code (replacing any earlier one) and returns it. Throws SetupError when the file
// cannot be written, or the lifetime is not 1 minute to 24 hours.
std::string issue_screen_code(const std::filesystem::path& config_file, std::chrono::seconds lifetime,
                              std::time_t now = std::time(nullptr));

// A code is waiting: the file is there, whole, not expired and has tries left.
bool screen_code_pending(const std::filesystem::path& config_file, std::time_t now = std::time(nullptr));

enum class ScreenCodeResult { Accepted, Wrong, NoCode };
// Accepted removes the code (single use); Wrong counts a try (the code is removed after the
// last one); NoCode: none pending (never issued, expired, used up).
ScreenCodeResult use_screen_code(const std::filesystem::path& config_file, const std::string& code,
                                 std::time_t now = std::time(nullptr));

}  // namespace kiosk::admin
