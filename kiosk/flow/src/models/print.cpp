#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel print(ScreenModel m, const Words& w, const Session& session, const forms::Questionnaire* form,
                  const std::string& site_address, bool busy, const std::optional<PrintResult>& result) {
  m.picture = Picture::Printer;
  if (busy || !result) {
    m.title = w.t("ui.print.title", m);
    m.body.push_back(w.t("ui.print.working", m));
    m.busy = true;
  } else if (result->outcome == Outcome::Done && session.blank_form) {
    m.title = w.t("ui.print.blank-done.title", m);
    m.body.push_back(w.t("ui.print.blank-done", m));
    post_to(w, m, form, site_address);
    m.choices.push_back({"choice.finish", w.t("ui.finish", m), "", intent::Finish{}, true});
  } else if (result->outcome == Outcome::Done) {
    m.picture = Picture::SignHere;
    m.title = w.t("ui.print.sign.title", m);
    m.body.push_back(w.t("ui.print.sign", m));
    m.choices.push_back({"choice.next", w.t("ui.question.next", m), "", intent::Next{}, true});
  } else {
    m.title = w.t("ui.print.problem.title", m);
    m.error = w.t(result->message_key.empty() ? "ui.print.failed" : result->message_key, m);
    if (result->outcome == Outcome::Failed)
      m.choices.push_back(
          {"choice.retry", w.t("ui.try-again", m), "", intent::PrintForm{session.form_id, session.blank_form}, true});
    m.choices.push_back({"choice.talk", w.t("ui.task.talk", m), "", intent::Help{}, false});
  }
  return m;
}

}  // namespace kiosk::flow::models
