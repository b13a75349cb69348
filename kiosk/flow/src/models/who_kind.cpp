#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel who_kind(ScreenModel m, const Words& w, const std::vector<std::string>& types, size_t page) {
  m.title = w.t("ui.who-kind.title", m);
  m.body.push_back(w.t("ui.who-kind.body", m));
  std::vector<Choice> all;
  for (const auto& code : types)
    all.push_back({"choice.representation." + code, w.t("representation.type." + code, m),
                   w.t("representation.explain." + code, m), intent::ChooseRepresentation{code}, false});
  page_choices(w, m, std::move(all), page);
  return m;
}

}  // namespace kiosk::flow::models
