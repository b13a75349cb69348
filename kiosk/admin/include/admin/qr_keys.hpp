#pragma once
// The QR key ring as the admin handles it (kioskctl keys, kioskctl setup, kioskctl doctor).
// The files themselves are print/qr_key_files.hpp's; here they get the kiosk user as owner
// and the configuration's paths.
#include <filesystem>
#include <string>

#include "admin/checks.hpp"
#include "config.hpp"

namespace kiosk::admin {

// Setup's step: makes print.mac_key_file (32 random bytes, 0600, owner kiosk when it exists)
// when there is none; never replaces one. True when it was made. Throws SetupUnavailable when
// the file cannot be written.
bool ensure_qr_key(const Config& config);

// Doctor: the current key as check_key_file checks it, then the ring folder and each of its
// files (mode 0700 / 0600, owner, readable, name matching the key). Any problem fails: a key
// others can read lets them make sheets the kiosk trusts; a key that cannot be read sends
// every sheet printed with it to staff review.
CheckResult check_qr_key_ring(const Config& config, unsigned expected_owner_uid);

// Doctor: ui.print_to_folder set is a warning (a development setting: PDFs with personal data
// are kept there, nothing is printed).
CheckResult check_print_to_folder(const Config& config);

// Doctor: a pending one-time screen code (kioskctl setup --screen-code) is a warning: until it
// is used or expires, whoever types it at the screen can open the setup.
CheckResult check_screen_code(const std::filesystem::path& config_file);

}  // namespace kiosk::admin
