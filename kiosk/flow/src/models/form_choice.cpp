#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel form_choice(ScreenModel m, const Words& w, const std::vector<const forms::Questionnaire*>& forms,
                        size_t page) {
  m.title = w.t("ui.form-choice.title", m);
  if (forms.empty()) {
    m.body.push_back(w.t("ui.form-choice.none", m));
    m.choices.push_back({"choice.talk", w.t("ui.task.talk", m), "", intent::Help{}, false});
    return m;
  }
  m.body.push_back(w.t("ui.form-choice.body", m));
  std::vector<Choice> all;
  for (const auto* q : forms)
    all.push_back({"choice.form." + q->id, w.form(q->title, "form:" + q->id + ":title", m),
                   w.form(q->description, "form:" + q->id + ":description", m), intent::ChooseForm{q->id}, false});
  page_choices(w, m, std::move(all), page);
  return m;
}

}  // namespace kiosk::flow::models
