#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel start(ScreenModel m, const Words& w, const std::vector<std::string>& languages, size_t page) {
  m.title = w.t("ui.start.title", m);
  m.body.push_back(w.t("ui.start.body", m));
  m.staff = w.t("ui.staff.open", m);
  std::vector<Choice> all;
  for (const auto& l : languages) {
    // Each language is named in its own language, so a person finds theirs.
    Choice c{"choice.language." + l, w.translations().text(l, "language." + l), "", intent::ChooseLanguage{l}, false};
    if (!w.translations().has(l, "language." + l)) m.untranslated.push_back("language." + l);
    all.push_back(std::move(c));
  }
  page_choices(w, m, std::move(all), page);
  return m;
}

}  // namespace kiosk::flow::models
