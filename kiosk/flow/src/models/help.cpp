#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel help(ScreenModel m, const Words& w, const std::string& phone, const std::string& help_code) {
  m.title = w.t("ui.help.title", m);
  m.body.push_back(w.t("ui.help.phone", m));
  m.body.push_back({phone, true});
  m.body.push_back(w.t("ui.help.code", m));
  m.body.push_back({help_code, true});
  m.body.push_back(w.t("ui.help.body", m));
  return m;
}

}  // namespace kiosk::flow::models
