#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel identity(ScreenModel m, const Words& w, const std::string& typed) {
  const bool own = m.screen == Screen::RepresentativeId;
  m.title = w.t(own ? "ui.id.representative.title" : "ui.id.represented.title", m);
  m.body.push_back(w.t("ui.id.body", m));
  InputField in;
  in.keyboard = Keyboard::Digits;
  in.shown = typed.size() > 6 ? typed.substr(0, 6) + " " + typed.substr(6) : typed;
  in.hint = w.t("ui.id.hint", m);
  in.max_chars = 11;
  m.input = in;
  m.choices.push_back({"choice.next", w.t("ui.question.next", m), "", intent::Next{}, true});
  return m;
}

}  // namespace kiosk::flow::models
