#pragma once
// One model builder per screen, beside the screens they feed (kiosk/ui/screens/): each takes the
// frame every screen has and only the state it reads, and returns that screen's model.
// Flow::screen_model() picks the builder for the screen shown.
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "forms/catalogue.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_flow/flow.hpp"

namespace kiosk::flow::models {

// The session's words. A key with no text in a language that must have it is noted on the model
// being built (the accessibility report lists them).
class Words {
 public:
  Words(const forms::Translations& translations, std::string lang)
      : translations_(translations), lang_(std::move(lang)) {}
  const std::string& lang() const { return lang_; }
  const forms::Translations& translations() const { return translations_; }
  std::string t(const std::string& key, ScreenModel& m) const;
  // With {name} placeholders filled in.
  std::string tf(const std::string& key, const std::map<std::string, std::string>& args, ScreenModel& m) const;
  // A form's own text (title, question, option); `what` names it in the untranslated list.
  std::string form(const forms::LocalizedText& text, const std::string& what, ScreenModel& m) const;

 private:
  // Notes `key` on the model when it has no text in a language that must have it.
  void note(const std::string& key, ScreenModel& m) const;

  const forms::Translations& translations_;
  std::string lang_;
};

// What every screen has: its name, the person's display choices, the always-present buttons and
// the error next to the field (a builder may replace the error with its own).
ScreenModel frame(const Words& w, Screen screen, const Session& session, const std::string& error_key);
// More than four choices are shown three at a time, with "more" (`page` counts the presses).
void page_choices(const Words& w, ScreenModel& m, std::vector<Choice> all, size_t page);
// Where a printed form goes by post: the form's owner, who decides on it; else the site's address.
void post_to(const Words& w, ScreenModel& m, const forms::Questionnaire* form, const std::string& site_address);

// ---- The citizen's screens, in the order of a session ----
ScreenModel start(ScreenModel m, const Words& w, const std::vector<std::string>& languages, size_t page);
ScreenModel task(ScreenModel m, const Words& w, const std::vector<std::string>& categories, size_t page);
ScreenModel who(ScreenModel m, const Words& w);
ScreenModel who_kind(ScreenModel m, const Words& w, const std::vector<std::string>& types, size_t page);
ScreenModel form_choice(ScreenModel m, const Words& w, const std::vector<const forms::Questionnaire*>& forms,
                        size_t page);
// `type`: the representation chosen (its evidence and route), null when unknown.
ScreenModel form_intro(ScreenModel m, const Words& w, const forms::Questionnaire* form,
                       const forms::RepresentationType* type);
// The representative's or the represented person's number (m.screen says which).
ScreenModel identity(ScreenModel m, const Words& w, const std::string& typed);
ScreenModel refused(ScreenModel m, const Words& w, const std::string& refusal_key);
// "Steg n av N" (progress.hpp: by the form's sections, so it never jumps).
std::string progress_line(const Words& w, const Progress& progress, ScreenModel& m);
// A question, or a value read from the sheet being corrected (m.screen says which).
ScreenModel question(ScreenModel m, const Words& w, const forms::Questionnaire* form, const std::string& link_id,
                     const std::optional<Progress>& progress, const std::string& typed, size_t page);
// Before printing: every question asked with its answer in plain words, each with "Endre", a few
// at a time; the who-screens' numbers too when acting for someone else.
ScreenModel overview(ScreenModel m, const Words& w, const Session& session, const forms::Questionnaire* form,
                     const std::vector<const forms::Item*>& asked, const std::optional<Progress>& progress,
                     size_t page);
ScreenModel print(ScreenModel m, const Words& w, const Session& session, const forms::Questionnaire* form,
                  const std::string& site_address, bool busy, const std::optional<PrintResult>& result);
// `evidence`: the attachment being scanned, empty for the form itself.
ScreenModel scan(ScreenModel m, const Words& w, const Session& session, const std::string& evidence, bool busy,
                 const std::optional<ScanResult>& result);
ScreenModel review(ScreenModel m, const Words& w, const Session& session, const forms::Questionnaire* form);
ScreenModel send(ScreenModel m, const Words& w, const forms::Questionnaire* form, const std::string& site_address,
                 bool busy, const std::optional<OutboxResult>& result);
ScreenModel receipt(ScreenModel m, const Words& w, const Session& session, const std::optional<OutboxResult>& sent,
                    bool printing, const std::optional<PrintResult>& printed);
ScreenModel help(ScreenModel m, const Words& w, const std::string& phone, const std::string& help_code);

// ---- Staff mode ----
ScreenModel staff_pin(ScreenModel m, const Words& w, const StaffDesk& desk, const std::string& typed);
ScreenModel staff_menu(ScreenModel m, const Words& w, const StaffDesk& desk);
ScreenModel staff_info(ScreenModel m, const Words& w, const std::string& info, const Services& services);
// The outbox queue or the held sheets; `receipt_*`: a receipt being reprinted for the entry shown.
ScreenModel staff_queue(ScreenModel m, const Words& w, const StaffDesk& desk, const forms::Catalogue& catalogue,
                        bool receipt_busy, const std::optional<PrintResult>& receipt_result);

}  // namespace kiosk::flow::models
