#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel send(ScreenModel m, const Words& w, const forms::Questionnaire* form, const std::string& site_address,
                 bool busy, const std::optional<OutboxResult>& result) {
  m.title = w.t("ui.send.title", m);
  m.picture = Picture::Sent;
  if (busy || !result) {
    m.body.push_back(w.t("ui.send.working", m));
    m.busy = true;
    return m;
  }
  m.error = w.t(result->message_key.empty() ? "ui.send.failed" : result->message_key, m);
  if (result->outcome == Outcome::Unavailable) post_to(w, m, form, site_address);
  if (result->outcome == Outcome::Failed)
    m.choices.push_back({"choice.send", w.t("ui.try-again", m), "", intent::SendIn{}, true});
  m.choices.push_back({"choice.talk", w.t("ui.task.talk", m), "", intent::Help{}, false});
  m.choices.push_back({"choice.finish", w.t("ui.finish", m), "", intent::Finish{}, false});
  return m;
}

}  // namespace kiosk::flow::models
