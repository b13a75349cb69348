#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel staff_info(ScreenModel m, const Words& w, const std::string& info, const Services& services) {
  m.citizen_facing = false;
  m.title = w.t("ui.staff." + info, m);
  if (info == "devices") {
    m.body.push_back(w.t(services.printer->available() ? "ui.staff.printer-ready" : "ui.staff.printer-missing", m));
    m.body.push_back(w.t(services.scanner->available() ? "ui.staff.scanner-ready" : "ui.staff.scanner-missing", m));
    m.body.push_back(w.t(services.outbox->available() ? "ui.staff.outbox-ready" : "ui.staff.outbox-missing", m));
  }
  return m;
}

}  // namespace kiosk::flow::models
