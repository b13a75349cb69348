#include "flow_helpers.hpp"
#include "models/models.hpp"

namespace kiosk::flow::models {

namespace {

// An answer said the way the person would say it: Ja/Nei, the option's words, a date with dots,
// an identity number in two groups.
std::string plain_answer(const Words& w, const forms::Item& item, const forms::AnswerValue* v, ScreenModel& m) {
  if (!v) return w.t("ui.overview.no-answer", m);
  switch (item.type) {
    case forms::ItemType::Boolean:
      return w.t(v->boolean ? "ui.question.yes" : "ui.question.no", m);
    case forms::ItemType::Choice:
      for (const auto& o : item.options)
        if (o.code == v->text) return o.display.get(w.lang());
      return v->text;
    case forms::ItemType::Date:
      if (v->text.size() == 10) return v->text.substr(8, 2) + "." + v->text.substr(5, 2) + "." + v->text.substr(0, 4);
      return v->text;
    case forms::ItemType::Integer:
      return std::to_string(v->integer);
    default:
      return detail::format_typed(&item, v->text);
  }
}

// A long free text is shortened on the overview (it is whole on the sheet and behind "Endre"),
// so every row keeps its "Endre" on the screen.
std::string shortened(std::string text) {
  constexpr size_t kMaxChars = 60;
  size_t chars = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;
    if (++chars > kMaxChars) {
      std::string out = text.substr(0, i) + "…";
      wipe_string(text);  // an answer: not left in freed memory
      return out;
    }
  }
  return text;
}

std::string number(const std::string& id) {
  return id.size() > 6 ? id.substr(0, 6) + " " + id.substr(6) : id;
}

}  // namespace

std::string progress_line(const Words& w, const Progress& progress, ScreenModel& m) {
  return w.tf("ui.progress.step", {{"n", std::to_string(progress.step)}, {"count", std::to_string(progress.count)}}, m);
}

ScreenModel overview(ScreenModel m, const Words& w, const Session& session, const forms::Questionnaire* form,
                     const std::vector<const forms::Item*>& asked, const std::optional<Progress>& progress,
                     size_t page) {
  m.title = w.t("ui.overview.title", m);
  if (progress) m.body.push_back(progress_line(w, *progress, m));
  m.body.push_back(w.t("ui.overview.body", m));
  if (!form) return m;
  std::vector<Choice> all;
  const std::string change = w.t("ui.overview.change", m);
  if (session.representing) {
    // The numbers typed on the who-screens are answers too (printed on the sheet).
    all.push_back({"row.change.representative-id", change, w.t("ui.overview.representative-id", m),
                   intent::Change{intent::kChangeRepresentative}, false,
                   number(session.representation.representative_id)});
    all.push_back({"row.change.represented-id", change, w.t("ui.overview.represented-id", m),
                   intent::Change{intent::kChangeRepresented}, false, number(session.representation.represented_id)});
  }
  for (const auto* item : asked)
    all.push_back({"row.change." + item->link_id, change,
                   w.form(item->text, "form:" + form->id + ":" + item->link_id, m), intent::Change{item->link_id},
                   false, shortened(plain_answer(w, *item, session.answers.first(item->link_id), m))});
  // A few at a time, so each fits with its "Endre" within reach (fewer with bigger text).
  const size_t per_page = session.large_text ? 2 : 3;
  const size_t pages = std::max<size_t>(1, (all.size() + per_page - 1) / per_page);
  const size_t shown = page % pages;
  for (size_t i = shown * per_page; i < std::min(all.size(), (shown + 1) * per_page); ++i)
    m.rows.push_back(std::move(all[i]));
  m.choices.push_back({"choice.print", w.t("ui.overview.print", m), "", intent::PrintForm{form->id, false}, true});
  if (pages > 1)
    m.choices.push_back(
        {"choice.more",
         w.tf("ui.overview.more", {{"n", std::to_string(shown + 1)}, {"count", std::to_string(pages)}}, m), "",
         intent::MoreChoices{}, false});
  return m;
}

}  // namespace kiosk::flow::models
