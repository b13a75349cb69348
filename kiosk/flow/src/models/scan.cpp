#include "kiosk_flow/pages.hpp"
#include "models/models.hpp"

namespace kiosk::flow::models {

ScreenModel scan(ScreenModel m, const Words& w, const Session& session, const std::string& evidence, bool busy,
                 const std::optional<ScanResult>& result) {
  m.picture = Picture::PlaceSheet;
  if (!evidence.empty()) {
    m.title = w.t("ui.scan.evidence.title", m);
    m.body.push_back(w.tf("ui.scan.evidence.what", {{"name", w.t("attachment." + evidence, m)}}, m));
  } else {
    m.title = w.t("ui.scan.title", m);
  }
  if (busy) {
    m.body.push_back(w.t("ui.scan.working", m));
    m.busy = true;
  } else if (result && result->outcome != Outcome::Done) {
    m.error = w.t(result->message_key.empty() ? "ui.scan.failed" : result->message_key, m);
    if (result->outcome == Outcome::Failed)
      m.choices.push_back({"choice.scan", w.t("ui.try-again", m), "", intent::StartScan{}, true});
    m.choices.push_back({"choice.talk", w.t("ui.task.talk", m), "", intent::Help{}, false});
  } else if (const auto missing = missing_pages(session); !missing.empty() && evidence.empty()) {
    // A form of several pages: one sheet per scan.
    m.title = w.tf("ui.scan.next-page", {{"n", std::to_string(missing.front())}}, m);
    m.body.push_back(
        w.tf("ui.scan.pages-read",
             {{"n", std::to_string(session.pages_found.size())}, {"count", std::to_string(session.page_count)}}, m));
    if (!session.pages_duplicate.empty()) {
      std::string pages;
      for (int page : session.pages_duplicate) pages += (pages.empty() ? "" : ", ") + std::to_string(page);
      m.body.push_back(w.tf("ui.scan.duplicate", {{"pages", pages}}, m));
    }
    m.choices.push_back({"choice.scan", w.t("ui.scan.start", m), "", intent::StartScan{}, true});
  } else {
    m.body.push_back(w.t("ui.scan.body", m));
    m.choices.push_back({"choice.scan", w.t("ui.scan.start", m), "", intent::StartScan{}, true});
  }
  return m;
}

}  // namespace kiosk::flow::models
