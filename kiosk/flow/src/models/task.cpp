#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel task(ScreenModel m, const Words& w, const std::vector<std::string>& categories, size_t page) {
  m.title = w.t("ui.task.title", m);
  m.body.push_back(w.t("ui.task.body", m));
  std::vector<Choice> all;
  for (const auto& code : categories)
    all.push_back({"choice.category." + code, w.t("category." + code, m), "", intent::ChooseCategory{code}, false});
  all.push_back({"choice.send-filled", w.t("ui.task.send-filled", m), "", intent::SendFilledForm{}, false});
  all.push_back({"choice.talk", w.t("ui.task.talk", m), "", intent::Help{}, false});
  page_choices(w, m, std::move(all), page);
  return m;
}

}  // namespace kiosk::flow::models
