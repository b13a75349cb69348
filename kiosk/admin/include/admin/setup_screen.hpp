#pragma once
// The first-run admin setup screen. Declared here with the session it draws, defined in
// kiosk_ui (kiosk/ui/screens/admin_setup_screen.cpp): only targets that link kiosk_ui
// (the kiosk, the tests) include this header. kiosk_admin itself has no ImGui.
#include <string>
#include <vector>

#include "admin/setup_session.hpp"
#include "forms/translations.hpp"
#include "kiosk_ui/renderer.hpp"

namespace kiosk::ui {

// Draws one frame of the setup for `view` with ImGui (call between ImGui::NewFrame() and
// ImGui::Render()); what the admin touched is appended to `intents`. No I/O: everything it
// shows is in `view`, every text comes from the i18n catalogues (keys admin.setup.*).
FrameOutput draw_admin_setup(const Fonts& fonts, const admin::SetupView& view, const forms::Translations& translations,
                             std::vector<admin::SetupIntent>& intents);

// The screen a kiosk in use shows while it needs the admin (a broken configuration, no staff
// member left): "out of order" and the help phone number in bokmål, nynorsk and English, and
// nothing to touch (keys out-of-order.*).
FrameOutput draw_out_of_order(const Fonts& fonts, const std::string& help_phone,
                              const forms::Translations& translations);

}  // namespace kiosk::ui
