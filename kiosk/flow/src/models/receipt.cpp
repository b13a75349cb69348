#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel receipt(ScreenModel m, const Words& w, const Session& session, const std::optional<OutboxResult>& sent,
                    bool printing, const std::optional<PrintResult>& printed) {
  if (session.held_for_staff) {
    m.title = w.t("ui.held.title", m);
    m.body.push_back(w.t(session.key_problem.empty() ? "ui.held.body" : "ui.held.body.key", m));
    m.body.push_back(w.t("ui.held.reference", m));
    m.body.push_back({session.held_reference, true});
    m.choices.push_back({"choice.finish", w.t("ui.finish", m), "", intent::Finish{}, true});
    return m;
  }
  const bool delivered = sent && sent->delivered;
  // The same sheet, scanned again: the outbox says so with this note (LibraryOutbox::run_commit).
  const bool sent_before = sent && sent->message_key == "ui.receipt.title.sent-before";
  m.title = w.t(sent_before ? "ui.receipt.title.sent-before"
                            : (delivered ? "ui.receipt.title.delivered" : "ui.receipt.title.queued"),
                m);
  m.body.push_back(w.t(sent_before ? "ui.receipt.sent-before" : "ui.receipt.reference", m));
  m.body.push_back({session.receipt_reference, true});
  if (!delivered && !sent_before) m.body.push_back(w.t("ui.receipt.queued", m));
  if (session.representation.manual_processing) m.body.push_back(w.t("ui.receipt.manual", m));
  m.body.push_back(w.t("ui.receipt.days", m));
  if (printing || !printed) {
    m.body.push_back(w.t("ui.receipt.printing", m));
    m.busy = true;
  } else if (printed->outcome == Outcome::Done) {
    m.body.push_back(w.t("ui.receipt.printed", m));
  } else {
    m.error = w.t("ui.receipt.not-printed", m);
  }
  m.choices.push_back({"choice.finish", w.t("ui.finish", m), "", intent::Finish{}, true});
  return m;
}

}  // namespace kiosk::flow::models
