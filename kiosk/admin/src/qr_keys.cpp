#include "admin/qr_keys.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "admin/setup.hpp"
#include "admin/start_gate.hpp"
#include "print/error.hpp"
#include "print/qr_key_files.hpp"

namespace kiosk::admin {

namespace {

std::string octal(mode_t mode) {
  char text[8];
  std::snprintf(text, sizeof text, "%04o", static_cast<unsigned>(mode & 07777));
  return text;
}

// The kiosk user when it exists: new key files made as root are given to it.
print::KeyFileOwner kiosk_key_owner() {
  return {kiosk_user_uid(), kiosk_user_gid()};
}

}  // namespace

bool ensure_qr_key(const Config& config) {
  const auto file = config.get_path("print.mac_key_file");
  try {
    return print::create_qr_key(file, kiosk_key_owner());
  } catch (const print::PrintError& e) {
    throw SetupUnavailable(std::string("Cannot make the QR code key: ") + e.what() + ".");
  }
}

CheckResult check_qr_key_ring(const Config& config, unsigned expected_owner_uid) {
  const auto current = config.get_path("print.mac_key_file");
  CheckResult r = check_key_file("qr-key", "QR code keys", current, expected_owner_uid);
  if (r.failed()) {
    if (r.message.find("is missing") != std::string::npos)
      r.fix =
          "Run: kioskctl setup (it makes a new key when there is none). If the key was lost, restore it from your "
          "backup first: sheets printed with a lost key are not trusted and go to staff review.";
    return r;
  }
  auto fail = [&](std::string message, std::string fix) {
    r.status = CheckStatus::Failed;
    r.message = std::move(message);
    r.fix = std::move(fix);
    return r;
  };
  const auto dir = print::qr_key_ring_dir(current);
  struct stat st {};
  int previous = 0, operator_keys = 0;
  if (::stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode)) return fail(dir.string() + " is not a folder.", "Move it away: kioskctl keys list");
    if ((st.st_mode & 077) != 0)
      return fail(dir.string() + " is open to other users (mode " + octal(st.st_mode) + ").",
                  "Run: chmod 700 " + dir.string());
    if (st.st_uid != expected_owner_uid)
      return fail(dir.string() + " is owned by uid " + std::to_string(st.st_uid) + ", not by the kiosk user (uid " +
                      std::to_string(expected_owner_uid) + ").",
                  "Run: chown -R kiosk: " + dir.string());
    for (const auto& key : print::list_qr_keys(current)) {
      if (key.role == print::QrKeyRole::Current) continue;
      if (!key.problem.empty())
        return fail(key.file.string() + " cannot be used: " + key.problem + ".",
                    "Remove it, then import the key again (kioskctl keys import-qr FILE) if it is still needed.");
      struct stat ks {};
      if (::stat(key.file.c_str(), &ks) != 0 || (ks.st_mode & 077) != 0)
        return fail(key.file.string() + " can be read by others (mode " + octal(ks.st_mode) + ").",
                    "Run: chmod 600 " + key.file.string());
      if (ks.st_uid != expected_owner_uid)
        return fail(key.file.string() + " is not owned by the kiosk user.", "Run: chown kiosk: " + key.file.string());
      (key.role == print::QrKeyRole::Previous ? previous : operator_keys) += 1;
    }
  }
  std::string id;
  try {
    id = print::MacKey::load_file(current).id();
  } catch (const print::PrintError& e) {
    return fail(std::string(e.what()) + ".", "Run: kioskctl keys list");
  }
  struct stat cs {};
  ::stat(current.c_str(), &cs);
  r.message = "The current key " + id + " (" + current.string() + ") is in place, mode " + octal(cs.st_mode) + "; " +
              std::to_string(previous) + " previous and " + std::to_string(operator_keys) +
              " operator key(s) are also accepted.";
  if (operator_keys == 0) r.message += " Sheets printed at other kiosks go to staff review (no operator key imported).";
  return r;
}

CheckResult check_print_to_folder(const Config& config) {
  CheckResult r = make_check("print-to-folder", "Printing");
  const std::string folder = config.get_string("ui.print_to_folder");
  if (folder.empty()) {
    r.message = "Forms and receipts go to the printer (ui.print_to_folder is not set).";
    return r;
  }
  const auto dir = config.get_path("ui.print_to_folder");
  std::size_t pdfs = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec))
    if (entry.path().extension() == ".pdf") ++pdfs;
  r.status = CheckStatus::Warning;
  r.message =
      "ui.print_to_folder is set: nothing is printed; forms and receipts, with the citizens' answers, are "
      "written as PDF to " +
      dir.string() + " and kept there" +
      (ec ? " (the folder cannot be read now)." : " (" + std::to_string(pdfs) + " PDF file(s) there now).") +
      " This is a setting for development and demonstrations.";
  r.fix =
      "Remove the line print_to_folder from the [ui] section of the configuration file, and delete the PDF "
      "files in " +
      dir.string() + ".";
  return r;
}

CheckResult check_screen_code(const std::filesystem::path& config_file) {
  CheckResult r = make_check("screen-code", "On-screen setup code");
  if (!screen_code_pending(config_file)) {
    r.message = "No one-time setup code is waiting.";
    return r;
  }
  r.status = CheckStatus::Warning;
  r.message = "A one-time setup code (kioskctl setup --screen-code) is waiting in " +
              screen_code_file(config_file).string() +
              ": until it is used or expires, whoever types it on the touch screen can open the setup.";
  r.fix = "If the setup on the screen is not needed now, remove " + screen_code_file(config_file).string() + ".";
  return r;
}

}  // namespace kiosk::admin
