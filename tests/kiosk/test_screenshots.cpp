// Screenshot tests: the real kiosk window (GLFW + OpenGL 3 on Mesa's software renderer
// under Xvfb) compared with committed golden PNGs, with a tolerance for rasteriser noise.
// The screenshots are kept in <build>/screenshots for CI artifacts.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include <stb_image.h>

#include "kiosk_app/window.hpp"
#include "kiosk_test_support.hpp"

using namespace kiosk;
using flow::Clock;
namespace in = flow::intent;

namespace {

struct Shot {
  kiosk_test::Services services;
  std::unique_ptr<flow::Flow> flow;
  Clock::time_point now = Clock::now();
  const kiosk_test::Assets& assets = kiosk_test::Assets::get();

  explicit Shot(const std::string& lang) {
    flow = std::make_unique<flow::Flow>(assets.catalogue, assets.translations, assets.rules, flow::FlowOptions{},
                                        services.make(), now);
    if (lang != "nb") flow->apply(in::ChooseLanguage{lang}, now), flow->apply(in::StartOver{}, now);
    lang_ = lang;
  }
  std::string lang_;

  const forms::Questionnaire& form() const { return *assets.catalogue.find("reservasjon-kjernejournal"); }

  void to_question() {
    flow->apply(in::ChooseLanguage{lang_}, now);
    flow->apply(in::ChooseCategory{form().category}, now);
    flow->apply(in::ChooseSelf{}, now);
    if (flow->screen() == flow::Screen::FormChoice) flow->apply(in::ChooseForm{form().id}, now);
    flow->apply(in::FillIn{}, now);
  }

  // Every question answered: the look back before printing.
  void to_overview() {
    to_question();
    flow->apply(in::Key{"01018012371"}, now);
    flow->apply(in::Next{}, now);
    flow->apply(in::Key{"Kari Nordmann"}, now);
    flow->apply(in::Next{}, now);
    for (int guard = 0; guard < 20 && flow->screen() == flow::Screen::Question; ++guard) {
      const auto* item = form().find_item(flow->current_link_id());
      REQUIRE(item);
      if (item->type == forms::ItemType::Boolean)
        flow->apply(in::AnswerYesNo{item->link_id != "helper"}, now);
      else if (item->type == forms::ItemType::Choice)
        flow->apply(in::AnswerChoice{item->options.front().code}, now);
      else
        FAIL("unexpected question " << item->link_id);
    }
    REQUIRE(flow->screen() == flow::Screen::Overview);
  }

  void to_review() {
    to_overview();
    flow->apply(in::PrintForm{form().id, false}, now);
    flow->tick(now);
    REQUIRE(!services.printer->requests.empty());
    services.scanner->result = ui::ScriptedScanner::read_back(form(), services.printer->requests.back().answers, true);
    flow->apply(in::Next{}, now);
    flow->apply(in::StartScan{}, now);
    flow->tick(now);
    REQUIRE(flow->screen() == flow::Screen::Review);
  }

  void to_receipt() {
    to_review();
    while (!flow->session().review_queue.empty()) flow->apply(in::ConfirmRead{true}, now);
    flow->apply(in::SendIn{}, now);
    flow->tick(now);
    flow->tick(now);
    REQUIRE(flow->screen() == flow::Screen::Receipt);
  }
};

// Compares with the golden image; KIOSK_UPDATE_GOLDENS=1 rewrites the golden instead.
void compare_with_golden(app::Window& window, const std::string& name) {
  const std::filesystem::path out_dir = std::filesystem::path(KIOSK_BINARY_DIR) / "screenshots";
  std::filesystem::create_directories(out_dir);
  const auto shot = out_dir / (name + ".png");
  REQUIRE(window.save_png(shot));
  const auto golden = std::filesystem::path(KIOSK_SOURCE_DIR) / "tests/kiosk/golden" / (name + ".png");
  const char* update = std::getenv("KIOSK_UPDATE_GOLDENS");
  if (update && std::string(update) == "1") {
    std::filesystem::copy_file(shot, golden, std::filesystem::copy_options::overwrite_existing);
    MESSAGE("golden image updated: " << golden);
    return;
  }
  int gw = 0, gh = 0, gc = 0;
  unsigned char* g = stbi_load(golden.string().c_str(), &gw, &gh, &gc, 3);
  REQUIRE_MESSAGE(g != nullptr, "no golden image " << golden << " (run with KIOSK_UPDATE_GOLDENS=1 to create it)");
  std::unique_ptr<unsigned char, void (*)(void*)> golden_pixels(g, stbi_image_free);
  int w = 0, h = 0;
  const auto& pixels = window.pixels(w, h);
  REQUIRE(w == gw);
  REQUIRE(h == gh);
  size_t differing = 0;
  double total = 0;
  for (size_t i = 0; i < pixels.size(); i += 3) {
    int worst = 0;
    for (size_t c = 0; c < 3; ++c) {
      const int d = std::abs(static_cast<int>(pixels[i + c]) - static_cast<int>(g[i + c]));
      worst = std::max(worst, d);
      total += d;
    }
    if (worst > 48) ++differing;
  }
  const double share = static_cast<double>(differing) / (static_cast<double>(w) * h);
  INFO(name << ": " << differing << " pixels differ (" << share * 100 << " %), see " << shot);
  CHECK(share < 0.005);
  CHECK(total / pixels.size() < 2.0);
}

void render_and_compare(Shot& s, const std::string& name) {
  app::Window window(1920, 1080, false);
  app::FrameLoop loop{window, *s.flow, {}};
  for (int i = 0; i < 3; ++i) loop.frame(s.now);
  loop.frame(s.now, std::nullopt, true);
  compare_with_golden(window, name);
}

}  // namespace

TEST_CASE("screenshot start nb") {
  Shot s("nb");
  render_and_compare(s, "start-nb");
}
TEST_CASE("screenshot start nn") {
  Shot s("nn");
  render_and_compare(s, "start-nn");
}
TEST_CASE("screenshot question nb") {
  Shot s("nb");
  s.to_question();
  render_and_compare(s, "question-nb");
}
TEST_CASE("screenshot question nn") {
  Shot s("nn");
  s.to_question();
  render_and_compare(s, "question-nn");
}
TEST_CASE("screenshot overview nb") {
  Shot s("nb");
  s.to_overview();
  render_and_compare(s, "overview-nb");
}
TEST_CASE("screenshot overview nn") {
  Shot s("nn");
  s.to_overview();
  render_and_compare(s, "overview-nn");
}
TEST_CASE("screenshot review nb") {
  Shot s("nb");
  s.to_review();
  render_and_compare(s, "review-nb");
}
TEST_CASE("screenshot review nn") {
  Shot s("nn");
  s.to_review();
  render_and_compare(s, "review-nn");
}
TEST_CASE("screenshot receipt nb") {
  Shot s("nb");
  s.to_receipt();
  render_and_compare(s, "receipt-nb");
}
TEST_CASE("screenshot receipt nn") {
  Shot s("nn");
  s.to_receipt();
  render_and_compare(s, "receipt-nn");
}
