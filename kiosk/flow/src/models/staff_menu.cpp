#include <utility>

#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel staff_menu(ScreenModel m, const Words& w, const StaffDesk& desk) {
  m.citizen_facing = false;
  m.title = w.t("ui.staff.menu.title", m);
  if (!desk.name().empty())
    m.body.push_back(w.tf("ui.staff.signed-in-as", {{"name", desk.name()}, {"number", desk.actor()}}, m));
  m.body.push_back(w.t("ui.staff.menu.body", m));
  // The queue screen also reprints receipts.
  const std::pair<const char*, StaffIntent> menu[] = {{"review", intent::staff::ShowHeld{}},
                                                      {"queue", intent::staff::ShowQueue{}},
                                                      {"assist", intent::staff::Assist{}},
                                                      {"devices", intent::staff::ShowDevices{}}};
  for (const auto& [a, what] : menu)
    m.choices.push_back(
        {std::string("choice.staff.") + a, w.t(std::string("ui.staff.") + a, m), "", intent::StaffAction{what}, false});
  return m;
}

}  // namespace kiosk::flow::models
