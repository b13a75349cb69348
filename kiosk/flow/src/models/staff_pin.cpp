#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel staff_pin(ScreenModel m, const Words& w, const StaffDesk& desk, const std::string& typed) {
  m.citizen_facing = false;
  InputField in;
  in.keyboard = Keyboard::Digits;
  if (desk.asks_number()) {
    // Members sign in with their staff number first (not secret: shown as typed).
    m.title = w.t("ui.staff.number.title", m);
    in.hint = w.t("ui.staff.number.hint", m);
    in.shown = typed;
    in.max_chars = 8;
    m.input = in;
    m.choices.push_back({"choice.next", w.t("ui.staff.number.next", m), "", intent::Next{}, true});
    return m;
  }
  m.title = w.t("ui.staff.pin.title", m);
  if (desk.members()) m.body.push_back(w.tf("ui.staff.pin.for-number", {{"number", desk.number()}}, m));
  in.shown = std::string(typed.size(), '*');  // never show the PIN
  in.max_chars = 12;
  m.input = in;
  if (desk.checking()) {
    // The PIN is checked on a worker (~0.1 s): say so, and offer nothing to press meanwhile.
    m.body.push_back(w.t("ui.staff.checking", m));
    m.busy = true;
    return m;
  }
  m.choices.push_back({"choice.next", w.t("ui.staff.unlock", m), "", intent::Next{}, true});
  return m;
}

}  // namespace kiosk::flow::models
