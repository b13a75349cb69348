// The kiosk's own loop (PacedLoop) in the real window under Xvfb + Mesa: an idle kiosk sleeps
// instead of drawing, a worker's result is drawn at once without input, the inactivity
// countdown is drawn each second, the start screen rests after a while and the touch that
// wakes it presses nothing. Touches are real X events from xdotool.
#include <doctest/doctest.h>

#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <future>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "kiosk_app/window.hpp"
#include "kiosk_flow/async.hpp"
#include "kiosk_ui/admin_setup_screen.hpp"
#include "kiosk_test_support.hpp"

using namespace kiosk;
using namespace std::chrono_literals;
using flow::Clock;
namespace in = flow::intent;

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// A printer whose job takes a while on its own worker thread, as the real one does.
struct SlowPrinter final : flow::PrintService {
  std::atomic<Clock::rep> finished{0};
  bool available() const override { return true; }
  void start(flow::PrintRequest request) override {
    worker.post([this, ticket = request.ticket] {
      std::this_thread::sleep_for(300ms);
      finished = Clock::now().time_since_epoch().count();
      flow::PrintResult r;
      r.ticket = ticket;
      r.outcome = flow::Outcome::Done;
      r.detail = "printed (test)";
      return r;
    });
  }
  std::optional<flow::PrintResult> poll() override { return worker.poll(); }
  flow::AsyncWorker<flow::PrintResult> worker;  // last: its thread uses `finished`
};

struct Kiosk {
  kiosk_test::Services scripted;
  const kiosk_test::Assets& assets = kiosk_test::Assets::get();
  std::unique_ptr<flow::Flow> flow;
  app::Window window{1920, 1080, false};
  std::unique_ptr<app::FrameLoop> loop;
  std::unique_ptr<app::PacedLoop> paced;

  explicit Kiosk(app::Pacing pacing, flow::FlowOptions options = {},
                 std::shared_ptr<flow::PrintService> printer = nullptr) {
    auto services = scripted.make();
    if (printer) services.printer = std::move(printer);
    flow = std::make_unique<flow::Flow>(assets.catalogue, assets.translations, assets.rules, options, services,
                                        Clock::now());
    loop = std::make_unique<app::FrameLoop>(app::FrameLoop{window, *flow, {}});
    paced = std::make_unique<app::PacedLoop>(*loop, pacing);
  }

  // Runs the loop for `how_long`; returns the frames drawn meanwhile.
  long run_for(Clock::duration how_long) {
    const long before = window.frames_drawn();
    const auto end = Clock::now() + how_long;
    while (Clock::now() < end) paced->step();
    return window.frames_drawn() - before;
  }

  // Taps the widget `id` of the last frame drawn with a real X pointer event (xdotool),
  // while this thread keeps running the loop; returns once the tap has been taken.
  void tap(const std::string& id, Clock::duration run_after = 1s) {
    const ui::WidgetRecord* w = loop->last.find(id);
    REQUIRE_MESSAGE(w, "no widget " << id << " on the screen");
    // The window is as big as the design, so design and window coordinates are the same.
    const int x = static_cast<int>(w->x + w->w / 2), y = static_cast<int>(w->y + w->h / 2);
    const std::string command = "xdotool search --sync --name '^Helsenorge kiosk$' mousemove --window %1 " +
                                std::to_string(x) + " " + std::to_string(y) + " click 1";
    auto done = std::async(std::launch::async, [command] { return std::system(command.c_str()); });
    while (done.wait_for(0s) != std::future_status::ready) paced->step();
    REQUIRE(done.get() == 0);
    run_for(run_after);
  }
};

}  // namespace

TEST_CASE("idle: the start screen is drawn a few times, then the kiosk sleeps") {
  app::Pacing pacing;
  Kiosk k(pacing);
  k.run_for(1500ms);  // the first frames, and those after the X server maps the window
  const double cpu_before = thread_cpu_seconds();
  const long frames = k.run_for(3s);
  const double cpu = thread_cpu_seconds() - cpu_before;
  INFO("frames drawn in 3 idle seconds: " << frames << ", UI thread CPU " << cpu * 1000 << " ms");
  // Drawing as fast as possible (the loop before) draws hundreds of frames and keeps a core busy.
  CHECK(frames == 0);
  CHECK(cpu < 0.05);
}

TEST_CASE("idle: a worker's result is drawn at once, without input") {
  app::Pacing pacing;
  pacing.animation = 0ms;  // no busy-indicator frames: only the wake-up can bring the result
  pacing.longest_sleep = 3000ms;
  auto printer = std::make_shared<SlowPrinter>();
  Kiosk k(pacing, {}, printer);
  const auto& form = *k.assets.catalogue.find("reservasjon-kjernejournal");
  const auto now = Clock::now();
  k.flow->apply(in::ChooseLanguage{"nb"}, now);
  k.flow->apply(in::ChooseCategory{form.category}, now);
  k.flow->apply(in::ChooseSelf{}, now);
  if (k.flow->screen() == flow::Screen::FormChoice) k.flow->apply(in::ChooseForm{form.id}, now);
  k.flow->apply(in::PrintForm{form.id, true}, now);
  REQUIRE(k.flow->screen_model().busy);
  Clock::time_point drawn{};
  const auto give_up = Clock::now() + 10s;
  while (Clock::now() < give_up && drawn == Clock::time_point{}) {
    if (k.paced->step() && !k.flow->screen_model().busy) drawn = Clock::now();
  }
  REQUIRE(drawn != Clock::time_point{});
  const auto finished = Clock::time_point(Clock::duration(printer->finished.load()));
  const auto latency = std::chrono::duration<double, std::milli>(drawn - finished).count();
  INFO("from the worker's result to the frame showing it: " << latency << " ms (the loop sleeps up to 3000 ms)");
  CHECK(latency < 500);
}

TEST_CASE("idle: the inactivity countdown is drawn each second without input, then the session is wiped") {
  flow::FlowOptions options;
  options.inactivity_warning = 1s;
  options.inactivity_countdown = 3s;
  app::Pacing pacing;
  Kiosk k(pacing, options);
  k.flow->apply(in::ChooseLanguage{"nb"}, Clock::now());
  REQUIRE(k.flow->screen() == flow::Screen::Task);
  std::set<int> shown;
  long frames = 0;
  const auto end = Clock::now() + 5s;
  while (Clock::now() < end) {
    if (k.paced->step()) {
      ++frames;
      if (auto c = k.flow->screen_model().countdown_seconds) shown.insert(*c);
    }
  }
  CHECK(shown == std::set<int>{1, 2, 3});
  CHECK(k.flow->screen() == flow::Screen::Start);
  CHECK(k.flow->wipe_count() == 1);
  // A few frames per change (ImGui settles), not a frame loop.
  CHECK(frames < 40);
}

TEST_CASE("rest: the start screen goes black after a while and the touch that wakes it presses nothing") {
  app::Pacing pacing;
  pacing.rest_after = 2s;
  Kiosk k(pacing);
  k.run_for(300ms);
  REQUIRE(!k.paced->resting());
  const ui::FrameRecord start_screen = k.loop->last;  // where the buttons are
  k.run_for(2500ms);
  REQUIRE(k.paced->resting());
  CHECK(k.run_for(1s) == 0);  // black, and no more frames
  // The resting screen shows nothing: not even the start screen's buttons.
  k.loop->last = start_screen;
  k.tap("choice.language.en", 700ms);  // longer than the wake grace (500 ms), shorter than the rest
  CHECK(!k.paced->resting());
  CHECK(k.flow->screen() == flow::Screen::Start);  // woken, nothing pressed
  // The next touch on the same button does press it.
  k.tap("choice.language.en", 300ms);
  CHECK(k.flow->screen() == flow::Screen::Task);
  CHECK(k.flow->session().language == "en");
}

TEST_CASE("idle: the out-of-order page is drawn when it appears and after a touch, then the kiosk sleeps") {
  const auto& assets = kiosk_test::Assets::get();
  app::Window window{1920, 1080, false};
  app::StillPage page(window);
  const auto draw = [&](const ui::Fonts& f) { return ui::draw_out_of_order(f, "800 30 300", assets.translations); };
  const auto run_for = [&](Clock::duration how_long) {
    const long before = window.frames_drawn();
    const auto end = Clock::now() + how_long;
    while (Clock::now() < end) page.step(draw);
    return window.frames_drawn() - before;
  };
  CHECK(run_for(1500ms) >= 2);  // it is drawn, and the X server's map and expose are answered
  const long idle = run_for(3s);
  INFO("frames drawn in 3 idle seconds: " << idle);
  CHECK(idle == 0);  // the loop before drew 10 frames a second, for as long as nobody came
  // A touch: drawn a few times (nothing on the page reacts, but it must show it is alive).
  auto tapped = std::async(std::launch::async, [] {
    return std::system("xdotool search --sync --name '^Helsenorge kiosk$' mousemove --window %1 900 500 click 1");
  });
  long after_touch = 0;
  while (tapped.wait_for(0s) != std::future_status::ready) after_touch += page.step(draw) ? 1 : 0;
  REQUIRE(tapped.get() == 0);
  after_touch += run_for(500ms);
  CHECK(after_touch >= 1);
  CHECK(run_for(2s) == 0);
  page.changed();  // a new help number from the configuration
  CHECK(run_for(300ms) >= 1);
}

TEST_CASE("touch flood: 1000 taps at 100 a second neither freeze the screen nor leave presses behind") {
  app::Pacing pacing;
  Kiosk k(pacing);
  k.run_for(500ms);
  // A place on the start screen where no button is: the flood presses nothing there.
  std::optional<std::pair<int, int>> empty;
  for (const auto& [x, y] : std::vector<std::pair<int, int>>{{40, 1040}, {1880, 1040}, {960, 1060}, {40, 40}}) {
    bool on_widget = false;
    for (const auto& w : k.loop->last.widgets)
      if (x >= w.x && x < w.x + w.w && y >= w.y && y < w.y + w.h) on_widget = true;
    if (!on_widget) {
      empty = std::pair{x, y};
      break;
    }
  }
  REQUIRE(empty);
  const std::string flood = "xdotool search --sync --name '^Helsenorge kiosk$' mousemove --window %1 " +
                            std::to_string(empty->first) + " " + std::to_string(empty->second) +
                            " click --repeat 1000 --delay 8 1";
  // xdotool takes about 2 ms a click on top of the delay: about 100 taps a second.
  const auto flood_start = Clock::now();
  auto done = std::async(std::launch::async, [flood] { return std::system(flood.c_str()); });
  // The loop keeps turning while the taps pour in: never stuck for long in one step.
  auto longest = Clock::duration::zero();
  long frames = 0;
  while (done.wait_for(0s) != std::future_status::ready) {
    const auto t0 = Clock::now();
    frames += k.paced->step() ? 1 : 0;
    longest = std::max(longest, Clock::now() - t0);
  }
  REQUIRE(done.get() == 0);
  const double seconds = std::chrono::duration<double>(Clock::now() - flood_start).count();
  INFO("1000 taps in " << seconds << " s; frames during the flood: " << frames << ", longest turn "
                       << std::chrono::duration_cast<std::chrono::milliseconds>(longest).count() << " ms");
  CHECK(frames > 10);  // the screen answered the touches
  CHECK(longest < 1s);
  CHECK(k.flow->screen() == flow::Screen::Start);
  // Nothing queued behind the flood: the screen goes quiet at once and stays where it is.
  k.run_for(500ms);
  CHECK(k.run_for(1s) == 0);
  CHECK(k.flow->screen() == flow::Screen::Start);
  // And the next real touch works.
  k.tap("choice.language.nb", 300ms);
  CHECK(k.flow->screen() == flow::Screen::Task);
}
