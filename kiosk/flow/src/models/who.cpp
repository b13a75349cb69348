#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel who(ScreenModel m, const Words& w) {
  m.title = w.t("ui.who.title", m);
  m.body.push_back(w.t("ui.who.body", m));
  m.choices.push_back({"choice.self", w.t("representation.type.self", m), w.t("representation.explain.self", m),
                       intent::ChooseSelf{}, false});
  m.choices.push_back({"choice.someone-else", w.t("ui.who.someone-else", m), w.t("ui.who.someone-else.explain", m),
                       intent::ChooseSomeoneElse{}, false});
  return m;
}

}  // namespace kiosk::flow::models
