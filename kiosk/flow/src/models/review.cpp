#include "models/models.hpp"

namespace kiosk::flow::models {

namespace {

// A value read from paper, said the way the person would say it.
std::string display_value(const Words& w, const forms::Item* item, const std::string& value, ScreenModel& m) {
  if (!item) return value;
  if (item->type == forms::ItemType::Boolean) {
    if (value == "true") return w.t("ui.question.yes", m);
    if (value == "false") return w.t("ui.question.no", m);
  }
  if (item->type == forms::ItemType::Choice)
    for (const auto& o : item->options)
      if (o.code == value) return o.display.get(w.lang());
  if (item->type == forms::ItemType::Date && value.size() == 10)
    return value.substr(8, 2) + "." + value.substr(5, 2) + "." + value.substr(0, 4);
  return value;
}

}  // namespace

ScreenModel review(ScreenModel m, const Words& w, const Session& session, const forms::Questionnaire* form) {
  m.title = w.t("ui.review.title", m);
  if (form && form->signature_required && !session.signature_found) {
    m.body.push_back(w.t("ui.review.no-signature", m));
    m.picture = Picture::SignHere;
    m.choices.push_back({"choice.scan", w.t("ui.scan.again", m), "", intent::StartScan{}, true});
    return m;
  }
  if (!session.review_queue.empty()) {
    const auto& field = session.read_fields[session.review_queue.front()];
    const auto* item = form ? form->find_item(field.link_id) : nullptr;
    if (item) m.body.push_back(w.form(item->text, "form:" + form->id + ":" + item->link_id, m));
    m.body.push_back(w.t("ui.review.read", m));
    m.body.push_back({display_value(w, item, field.value, m), true});
    if (session.staff_review) {
      // Staff see the area of the sheet beside what was read from it.
      m.citizen_facing = false;
      if (!field.crop_grey.empty()) m.crop = ScreenModel::Crop{field.crop_width, field.crop_height, field.crop_grey};
      m.choices.push_back({"choice.correct", w.t("ui.staff.review.accept", m), "", intent::ConfirmRead{true}, true});
      m.choices.push_back({"choice.wrong", w.t("ui.staff.review.correct", m), "", intent::ConfirmRead{false}, false});
      m.choices.push_back({"choice.staff.reject", w.t("ui.staff.review.reject", m), "",
                           intent::StaffAction{intent::staff::RejectField{}}, false});
      return m;
    }
    if (field.value.empty()) {
      // Nothing to confirm (struck through, or an answer that is needed read as empty): one clear
      // question, what should stand here.
      m.body.pop_back();
      m.body.pop_back();
      m.body.push_back(w.t(field.reason == "crossed-out" ? "ui.review.crossed-out" : "ui.review.empty", m));
      m.choices.push_back({"choice.wrong", w.t("ui.review.write", m), "", intent::ConfirmRead{false}, true});
      if (item && !item->required)
        m.choices.push_back({"choice.correct", w.t("ui.review.leave-empty", m), "", intent::ConfirmRead{true}, false});
    } else {
      if (field.reason == "changed-by-hand") m.body.insert(m.body.end() - 2, w.t("ui.review.changed", m));
      m.body.push_back(w.t("ui.review.is-it-right", m));
      m.choices.push_back({"choice.correct", w.t("ui.review.yes", m), "", intent::ConfirmRead{true}, false});
      m.choices.push_back({"choice.wrong", w.t("ui.review.no", m), "", intent::ConfirmRead{false}, false});
    }
    // Not sure what the sheet says: a staff member checks it and sends it.
    m.choices.push_back(
        {"choice.leave-for-staff", w.t("ui.review.leave-for-staff", m), "", intent::LeaveForStaff{}, false});
    return m;
  }
  m.body.push_back(w.t("ui.review.all-good", m));
  if (form) m.body.push_back(w.form(form->title, "form:" + form->id + ":title", m));
  m.choices.push_back({"choice.send", w.t("ui.review.send", m), "", intent::SendIn{}, true});
  return m;
}

}  // namespace kiosk::flow::models
