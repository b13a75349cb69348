// What every screen shares: the session's words, the frame around each screen, choices shown a
// few at a time, and where a printed form is posted.
#include <algorithm>

#include "models/models.hpp"

namespace kiosk::flow::models {

void Words::note(const std::string& key, ScreenModel& m) const {
  const bool must_exist = std::find(forms::kRequiredLanguages.begin(), forms::kRequiredLanguages.end(), lang_) !=
                              forms::kRequiredLanguages.end() ||
                          forms::is_task_level_key(key);
  if (must_exist && !translations_.has(lang_, key)) m.untranslated.push_back(key);
}

std::string Words::t(const std::string& key, ScreenModel& m) const {
  note(key, m);
  return translations_.text(lang_, key);
}

std::string Words::tf(const std::string& key, const std::map<std::string, std::string>& args, ScreenModel& m) const {
  note(key, m);
  return translations_.format(lang_, key, args);
}

std::string Words::form(const forms::LocalizedText& text, const std::string& what, ScreenModel& m) const {
  const bool must_exist = std::find(forms::kRequiredLanguages.begin(), forms::kRequiredLanguages.end(), lang_) !=
                          forms::kRequiredLanguages.end();
  if (must_exist && !text.has(lang_)) m.untranslated.push_back(what);
  return text.get(lang_);
}

ScreenModel frame(const Words& w, Screen screen, const Session& session, const std::string& error_key) {
  ScreenModel m;
  m.screen = screen;
  m.name = screen_name(screen);
  m.language = w.lang();
  m.high_contrast = session.high_contrast;
  m.large_text = session.large_text;
  m.back = w.t("ui.nav.back", m);
  m.read_aloud = w.t("ui.nav.read-aloud", m);
  m.help = w.t("ui.nav.help", m);
  m.start_over = w.t("ui.nav.start-over", m);
  m.contrast = w.t("ui.nav.contrast", m);
  m.bigger_text = w.t("ui.nav.bigger-text", m);
  m.key_erase = w.t("ui.key.erase", m);
  m.key_space = w.t("ui.key.space", m);
  if (!error_key.empty()) m.error = w.t(error_key, m);
  return m;
}

void page_choices(const Words& w, ScreenModel& m, std::vector<Choice> all, size_t page) {
  if (all.size() <= 4) {
    m.choices = std::move(all);
    return;
  }
  const size_t per_page = 3;
  const size_t pages = (all.size() + per_page - 1) / per_page;
  const size_t shown = page % pages;
  for (size_t i = shown * per_page; i < std::min(all.size(), (shown + 1) * per_page); ++i) m.choices.push_back(all[i]);
  m.choices.push_back(Choice{"choice.more", w.t("ui.choice.more", m), "", intent::MoreChoices{}, false});
}

void post_to(const Words& w, ScreenModel& m, const forms::Questionnaire* form, const std::string& site_address) {
  if (form && form->owner && form->owner->postal_address.empty()) {
    // The owner's name and web page are data, shown as such (as an address is).
    m.body.push_back(w.t("ui.print.post-web", m));
    m.body.push_back({form->owner->name.get(w.lang()) + ": " + form->owner->web, true});
    return;
  }
  const std::string& address = form && form->owner ? form->owner->postal_address : site_address;
  if (!address.empty()) m.body.push_back(w.t("ui.print.post-to", m)), m.body.push_back({address, true});
}

}  // namespace kiosk::flow::models
