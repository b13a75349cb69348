#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel form_intro(ScreenModel m, const Words& w, const forms::Questionnaire* form,
                       const forms::RepresentationType* type) {
  if (!form) return m;
  const auto& f = *form;
  m.title = w.form(f.title, "form:" + f.id + ":title", m);
  m.body.push_back(w.form(f.description, "form:" + f.id + ":description", m));
  if (f.proposed())
    m.body.push_back(w.tf("ui.form-intro.proposed", {{"owner", f.owner ? f.owner->name.get(w.lang()) : ""}}, m));
  if (type && !type->evidence.empty()) {
    std::string list;
    for (const auto& code : type->evidence) {
      if (!list.empty()) list += ", ";
      list += w.t("attachment." + code, m);
    }
    m.body.push_back(w.tf("ui.form-intro.evidence", {{"list", list}}, m));
  }
  if (type && !type->digital_route) m.body.push_back(w.t("ui.form-intro.manual", m));
  m.choices.push_back({"choice.fill-in", w.t("ui.form-intro.fill-in", m), w.t("ui.form-intro.fill-in.explain", m),
                       intent::FillIn{}, true});
  m.choices.push_back({"choice.print-blank", w.t("ui.form-intro.print-blank", m),
                       w.t("ui.form-intro.print-blank.explain", m), intent::PrintForm{f.id, true}, false});
  return m;
}

}  // namespace kiosk::flow::models
