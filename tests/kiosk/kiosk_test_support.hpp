#pragma once
// Shared set-up for the kiosk tests: the real catalogue, translations and rules, and a
// test catalogue whose one form accepts every representation type.
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "forms/assets.hpp"
#include "forms/catalogue.hpp"
#include "forms/identity.hpp"
#include "forms/representation.hpp"
#include "forms/translations.hpp"
#include "kiosk_flow/flow.hpp"
#include "kiosk_ui/headless.hpp"
#include "kiosk_ui/scripted_services.hpp"

namespace kiosk_test {

struct Assets {
  forms::Catalogue catalogue;
  forms::Translations translations;
  forms::RepresentationRules rules;
  // The real forms, with every representation type allowed (so one session per type can run).
  forms::Catalogue all_types;

  static const Assets& get() {
    static const Assets assets = [] {
      const auto dir = forms::assets_dir();
      auto catalogue = forms::Catalogue::load_directory(dir / "forms");
      auto rules = forms::RepresentationRules::load(dir / "representation.json");
      std::vector<forms::Questionnaire> forms_list;
      for (auto q : catalogue.forms()) {
        q.representation.clear();
        q.refused_representation.clear();
        for (const auto& t : rules.types) q.representation.push_back(t.code);
        forms_list.push_back(std::move(q));
        break;  // one form is enough for the per-type sessions
      }
      return Assets{std::move(catalogue), forms::Translations::load_directory(dir / "i18n"), std::move(rules),
                    forms::Catalogue::from_forms(std::move(forms_list))};
    }();
    return assets;
  }
};

struct Services {
  std::shared_ptr<kiosk::ui::ScriptedPrinter> printer = std::make_shared<kiosk::ui::ScriptedPrinter>();
  std::shared_ptr<kiosk::ui::ScriptedScanner> scanner = std::make_shared<kiosk::ui::ScriptedScanner>();
  std::shared_ptr<kiosk::ui::ScriptedOutbox> outbox = std::make_shared<kiosk::ui::ScriptedOutbox>();
  std::vector<std::string> log;

  kiosk::flow::Services make() {
    kiosk::flow::Services s;
    s.printer = printer;
    s.scanner = scanner;
    s.outbox = outbox;
    s.log = [this](const std::string& line) { log.push_back(line); };
    return s;
  }
};

// A synthetic test number (month + 80) for someone born on `birth`.
inline std::string synthetic_number(forms::CivilDate birth) {
  for (int individual = 100; individual < 1000; ++individual)
    if (auto n = forms::make_identity_number(birth, forms::IdentityKind::SyntheticTest, individual)) {
      const auto r = forms::validate_identity_number(*n);
      if (r.valid && r.birth_date == birth) return *n;
    }
  return {};
}

// The staff PIN is checked on the flow's sign-in worker thread: frames until its answer is in.
inline bool pin_checked(kiosk::flow::Flow& f, kiosk::ui::HeadlessUi& ui, kiosk::flow::Clock::time_point now) {
  for (int i = 0; i < 5000 && f.staff_checking(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ui.look(f, now);
  }
  return !f.staff_checking();
}

// What every headless kiosk test starts from: the assets, scripted services, the flow (made by
// the test, with its own options) and a UI that looks at it without a window.
struct HeadlessKiosk {
  const Assets& assets = Assets::get();
  Services services;
  kiosk::flow::FlowOptions options;
  std::unique_ptr<kiosk::flow::Flow> flow;
  kiosk::ui::HeadlessUi ui;
  kiosk::flow::Clock::time_point now = kiosk::flow::Clock::now();
};

}  // namespace kiosk_test
