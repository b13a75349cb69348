#include <algorithm>

#include "flow_helpers.hpp"
#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel question(ScreenModel m, const Words& w, const forms::Questionnaire* form, const std::string& link_id,
                     const std::optional<Progress>& progress, const std::string& typed, size_t page) {
  if (!form) return m;
  const auto& f = *form;
  const auto* item = f.find_item(link_id);
  if (!item) return m;
  if (m.screen == Screen::Question && progress) m.body.push_back(progress_line(w, *progress, m));
  if (m.screen == Screen::Correct) m.body.push_back(w.t("ui.correct.body", m));
  std::map<std::string, std::vector<std::string>> intros;
  std::vector<std::string> pending;
  detail::collect_intros(f.items, pending, w.lang(), intros);
  for (const auto& intro : intros[item->link_id]) m.body.push_back(intro);
  m.title = w.form(item->text, "form:" + f.id + ":" + item->link_id, m);
  const Keyboard kb = detail::keyboard_for(*item);
  if (kb != Keyboard::None) {
    InputField in;
    in.keyboard = kb;
    in.shown = detail::format_typed(item, typed);
    in.max_chars = detail::max_chars_for(*item);
    if (item->type == forms::ItemType::Date)
      in.hint = w.t("ui.question.date-hint", m);
    else if (item->input_kind == forms::InputKind::IdentityNumber)
      in.hint = w.t("ui.id.hint", m);
    m.input = in;
    m.choices.push_back({"choice.next", w.t("ui.question.next", m), "", intent::Next{}, true});
    if (!item->required) m.choices.push_back({"choice.skip", w.t("ui.question.skip", m), "", intent::Skip{}, false});
  } else if (item->type == forms::ItemType::Boolean) {
    m.choices.push_back({"choice.yes", w.t("ui.question.yes", m), "", intent::AnswerYesNo{true}, false});
    m.choices.push_back({"choice.no", w.t("ui.question.no", m), "", intent::AnswerYesNo{false}, false});
    if (!item->required) m.choices.push_back({"choice.skip", w.t("ui.question.skip", m), "", intent::Skip{}, false});
  } else if (item->type == forms::ItemType::Choice) {
    std::vector<Choice> all;
    for (const auto& o : item->options)
      all.push_back({"choice.option." + o.code,
                     w.form(o.display, "form:" + f.id + ":" + item->link_id + ":" + o.code, m), "",
                     intent::AnswerChoice{o.code}, false});
    if (!item->required) all.push_back({"choice.skip", w.t("ui.question.skip", m), "", intent::Skip{}, false});
    page_choices(w, m, std::move(all), page);
  }
  return m;
}

}  // namespace kiosk::flow::models
