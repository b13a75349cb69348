// Builds what each screen shows, with every text translated. Kept apart from the state
// machine in flow.cpp so the wording of a screen can be read in one place.
#include <time.h>

#include <algorithm>
#include <cstdio>

#include <sodium.h>

#include "flow_helpers.hpp"
#include "kiosk_flow/flow.hpp"

namespace kiosk::flow {

using namespace detail;

namespace {

std::string form_text(const forms::LocalizedText& text, const std::string& lang, const std::string& what,
                      ScreenModel& model) {
  const bool must_exist = std::find(forms::kRequiredLanguages.begin(), forms::kRequiredLanguages.end(), lang) !=
                          forms::kRequiredLanguages.end();
  if (must_exist && !text.has(lang)) model.untranslated.push_back(what);
  return text.get(lang);
}

// When a sheet was held, as staff read it on the kiosk's clock: "25.11. 13:04". The store
// writes UTC ("2026-11-25T12:04:09Z"); anything else is shown as it is.
std::string held_time(const std::string& iso_utc) {
  std::tm utc{};
  if (std::sscanf(iso_utc.c_str(), "%4d-%2d-%2dT%2d:%2d:%2dZ", &utc.tm_year, &utc.tm_mon, &utc.tm_mday, &utc.tm_hour,
                  &utc.tm_min, &utc.tm_sec) != 6)
    return iso_utc;
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  const time_t when = timegm(&utc);
  std::tm local{};
  if (when == static_cast<time_t>(-1) || !localtime_r(&when, &local)) return iso_utc;
  char text[48];
  std::snprintf(text, sizeof text, "%02d.%02d. %02d:%02d", local.tm_mday, local.tm_mon + 1, local.tm_hour,
                local.tm_min);
  return text;
}

}  // namespace

// A value read from paper, said the way the person would say it.
std::string Flow::display_value(const forms::Item* item, const std::string& value, ScreenModel* m) const {
  if (!item) return value;
  const std::string& lang = session_.language;
  if (item->type == forms::ItemType::Boolean) {
    if (value == "true") return t("ui.question.yes", m);
    if (value == "false") return t("ui.question.no", m);
  }
  if (item->type == forms::ItemType::Choice)
    for (const auto& o : item->options)
      if (o.code == value) return o.display.get(lang);
  if (item->type == forms::ItemType::Date && value.size() == 10)
    return value.substr(8, 2) + "." + value.substr(5, 2) + "." + value.substr(0, 4);
  return value;
}

ScreenModel Flow::screen_model() const {
  ScreenModel m;
  ScreenModel* mp = &m;
  const std::string& lang = session_.language;
  m.screen = screen_;
  m.name = screen_name(screen_);
  m.language = lang;
  m.high_contrast = session_.high_contrast;
  m.large_text = session_.large_text;
  m.back = t("ui.nav.back", mp);
  m.read_aloud = t("ui.nav.read-aloud", mp);
  m.help = t("ui.nav.help", mp);
  m.start_over = t("ui.nav.start-over", mp);
  m.contrast = t("ui.nav.contrast", mp);
  m.bigger_text = t("ui.nav.bigger-text", mp);
  m.key_erase = t("ui.key.erase", mp);
  m.key_space = t("ui.key.space", mp);
  if (!error_key_.empty()) m.error = t(error_key_, mp);
  const auto* f = form();
  // Where a printed form goes by post: the form's owner, who decides on it; else the site's address.
  auto post_to = [&] {
    if (f && f->owner && f->owner->postal_address.empty()) {
      // The owner's name and web page are data, shown as such (as an address is).
      m.body.push_back(t("ui.print.post-web", mp));
      m.body.push_back({f->owner->name.get(lang) + ": " + f->owner->web, true});
      return;
    }
    const std::string& address = f && f->owner ? f->owner->postal_address : options_.postal_address;
    if (!address.empty()) m.body.push_back(t("ui.print.post-to", mp)), m.body.push_back({address, true});
  };

  switch (screen_) {
    case Screen::Start: {
      m.title = t("ui.start.title", mp);
      m.body.push_back(t("ui.start.body", mp));
      m.staff = t("ui.staff.open", mp);
      std::vector<Choice> all;
      for (const auto& l : options_.languages) {
        // Each language is named in its own language, so a person finds theirs.
        Choice c{"choice.language." + l, translations_.text(l, "language." + l), "", intent::ChooseLanguage{l}, false};
        if (!translations_.has(l, "language." + l)) m.untranslated.push_back("language." + l);
        all.push_back(std::move(c));
      }
      page_choices(m, std::move(all));
      break;
    }
    case Screen::Task: {
      m.title = t("ui.task.title", mp);
      m.body.push_back(t("ui.task.body", mp));
      std::vector<Choice> all;
      for (const auto& code : categories_offered())
        all.push_back({"choice.category." + code, t("category." + code, mp), "", intent::ChooseCategory{code}, false});
      all.push_back({"choice.send-filled", t("ui.task.send-filled", mp), "", intent::SendFilledForm{}, false});
      all.push_back({"choice.talk", t("ui.task.talk", mp), "", intent::Help{}, false});
      page_choices(m, std::move(all));
      break;
    }
    case Screen::Who: {
      m.title = t("ui.who.title", mp);
      m.body.push_back(t("ui.who.body", mp));
      m.choices.push_back({"choice.self", t("representation.type.self", mp), t("representation.explain.self", mp),
                           intent::ChooseSelf{}, false});
      m.choices.push_back({"choice.someone-else", t("ui.who.someone-else", mp), t("ui.who.someone-else.explain", mp),
                           intent::ChooseSomeoneElse{}, false});
      break;
    }
    case Screen::WhoKind: {
      m.title = t("ui.who-kind.title", mp);
      m.body.push_back(t("ui.who-kind.body", mp));
      std::vector<Choice> all;
      for (const auto& code : representation_types())
        all.push_back({"choice.representation." + code, t("representation.type." + code, mp),
                       t("representation.explain." + code, mp), intent::ChooseRepresentation{code}, false});
      page_choices(m, std::move(all));
      break;
    }
    case Screen::FormChoice: {
      const auto list = forms_for_choice();
      m.title = t("ui.form-choice.title", mp);
      if (list.empty()) {
        m.body.push_back(t("ui.form-choice.none", mp));
        m.choices.push_back({"choice.talk", t("ui.task.talk", mp), "", intent::Help{}, false});
        break;
      }
      m.body.push_back(t("ui.form-choice.body", mp));
      std::vector<Choice> all;
      for (const auto* q : list)
        all.push_back({"choice.form." + q->id, form_text(q->title, lang, "form:" + q->id + ":title", m),
                       form_text(q->description, lang, "form:" + q->id + ":description", m), intent::ChooseForm{q->id},
                       false});
      page_choices(m, std::move(all));
      break;
    }
    case Screen::FormIntro: {
      if (!f) break;
      m.title = form_text(f->title, lang, "form:" + f->id + ":title", m);
      m.body.push_back(form_text(f->description, lang, "form:" + f->id + ":description", m));
      if (f->proposed())
        m.body.push_back(tf("ui.form-intro.proposed", {{"owner", f->owner ? f->owner->name.get(lang) : ""}}, mp));
      if (const auto* type = rules_.find(session_.representation.type); type && !type->evidence.empty()) {
        std::string list;
        for (const auto& code : type->evidence) {
          if (!list.empty()) list += ", ";
          list += t("attachment." + code, mp);
        }
        m.body.push_back(tf("ui.form-intro.evidence", {{"list", list}}, mp));
      }
      if (const auto* type = rules_.find(session_.representation.type); type && !type->digital_route)
        m.body.push_back(t("ui.form-intro.manual", mp));
      m.choices.push_back({"choice.fill-in", t("ui.form-intro.fill-in", mp), t("ui.form-intro.fill-in.explain", mp),
                           intent::FillIn{}, true});
      m.choices.push_back({"choice.print-blank", t("ui.form-intro.print-blank", mp),
                           t("ui.form-intro.print-blank.explain", mp), intent::PrintForm{f->id, true}, false});
      break;
    }
    case Screen::RepresentativeId:
    case Screen::RepresentedId: {
      const bool own = screen_ == Screen::RepresentativeId;
      m.title = t(own ? "ui.id.representative.title" : "ui.id.represented.title", mp);
      m.body.push_back(t("ui.id.body", mp));
      InputField in;
      in.keyboard = Keyboard::Digits;
      in.shown =
          session_.typed.size() > 6 ? session_.typed.substr(0, 6) + " " + session_.typed.substr(6) : session_.typed;
      in.hint = t("ui.id.hint", mp);
      in.max_chars = 11;
      m.input = in;
      m.choices.push_back({"choice.next", t("ui.question.next", mp), "", intent::Next{}, true});
      break;
    }
    case Screen::Refused: {
      m.title = t("ui.refused.title", mp);
      m.body.push_back(t(refusal_key_.empty() ? "representation.refusal.unknown-type" : refusal_key_, mp));
      m.body.push_back(t("ui.refused.body", mp));
      m.choices.push_back({"choice.talk", t("ui.task.talk", mp), "", intent::Help{}, false});
      break;
    }
    case Screen::Question:
    case Screen::Correct: {
      if (!f) break;
      const auto* item = f->find_item(current_link_);
      if (!item) break;
      const auto qs = questions();
      const auto pos = std::find(qs.begin(), qs.end(), item);
      if (screen_ == Screen::Question && pos != qs.end())
        m.body.push_back(tf("ui.question.step",
                            {{"n", std::to_string(pos - qs.begin() + 1)}, {"count", std::to_string(qs.size())}}, mp));
      if (screen_ == Screen::Correct) m.body.push_back(t("ui.correct.body", mp));
      std::map<std::string, std::vector<std::string>> intros;
      std::vector<std::string> pending;
      collect_intros(f->items, pending, lang, intros);
      for (const auto& intro : intros[item->link_id]) m.body.push_back(intro);
      m.title = form_text(item->text, lang, "form:" + f->id + ":" + item->link_id, m);
      const Keyboard kb = keyboard_for(*item);
      if (kb != Keyboard::None) {
        InputField in;
        in.keyboard = kb;
        in.shown = format_typed(item, session_.typed);
        in.max_chars = max_chars_for(*item);
        if (item->type == forms::ItemType::Date)
          in.hint = t("ui.question.date-hint", mp);
        else if (item->input_kind == forms::InputKind::IdentityNumber)
          in.hint = t("ui.id.hint", mp);
        m.input = in;
        m.choices.push_back({"choice.next", t("ui.question.next", mp), "", intent::Next{}, true});
        if (!item->required) m.choices.push_back({"choice.skip", t("ui.question.skip", mp), "", intent::Skip{}, false});
      } else if (item->type == forms::ItemType::Boolean) {
        m.choices.push_back({"choice.yes", t("ui.question.yes", mp), "", intent::AnswerYesNo{true}, false});
        m.choices.push_back({"choice.no", t("ui.question.no", mp), "", intent::AnswerYesNo{false}, false});
        if (!item->required) m.choices.push_back({"choice.skip", t("ui.question.skip", mp), "", intent::Skip{}, false});
      } else if (item->type == forms::ItemType::Choice) {
        std::vector<Choice> all;
        for (const auto& o : item->options)
          all.push_back({"choice.option." + o.code,
                         form_text(o.display, lang, "form:" + f->id + ":" + item->link_id + ":" + o.code, m), "",
                         intent::AnswerChoice{o.code}, false});
        if (!item->required) all.push_back({"choice.skip", t("ui.question.skip", mp), "", intent::Skip{}, false});
        page_choices(m, std::move(all));
      }
      break;
    }
    case Screen::Print: {
      m.picture = Picture::Printer;
      if (print_busy_ || !print_result_) {
        m.title = t("ui.print.title", mp);
        m.body.push_back(t("ui.print.working", mp));
        m.busy = true;
      } else if (print_result_->outcome == Outcome::Done && session_.blank_form) {
        m.title = t("ui.print.blank-done.title", mp);
        m.body.push_back(t("ui.print.blank-done", mp));
        post_to();
        m.choices.push_back({"choice.finish", t("ui.finish", mp), "", intent::Finish{}, true});
      } else if (print_result_->outcome == Outcome::Done) {
        m.picture = Picture::SignHere;
        m.title = t("ui.print.sign.title", mp);
        m.body.push_back(t("ui.print.sign", mp));
        m.choices.push_back({"choice.next", t("ui.question.next", mp), "", intent::Next{}, true});
      } else {
        m.title = t("ui.print.problem.title", mp);
        m.error = t(print_result_->message_key.empty() ? "ui.print.failed" : print_result_->message_key, mp);
        if (print_result_->outcome == Outcome::Failed)
          m.choices.push_back({"choice.retry", t("ui.try-again", mp), "",
                               intent::PrintForm{session_.form_id, session_.blank_form}, true});
        m.choices.push_back({"choice.talk", t("ui.task.talk", mp), "", intent::Help{}, false});
      }
      break;
    }
    case Screen::Scan: {
      m.picture = Picture::PlaceSheet;
      if (!scanning_evidence_.empty()) {
        m.title = t("ui.scan.evidence.title", mp);
        m.body.push_back(tf("ui.scan.evidence.what", {{"name", t("attachment." + scanning_evidence_, mp)}}, mp));
      } else {
        m.title = t("ui.scan.title", mp);
      }
      if (scan_busy_) {
        m.body.push_back(t("ui.scan.working", mp));
        m.busy = true;
      } else if (scan_result_ && scan_result_->outcome != Outcome::Done) {
        m.error = t(scan_result_->message_key.empty() ? "ui.scan.failed" : scan_result_->message_key, mp);
        if (scan_result_->outcome == Outcome::Failed)
          m.choices.push_back({"choice.scan", t("ui.try-again", mp), "", intent::StartScan{}, true});
        m.choices.push_back({"choice.talk", t("ui.task.talk", mp), "", intent::Help{}, false});
      } else if (const auto missing = missing_pages(); !missing.empty() && scanning_evidence_.empty()) {
        // A form of several pages: one sheet per scan.
        m.title = tf("ui.scan.next-page", {{"n", std::to_string(missing.front())}}, mp);
        m.body.push_back(tf(
            "ui.scan.pages-read",
            {{"n", std::to_string(session_.pages_found.size())}, {"count", std::to_string(session_.page_count)}}, mp));
        if (!session_.pages_duplicate.empty()) {
          std::string pages;
          for (int page : session_.pages_duplicate) pages += (pages.empty() ? "" : ", ") + std::to_string(page);
          m.body.push_back(tf("ui.scan.duplicate", {{"pages", pages}}, mp));
        }
        m.choices.push_back({"choice.scan", t("ui.scan.start", mp), "", intent::StartScan{}, true});
      } else {
        m.body.push_back(t("ui.scan.body", mp));
        m.choices.push_back({"choice.scan", t("ui.scan.start", mp), "", intent::StartScan{}, true});
      }
      break;
    }
    case Screen::Review: {
      m.title = t("ui.review.title", mp);
      if (f && f->signature_required && !session_.signature_found) {
        m.body.push_back(t("ui.review.no-signature", mp));
        m.picture = Picture::SignHere;
        m.choices.push_back({"choice.scan", t("ui.scan.again", mp), "", intent::StartScan{}, true});
        break;
      }
      if (!session_.review_queue.empty()) {
        const auto& field = session_.read_fields[session_.review_queue.front()];
        const auto* item = f ? f->find_item(field.link_id) : nullptr;
        if (item) m.body.push_back(form_text(item->text, lang, "form:" + f->id + ":" + item->link_id, m));
        m.body.push_back(t("ui.review.read", mp));
        m.body.push_back({display_value(item, field.value, mp), true});
        if (session_.staff_review) {
          // Staff see the area of the sheet beside what was read from it.
          m.citizen_facing = false;
          if (!field.crop_grey.empty())
            m.crop = ScreenModel::Crop{field.crop_width, field.crop_height, field.crop_grey};
          m.choices.push_back({"choice.correct", t("ui.staff.review.accept", mp), "", intent::ConfirmRead{true}, true});
          m.choices.push_back(
              {"choice.wrong", t("ui.staff.review.correct", mp), "", intent::ConfirmRead{false}, false});
          m.choices.push_back({"choice.staff.reject", t("ui.staff.review.reject", mp), "",
                               intent::StaffAction{intent::staff::RejectField{}}, false});
          break;
        }
        m.body.push_back(t("ui.review.is-it-right", mp));
        m.choices.push_back({"choice.correct", t("ui.review.yes", mp), "", intent::ConfirmRead{true}, false});
        m.choices.push_back({"choice.wrong", t("ui.review.no", mp), "", intent::ConfirmRead{false}, false});
        // Not sure what the sheet says: a staff member checks it and sends it.
        m.choices.push_back(
            {"choice.leave-for-staff", t("ui.review.leave-for-staff", mp), "", intent::LeaveForStaff{}, false});
        break;
      }
      m.body.push_back(t("ui.review.all-good", mp));
      if (f) m.body.push_back(form_text(f->title, lang, "form:" + f->id + ":title", m));
      m.choices.push_back({"choice.send", t("ui.review.send", mp), "", intent::SendIn{}, true});
      break;
    }
    case Screen::Send: {
      m.title = t("ui.send.title", mp);
      m.picture = Picture::Sent;
      if (send_busy_ || !send_result_) {
        m.body.push_back(t("ui.send.working", mp));
        m.busy = true;
      } else {
        m.error = t(send_result_->message_key.empty() ? "ui.send.failed" : send_result_->message_key, mp);
        if (send_result_->outcome == Outcome::Unavailable) post_to();
        if (send_result_->outcome == Outcome::Failed)
          m.choices.push_back({"choice.send", t("ui.try-again", mp), "", intent::SendIn{}, true});
        m.choices.push_back({"choice.talk", t("ui.task.talk", mp), "", intent::Help{}, false});
        m.choices.push_back({"choice.finish", t("ui.finish", mp), "", intent::Finish{}, false});
      }
      break;
    }
    case Screen::Receipt: {
      if (session_.held_for_staff) {
        m.title = t("ui.held.title", mp);
        m.body.push_back(t(session_.key_problem.empty() ? "ui.held.body" : "ui.held.body.key", mp));
        m.body.push_back(t("ui.held.reference", mp));
        m.body.push_back({session_.held_reference, true});
        m.choices.push_back({"choice.finish", t("ui.finish", mp), "", intent::Finish{}, true});
        break;
      }
      const bool delivered = send_result_ && send_result_->delivered;
      // The same sheet, scanned again: the outbox says so with this note (LibraryOutbox::run_commit).
      const bool sent_before = send_result_ && send_result_->message_key == "ui.receipt.title.sent-before";
      m.title = t(sent_before ? "ui.receipt.title.sent-before"
                              : (delivered ? "ui.receipt.title.delivered" : "ui.receipt.title.queued"),
                  mp);
      m.body.push_back(t(sent_before ? "ui.receipt.sent-before" : "ui.receipt.reference", mp));
      m.body.push_back({session_.receipt_reference, true});
      if (!delivered && !sent_before) m.body.push_back(t("ui.receipt.queued", mp));
      if (session_.representation.manual_processing) m.body.push_back(t("ui.receipt.manual", mp));
      m.body.push_back(t("ui.receipt.days", mp));
      if (receipt_busy_ || !receipt_result_) {
        m.body.push_back(t("ui.receipt.printing", mp));
        m.busy = true;
      } else if (receipt_result_->outcome == Outcome::Done) {
        m.body.push_back(t("ui.receipt.printed", mp));
      } else {
        m.error = t("ui.receipt.not-printed", mp);
      }
      m.choices.push_back({"choice.finish", t("ui.finish", mp), "", intent::Finish{}, true});
      break;
    }
    case Screen::Help: {
      m.title = t("ui.help.title", mp);
      m.body.push_back(t("ui.help.phone", mp));
      m.body.push_back({options_.help_phone, true});
      m.body.push_back(t("ui.help.code", mp));
      m.body.push_back({session_.help_code, true});
      m.body.push_back(t("ui.help.body", mp));
      break;
    }
    case Screen::StaffPin: {
      m.citizen_facing = false;
      InputField in;
      in.keyboard = Keyboard::Digits;
      if (desk_.asks_number()) {
        // Members sign in with their staff number first (not secret: shown as typed).
        m.title = t("ui.staff.number.title", mp);
        in.hint = t("ui.staff.number.hint", mp);
        in.shown = session_.typed;
        in.max_chars = 8;
        m.input = in;
        m.choices.push_back({"choice.next", t("ui.staff.number.next", mp), "", intent::Next{}, true});
        break;
      }
      m.title = t("ui.staff.pin.title", mp);
      if (desk_.members()) m.body.push_back(tf("ui.staff.pin.for-number", {{"number", desk_.number()}}, mp));
      in.shown = std::string(session_.typed.size(), '*');  // never show the PIN
      in.max_chars = 12;
      m.input = in;
      if (desk_.checking()) {
        // The PIN is checked on a worker (~0.1 s): say so, and offer nothing to press meanwhile.
        m.body.push_back(t("ui.staff.checking", mp));
        m.busy = true;
        break;
      }
      m.choices.push_back({"choice.next", t("ui.staff.unlock", mp), "", intent::Next{}, true});
      break;
    }
    case Screen::StaffMenu: {
      m.citizen_facing = false;
      m.title = t("ui.staff.menu.title", mp);
      if (!desk_.name().empty())
        m.body.push_back(tf("ui.staff.signed-in-as", {{"name", desk_.name()}, {"number", desk_.actor()}}, mp));
      m.body.push_back(t("ui.staff.menu.body", mp));
      // The queue screen also reprints receipts.
      const std::pair<const char*, StaffIntent> menu[] = {{"review", intent::staff::ShowHeld{}},
                                                          {"queue", intent::staff::ShowQueue{}},
                                                          {"assist", intent::staff::Assist{}},
                                                          {"devices", intent::staff::ShowDevices{}}};
      for (const auto& [a, what] : menu)
        m.choices.push_back({std::string("choice.staff.") + a, t(std::string("ui.staff.") + a, mp), "",
                             intent::StaffAction{what}, false});
      break;
    }
    case Screen::StaffInfo: {
      m.citizen_facing = false;
      m.title = t("ui.staff." + desk_.info(), mp);
      if (desk_.info() == "devices") {
        m.body.push_back(t(services_.printer->available() ? "ui.staff.printer-ready" : "ui.staff.printer-missing", mp));
        m.body.push_back(t(services_.scanner->available() ? "ui.staff.scanner-ready" : "ui.staff.scanner-missing", mp));
        m.body.push_back(t(services_.outbox->available() ? "ui.staff.outbox-ready" : "ui.staff.outbox-missing", mp));
      }
      break;
    }
    case Screen::StaffQueue: {
      m.citizen_facing = false;
      m.title = t(desk_.held_view() ? "ui.staff.review" : "ui.staff.queue", mp);
      if (desk_.busy() || !desk_.result()) {
        m.body.push_back(t("ui.staff.working", mp));
        m.busy = true;
        break;
      }
      const auto& answer = *desk_.result();
      if (answer.outcome != Outcome::Done) {
        m.error = t(answer.message_key.empty() ? "ui.staff.failed" : answer.message_key, mp);
        break;
      }
      if (desk_.held_view()) {
        // Sheets held for review: a list to pick from (form, when, values to check; no
        // personal data), a few at a time; the picked sheet is opened or rejected.
        const auto& held = answer.held;
        if (held.empty()) {
          m.body.push_back(t("ui.staff.review-empty", mp));
        } else if (!desk_.held_picked()) {
          const size_t first = desk_.held_first() < held.size() ? desk_.held_first() : 0;
          const size_t last = std::min(held.size(), first + kHeldRowsPerScreen);
          m.body.push_back(tf(
              "ui.staff.held.waiting",
              {{"n", std::to_string(held.size())}, {"from", std::to_string(first + 1)}, {"to", std::to_string(last)}},
              mp));
          for (size_t k = first; k < last; ++k) {
            const auto& h = held[k];
            const auto* q = catalogue_.find(h.form_id);
            const std::string title = q ? form_text(q->title, lang, "form:" + q->id + ":title", m) : h.form_id;
            m.rows.push_back(
                {"row.held." + std::to_string(k),
                 tf("ui.staff.held.row",
                    {{"title", title}, {"when", held_time(h.created_at)}, {"n", std::to_string(h.fields_to_check)}},
                    mp),
                 "", intent::StaffAction{intent::staff::PickHeld{h.reference}}, false});
          }
          if (held.size() > kHeldRowsPerScreen)
            m.choices.push_back({"choice.staff.more-held", t("ui.staff.held.more", mp), "",
                                 intent::StaffAction{intent::staff::MoreHeld{}}, false});
        } else {
          const auto& h = held[std::min(desk_.entry(), held.size() - 1)];
          m.body.push_back({h.reference + "   " + h.form_id + "   " + held_time(h.created_at), true});
          m.body.push_back(t("ui.staff.held.source." + h.source, mp));
          m.body.push_back(tf("ui.staff.held.to-check", {{"n", std::to_string(h.fields_to_check)}}, mp));
          m.choices.push_back({"choice.staff.open-held", t("ui.staff.held.open", mp), "",
                               intent::StaffAction{intent::staff::OpenHeld{}}, true});
          m.choices.push_back({"choice.staff.reject-held", t("ui.staff.held.reject", mp), "",
                               intent::StaffAction{intent::staff::RejectHeld{}}, false});
          m.choices.push_back({"choice.staff.held-list", t("ui.staff.held.list", mp), "",
                               intent::StaffAction{intent::staff::BackToHeldList{}}, false});
          break;
        }
        m.choices.push_back({"choice.staff.scan-desk", t("ui.staff.held.scan", mp), "",
                             intent::StaffAction{intent::staff::ScanAtDesk{}}, false});
        break;
      }
      if (answer.sending_stopped)
        m.body.push_back(answer.sending_last_run.empty()
                             ? t("ui.staff.sending-never", mp)
                             : tf("ui.staff.sending-stopped", {{"since", held_time(answer.sending_last_run)}}, mp));
      const auto& entries = answer.entries;
      if (entries.empty()) {
        m.body.push_back(t("ui.staff.queue-empty", mp));
        break;
      }
      const auto& e = entries[std::min(desk_.entry(), entries.size() - 1)];
      m.body.push_back({std::to_string(desk_.entry() + 1) + " / " + std::to_string(entries.size()) + "   " +
                            e.reference + "   " + e.form_id,
                        true});
      m.body.push_back(t("ui.staff.status." + e.status, mp));
      m.body.push_back(tf("ui.staff.attempts", {{"n", std::to_string(e.attempts)}}, mp));
      if (!e.last_error.empty()) m.body.push_back({e.last_error, true});
      if (receipt_busy_) {
        m.body.push_back(t("ui.staff.working", mp));
        m.busy = true;
      } else if (receipt_result_) {
        if (receipt_result_->outcome == Outcome::Done)
          m.body.push_back(t("ui.staff.reprinted", mp));
        else
          m.error = t(receipt_result_->message_key.empty() ? "ui.print.failed" : receipt_result_->message_key, mp);
      }
      if (e.status == "parked" || e.status == "rejected")
        m.choices.push_back(
            {"choice.staff.retry", t("ui.staff.retry", mp), "", intent::StaffAction{intent::staff::Retry{}}, true});
      if (e.status == "queued" || e.status == "parked" || e.status == "rejected")
        m.choices.push_back(
            {"choice.staff.cancel", t("ui.staff.cancel", mp), "", intent::StaffAction{intent::staff::Cancel{}}, false});
      m.choices.push_back({"choice.staff.reprint-receipt", t("ui.staff.reprint", mp), "",
                           intent::StaffAction{intent::staff::ReprintReceipt{}}, false});
      if (entries.size() > 1)
        m.choices.push_back({"choice.staff.next-entry", t("ui.staff.next", mp), "",
                             intent::StaffAction{intent::staff::NextEntry{}}, false});
      break;
    }
  }
  if (countdown_) {
    m.countdown_seconds = *countdown_;
    m.warning_title = t("ui.inactivity.title", mp);
    m.warning_body = tf("ui.inactivity.body", {{"seconds", std::to_string(*countdown_)}}, mp);
    m.still_here = t("ui.inactivity.still-here", mp);
  }
  return m;
}

ScreenModel::~ScreenModel() {
  wipe_string(title);
  for (auto& line : body) wipe_string(line.text);
  wipe_string(error);
  for (auto& c : choices) {
    wipe_string(c.label);
    wipe_string(c.explain);
  }
  if (input) wipe_string(input->shown);
  if (crop && !crop->grey.empty()) sodium_memzero(crop->grey.data(), crop->grey.size());
}

}  // namespace kiosk::flow
