// The first-run admin setup screen, walked the way an admin does it: touches on the real
// ImGui screen (no window: the frames are laid out and recorded, as in tests/kiosk), against
// a real cupsd (private_cups.hpp) and SANE's test backend. It must end with a configuration
// that the kiosk accepts.
#include <doctest/doctest.h>

#include <imgui.h>

#include <chrono>
#include <memory>
#include <cstdlib>
#include <thread>

#include "admin/config_file.hpp"
#include "admin/setup.hpp"
#include "kiosk_ui/admin_setup_screen.hpp"
#include "admin/start_gate.hpp"
#include "forms/assets.hpp"
#include "kiosk_ui/headless.hpp"
#include "private_cups.hpp"
#include "../sane_test_backend.hpp"
#include "scoped_env.hpp"
#include "test_support.hpp"

using namespace kiosk::admin;
using kiosk_test::contains;
using kiosk_test::TempDir;
using kiosk_test::write_file;

namespace {

const forms::Translations& translations() {
  static const auto t = forms::Translations::load_directory(forms::assets_dir() / "i18n");
  return t;
}

// Drives the setup screen as the kiosk's window does, without a window.
class SetupDriver {
 public:
  explicit SetupDriver(SetupSession& session)
      : session_(session), imgui_(kiosk::ui::kDesignWidth, kiosk::ui::kDesignHeight, true) {}

  const kiosk::ui::FrameRecord& look() {
    frame(-100, -100, false);
    return last_;
  }
  // Touches the widget `id` (pointer down, then up on the same spot); false when it is not there.
  bool touch(const std::string& id) {
    frame(-100, -100, false);
    const auto* w = last_.find(id);
    if (!w) return false;
    const float x = w->x + w->w / 2, y = w->y + w->h / 2;
    frame(x, y, false);
    frame(x, y, true);
    frame(x, y, false);
    frame(-100, -100, false);
    return true;
  }
  // Types on the on-screen keyboard, with the capitals key where needed.
  void type(const std::string& text) {
    for (const char c : text) {
      const bool capital = c >= 'A' && c <= 'Z';
      if (capital != session_.view().shift) REQUIRE(touch("admin.key.shift"));
      const std::string key = c == ' ' ? "space" : std::string(1, c);
      REQUIRE_MESSAGE(touch("admin.key." + key), "no key for '" << c << "'");
    }
    if (session_.view().shift) REQUIRE(touch("admin.key.shift"));
  }
  void erase_all(std::size_t count) {
    for (std::size_t i = 0; i < count; ++i) REQUIRE(touch("admin.key.erase"));
  }
  // Lets the worker finish (CUPS, SANE, files, the PIN hash), as frames would.
  void settle() {
    REQUIRE(session_.wait_idle(std::chrono::seconds(60)));
    look();
  }
  std::string message() const {
    const auto* w = last_.find("admin.message");
    return w ? w->text : "";
  }

 private:
  void frame(float x, float y, bool down) {
    ImGui::SetCurrentContext(imgui_.context());
    ImGuiIO& io = ImGui::GetIO();
    io.MousePos = ImVec2(x, y);  // the display is the design size: no scaling
    io.MouseDown[0] = down;
    io.DeltaTime = 1.0f / 60.0f;
    session_.tick();
    ImGui::NewFrame();
    std::vector<SetupIntent> intents;
    auto out = kiosk::ui::draw_admin_setup(imgui_.fonts(), session_.view(), translations(), intents);
    ImGui::Render();
    for (const auto& intent : intents) session_.apply(intent);
    last_ = std::move(out.record);
  }

  SetupSession& session_;
  kiosk::ui::ImGuiSession imgui_;
  kiosk::ui::FrameRecord last_;
};

// SANE's test backend, configured in DIR/sane, for as long as the returned value lives.
std::unique_ptr<kiosk_test::ScopedEnv> use_sane_test_backend(const TempDir& dir) {
  kiosk_test::keep_sane_test_backend_loaded();
  write_file(dir / "sane/dll.conf", "test\n", 0644);
  return std::make_unique<kiosk_test::ScopedEnv>("SANE_CONFIG_DIR", (dir / "sane").string());
}

}  // namespace

TEST_CASE("setup screen: an admin walks every step, test-prints, test-scans, imports certificates and saves") {
  TempDir dir;
  kiosk_test::PrivateCups cups;
  const auto sane_config = use_sane_test_backend(dir);
  const auto state = dir / "state";
  const auto file = dir / "etc/kiosk.toml";
  // As the package leaves it: the documented defaults (with this test's folders), no broker, no PIN.
  write_file(file,
             "[site]\nname = \"Testbiblioteket\"\n[store]\npath = \"" + (state / "kiosk.db").string() +
                 "\"\nkey_file = \"" + (state / "store.key").string() + "\"\n[print]\nmac_key_file = \"" +
                 (state / "qr-mac.key").string() + "\"\n",
             0640);
  REQUIRE(first_run_needs(file).size() == 2);
  kiosk_test::make_certificate(dir / "usb/broker-client.pem", dir / "usb/broker-client.key", 365);

  SetupSession session(file);
  SetupDriver ui(session);
  ui.settle();
  // Every text on the screen comes from the catalogue, in bokmål first.
  CHECK(ui.look().screen == "admin-setup-welcome");
  CHECK(contains(ui.look().all_text(), "Kiosken er ikke satt opp"));
  CHECK(contains(ui.look().all_text(), "broker.url"));  // why the setup is shown
  CHECK_FALSE(contains(ui.look().all_text(), "admin.setup."));
  REQUIRE(ui.touch("admin.switch-language"));
  CHECK(contains(ui.look().all_text(), "The kiosk is not set up yet"));
  REQUIRE(ui.touch("admin.switch-language"));

  // Printer: the private cupsd's queue is listed; the test page reaches it.
  REQUIRE(ui.touch("admin.next"));
  CHECK(ui.look().screen == "admin-setup-printer");
  REQUIRE(ui.touch("admin.printer.Kiosk_A4"));
  REQUIRE(ui.touch("admin.test-print"));
  ui.settle();
  CHECK_MESSAGE(contains(ui.message(), "Testsiden er sendt"), ui.message());
  for (int i = 0; i < 100 && !contains(kiosk_test::read_file(cups.printed()), "Testbiblioteket"); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK(contains(kiosk_test::read_file(cups.printed()), "Testbiblioteket"));

  // Scanner: SANE's test backend, one page scanned through kiosk_scanners.
  REQUIRE(ui.touch("admin.next"));
  REQUIRE(ui.touch("admin.scanner.test:0"));
  REQUIRE(ui.touch("admin.test-scan"));
  ui.settle();
  CHECK_MESSAGE(contains(ui.message(), "Skanneren leste en side"), ui.message());

  // Broker: a wrong address is refused with the reason, a right one is taken.
  REQUIRE(ui.touch("admin.next"));
  CHECK(ui.look().screen == "admin-setup-broker");
  ui.type("http://x");
  REQUIRE(ui.touch("admin.next"));
  CHECK(ui.look().screen == "admin-setup-broker");
  CHECK(contains(ui.message(), "Adressen er ikke riktig"));
  ui.erase_all(8);
  ui.type("amqps://broker.test:5671");
  REQUIRE(ui.touch("admin.next"));

  // Certificates from "the USB stick" (a folder typed on the keyboard, capitals included).
  CHECK(ui.look().screen == "admin-setup-certificates");
  ui.erase_all(std::string("/media/usb").size());
  ui.type((dir / "usb").string());
  REQUIRE(ui.touch("admin.import"));
  ui.settle();
  CHECK_MESSAGE(contains(ui.message(), "2 filer er hentet"), ui.message());
  REQUIRE(ui.touch("admin.next"));

  // The first staff member: number, name, then PIN. A missing number is refused, Back goes
  // back one field, and the PIN's digits are never shown.
  CHECK(ui.look().screen == "admin-setup-pin");
  REQUIRE(ui.touch("admin.next"));
  CHECK(contains(ui.message(), "1 til 8 sifre"));
  ui.type("1001");
  CHECK(ui.look().find("admin.field")->text == "1001|");
  REQUIRE(ui.touch("admin.next"));
  REQUIRE(ui.touch("admin.back"));  // back to the number, kept
  CHECK(ui.look().find("admin.field")->text == "1001|");
  REQUIRE(ui.touch("admin.next"));
  ui.type("Kari N");
  CHECK(ui.look().find("admin.field")->text == "Kari N|");
  // Norwegian letters for names, small and capital; Erase takes the whole letter.
  REQUIRE(ui.touch("admin.key.ø"));
  CHECK(ui.look().find("admin.field")->text == "Kari Nø|");
  REQUIRE(ui.touch("admin.key.erase"));
  REQUIRE(ui.touch("admin.key.shift"));
  REQUIRE(ui.touch("admin.key.Å"));
  CHECK(ui.look().find("admin.field")->text == "Kari NÅ|");
  REQUIRE(ui.touch("admin.key.erase"));
  REQUIRE(ui.touch("admin.key.shift"));
  CHECK(ui.look().find("admin.field")->text == "Kari N|");
  REQUIRE(ui.touch("admin.next"));
  ui.type("12345");
  REQUIRE(ui.touch("admin.next"));
  CHECK(ui.look().screen == "admin-setup-pin");
  CHECK(contains(ui.message(), "6 til 12 sifre"));
  ui.type("6");
  CHECK(ui.look().find("admin.field")->text == "******|");
  REQUIRE(ui.touch("admin.next"));

  // Languages: Sámi not offered here, nynorsk first.
  CHECK(ui.look().screen == "admin-setup-languages");
  REQUIRE(ui.touch("admin.language.se"));
  REQUIRE(ui.touch("admin.default.nn"));
  REQUIRE(ui.touch("admin.next"));

  CHECK(ui.look().screen == "admin-setup-save");
  CHECK(contains(ui.look().all_text(), "amqps://broker.test:5671"));
  CHECK(contains(ui.look().all_text(), "1001 (Kari N)"));
  REQUIRE(ui.touch("admin.save"));
  ui.settle();
  CHECK_MESSAGE(ui.look().screen == "admin-setup-done", ui.message());
  CHECK_FALSE(session.finished());
  REQUIRE(ui.touch("admin.finish"));
  CHECK(session.finished());

  // The file the kiosk will read.
  CHECK(first_run_needs(file).empty());
  const ConfigFile written = load_config_file(file);
  REQUIRE_MESSAGE(written.valid(), written.error);
  const auto& config = *written.config;
  CHECK(config.warnings().empty());
  CHECK(config.get_string("site.name") == "Testbiblioteket");  // kept from the file
  CHECK(config.get_path("store.path") == state / "kiosk.db");
  CHECK(kiosk_test::mode_of(state / "qr-mac.key") == 0600);  // the QR code key, made by the save
  CHECK(config.get_string("printer.queue") == "Kiosk_A4");
  CHECK(config.get_string("scanner.device") == "test:0");
  CHECK(config.get_string("broker.url") == "amqps://broker.test:5671");
  CHECK(config.get_list("ui.languages") == std::vector<std::string>{"nb", "nn", "en"});
  CHECK(config.get_string("ui.default_language") == "nn");
  // The member is in the kiosk's store (made by the setup); no shared PIN was set.
  CHECK(config.get_string("staff.pin_hash").empty());
  CHECK(count_active_staff_members(state / "kiosk.db") == 1);
  CHECK(staff_access_configured(config));
  CHECK(config.get_string("broker.tls_client_certificate") == (state / "certs/broker-client.pem").string());
  CHECK(kiosk_test::mode_of(state / "certs/broker-client.key") == 0600);
  CHECK(kiosk_test::mode_of(file) == 0640);
}

TEST_CASE("setup screen: without CUPS or a scanner it says so in plain words") {
  TempDir dir;
  const std::string nowhere = "127.0.0.1:" + std::to_string(kiosk_test::free_port());
  const kiosk_test::ScopedEnv cups_server("CUPS_SERVER", nowhere);
  write_file(dir / "sane/dll.conf", "", 0644);
  const kiosk_test::ScopedEnv sane_config("SANE_CONFIG_DIR", (dir / "sane").string());
  const auto file = dir / "kiosk.toml";  // no file at all

  SetupSession session(file);
  SetupDriver ui(session);
  ui.settle();
  CHECK(contains(ui.look().all_text(), "There is no configuration file"));
  REQUIRE(ui.touch("admin.next"));
  CHECK(contains(ui.look().all_text(), "Cannot reach the print service"));
  REQUIRE(ui.touch("admin.test-print"));
  ui.settle();
  CHECK(ui.look().find("admin.message")->role == kiosk::ui::Role::Error);
  CHECK(contains(ui.message(), "Det gikk ikke"));
  REQUIRE(ui.touch("admin.next"));
  CHECK(contains(ui.look().all_text(), "Fant ingen skanner"));
  REQUIRE(ui.touch("admin.test-scan"));
  ui.settle();
  CHECK(contains(ui.message(), "Det gikk ikke"));
}

TEST_CASE("setup screen: on a kiosk in use nothing of the setup shows until the screen code is typed") {
  TempDir dir;
  const auto file = dir / "kiosk.toml";
  write_file(file, "[ui\n", 0640);  // broken: a kiosk in use is out of order
  int listed = 0;
  SetupDevices devices{[&listed] {
                         ++listed;
                         return std::vector<PrinterInfo>{};
                       },
                       [] { return std::vector<ScannerInfo>{}; }, [](const std::string&, const std::string&) { return 1; },
                       [](const std::string&) { return std::pair<int, int>{1, 1}; }};
  const std::string code = issue_screen_code(file, std::chrono::minutes(5));
  SetupSession session(file, devices, true);
  SetupDriver ui(session);
  ui.settle();
  CHECK(listed == 0);  // not even the printers are asked for
  const auto& page = ui.look();
  CHECK(contains(page.all_text(), "Kode for oppsett"));
  CHECK_FALSE(contains(page.all_text(), "ikke satt opp"));
  CHECK(page.find("admin.back") == nullptr);
  // Intents for the setup's own steps are dropped while the code is asked for.
  session.apply(setup_intent::Save{});
  session.apply(setup_intent::ImportCertificates{});
  CHECK(session.view().step == SetupStep::Welcome);
  CHECK(session.view().code_required);

  std::string wrong = code;
  wrong[3] = wrong[3] == '9' ? '0' : static_cast<char>(wrong[3] + 1);
  for (const char c : wrong) REQUIRE(ui.touch(std::string("admin.key.") + c));
  CHECK(ui.look().find("admin.field")->text == std::string(10, '*') + "|");  // the code is not shown
  REQUIRE(ui.touch("admin.next"));
  CHECK(contains(ui.message(), "Koden er feil"));
  CHECK(session.view().code_required);

  for (const char c : code) REQUIRE(ui.touch(std::string("admin.key.") + c));
  REQUIRE(ui.touch("admin.next"));
  ui.settle();
  CHECK_FALSE(session.view().code_required);
  CHECK(listed == 1);
  CHECK(contains(ui.look().all_text(), "line 1"));  // the welcome step says why
  CHECK_FALSE(std::filesystem::exists(screen_code_file(file)));  // used once
}

TEST_CASE("out of order screen: the help number in bokmål, nynorsk and English, nothing to touch") {
  kiosk::ui::ImGuiSession imgui(kiosk::ui::kDesignWidth, kiosk::ui::kDesignHeight, true);
  ImGui::SetCurrentContext(imgui.context());
  ImGui::GetIO().DeltaTime = 1.0f / 60.0f;
  ImGui::NewFrame();
  auto out = kiosk::ui::draw_out_of_order(imgui.fonts(), "22 22 22 22", translations());
  ImGui::Render();
  const std::string text = out.record.all_text();
  CHECK(contains(text, translations().text("nb", "out-of-order.title")));
  CHECK(contains(text, translations().text("nn", "out-of-order.title")));
  CHECK(contains(text, "out of order"));
  CHECK(contains(text, "ring Veiledning Helsenorge på 22 22 22 22"));
  CHECK(contains(text, "ring Rettleiing Helsenorge på 22 22 22 22"));
  CHECK(contains(text, "call Helsenorge guidance on 22 22 22 22"));
  CHECK(out.record.with_role(kiosk::ui::Role::Choice).empty());
  CHECK(out.record.with_role(kiosk::ui::Role::Nav).empty());
  CHECK(out.record.untranslated.empty());
}
