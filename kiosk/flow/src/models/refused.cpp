#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel refused(ScreenModel m, const Words& w, const std::string& refusal_key) {
  m.title = w.t("ui.refused.title", m);
  m.body.push_back(w.t(refusal_key.empty() ? "representation.refusal.unknown-type" : refusal_key, m));
  m.body.push_back(w.t("ui.refused.body", m));
  m.choices.push_back({"choice.talk", w.t("ui.task.talk", m), "", intent::Help{}, false});
  return m;
}

}  // namespace kiosk::flow::models
