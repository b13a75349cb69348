// Read aloud with espeak-ng into a buffer, played through SDL. SDL's `disk` audio driver
// (SDL_AUDIODRIVER=disk) writes what the device plays, sample for sample, into the file named
// by SDL_DISKAUDIOFILE, at the speed of a real device: so what the kiosk would say is heard
// here as a file. Each case sets the environment for itself (ScopedEnv) before SDL starts.
#include <doctest/doctest.h>
#include <pthread.h>
#include <stdlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "kiosk_app/read_aloud.hpp"
#include "kiosk_app/session_bus.hpp"
#include "scoped_env.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "kiosk-read-aloud-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()));
    path = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

// The disk driver's file: signed 16-bit mono samples, as the device was opened.
std::vector<std::int16_t> played(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::int16_t> samples(bytes.size() / sizeof(std::int16_t));
  std::copy_n(bytes.data(), samples.size() * sizeof(std::int16_t), reinterpret_cast<char*>(samples.data()));
  return samples;
}

std::uintmax_t size_of(const fs::path& file) {
  std::error_code ec;
  const auto n = fs::file_size(file, ec);
  return ec ? 0 : n;
}

// Root mean square of samples [from, to).
double rms(const std::vector<std::int16_t>& s, size_t from, size_t to) {
  double sum = 0;
  for (size_t i = from; i < to; ++i) sum += double(s[i]) * double(s[i]);
  return to > from ? std::sqrt(sum / double(to - from)) : 0.0;
}

// First and one-past-last non-silent sample (0, 0 for silence).
std::pair<size_t, size_t> sound_span(const std::vector<std::int16_t>& s) {
  const auto first = std::find_if(s.begin(), s.end(), [](std::int16_t v) { return v != 0; });
  if (first == s.end()) return {0, 0};
  const auto last = std::find_if(s.rbegin(), s.rend(), [](std::int16_t v) { return v != 0; });
  return {static_cast<size_t>(first - s.begin()), static_cast<size_t>(s.rend() - last)};
}

// Runs `f` on its own thread; a hang fails the case within `limit` instead of blocking ctest.
template <typename F>
void within(std::chrono::seconds limit, const char* what, F f) {
  std::packaged_task<void()> task(std::move(f));
  auto done = task.get_future();
  std::thread runner(std::move(task));
  if (done.wait_for(limit) != std::future_status::ready) {
    FAIL_CHECK(std::string(what) << " did not return within " << limit.count() << " s");
    std::fflush(nullptr);
    std::_Exit(1);  // the thread still hangs: it cannot be joined
  }
  runner.join();
  done.get();
}

const char* const kLong =
    "Velkommen til kiosken. Her kan du skrive ut skjema og sende dem inn igjen. Trykk på språket ditt.";

}  // namespace

TEST_CASE("espeak-ng synthesises Norwegian text into a buffer") {
  kiosk::app::EspeakSpeaker speaker;
  REQUIRE(speaker.has_voice_engine());
  const auto nb = speaker.synthesize("Hva vil du gjøre? Trykk på det som passer best.", "nb");
  CHECK(nb.size() > 10000);  // well over half a second of speech
  int peak = 0;
  for (auto s : nb) peak = std::max(peak, std::abs(static_cast<int>(s)));
  CHECK(peak > 1000);  // not silence
  CHECK(kiosk::app::EspeakSpeaker::voice_for("nn") == "nb");
  CHECK(kiosk::app::EspeakSpeaker::voice_for("en") == "en");
  CHECK(speaker.synthesize("", "nb").empty());
}

TEST_CASE(
    "read aloud: speech is played through the audio device (SDL disk driver), as long and as loud as synthesised") {
  TempDir dir;
  const auto file = dir.path / "played.raw";
  const kiosk_test::ScopedEnv driver("SDL_AUDIODRIVER", "disk");
  const kiosk_test::ScopedEnv output("SDL_DISKAUDIOFILE", file.string());
  const std::string text = "Hei. Trykk på språket ditt.";
  std::vector<std::int16_t> expected;
  {
    kiosk::app::EspeakSpeaker speaker;
    INFO(speaker.audio_problem());
    REQUIRE(speaker.has_audio_device());
    expected = speaker.synthesize(text, "nb");
    REQUIRE(expected.size() > 5000);
    speaker.speak(text, "nb");
    within(20s, "speak() and wait_idle()", [&] { speaker.wait_idle(); });
    // The device plays in real time: wait until it has played at least the speech after this.
    const auto wanted = size_of(file) + (expected.size() + 8192) * sizeof(std::int16_t);
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (size_of(file) < wanted && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
    REQUIRE(size_of(file) >= wanted);
  }  // closes the device: the file is complete
  const auto heard = played(file);
  const auto [from, to] = sound_span(heard);
  const auto [want_from, want_to] = sound_span(expected);
  REQUIRE(to > from);
  // The speech, once, and silence around it. (espeak-ng's samples differ a little from one
  // synthesis to the next, so length and loudness are compared, not each sample.)
  const double length = double(to - from), want_length = double(want_to - want_from);
  INFO("played " << length << " samples, synthesised " << want_length);
  CHECK(length > 0.9 * want_length);
  CHECK(length < 1.1 * want_length);
  const double loud = rms(heard, from, to), want_loud = rms(expected, want_from, want_to);
  INFO("loudness " << loud << ", synthesised " << want_loud);
  CHECK(loud > 0.7 * want_loud);
  CHECK(loud < 1.3 * want_loud);
}

TEST_CASE("read aloud: stop() cuts speech short") {
  TempDir dir;
  const auto file = dir.path / "played.raw";
  const kiosk_test::ScopedEnv driver("SDL_AUDIODRIVER", "disk");
  const kiosk_test::ScopedEnv output("SDL_DISKAUDIOFILE", file.string());
  std::vector<std::int16_t> full;
  {
    kiosk::app::EspeakSpeaker speaker;
    INFO(speaker.audio_problem());
    REQUIRE(speaker.has_audio_device());
    full = speaker.synthesize(kLong, "nb");
    REQUIRE(full.size() > 22050 * 4);  // a few seconds of speech
    speaker.speak(kLong, "nb");
    within(20s, "speak() and wait_idle()", [&] { speaker.wait_idle(); });
    // Some of it plays, then the citizen leaves the screen.
    const auto started = size_of(file);
    const auto limit = std::chrono::steady_clock::now() + 10s;
    while (size_of(file) < started + 22050 * sizeof(std::int16_t) && std::chrono::steady_clock::now() < limit)
      std::this_thread::sleep_for(20ms);
    within(5s, "stop()", [&] { speaker.stop(); });
    // Longer than the rest of the speech would have lasted had stop() not cut it.
    const auto after_stop = size_of(file);
    const auto until = std::chrono::steady_clock::now() + 20s;
    while (size_of(file) < after_stop + full.size() * sizeof(std::int16_t) && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(50ms);
    REQUIRE(size_of(file) >= after_stop + full.size() * sizeof(std::int16_t));
  }
  const auto heard = played(file);
  const auto [from, to] = sound_span(heard);
  const auto [want_from, want_to] = sound_span(full);
  REQUIRE(to > from);
  INFO("played " << to - from << " of " << want_to - want_from << " samples");
  CHECK(to - from > 22050 / 2);                  // it did speak
  CHECK(to - from < (want_to - want_from) / 2);  // and stopped long before the end
  CHECK(rms(heard, from, to) > 300);             // speech, not a click
}

// Two speakers one after the other in one process, too (espeak-ng is set up once per process).
TEST_CASE("read aloud: a missing audio driver or a device that cannot open is reported, speaking stays silent") {
  TempDir dir;
  for (const auto& [driver_name, out] : std::vector<std::pair<std::string, fs::path>>{
           {"no-such-driver", dir.path / "unused.raw"}, {"disk", dir.path / "no-such-folder" / "played.raw"}}) {
    INFO(driver_name << " " << out.string());
    const kiosk_test::ScopedEnv driver("SDL_AUDIODRIVER", driver_name);
    const kiosk_test::ScopedEnv output("SDL_DISKAUDIOFILE", out.string());
    kiosk::app::EspeakSpeaker speaker;
    CHECK(speaker.has_voice_engine());
    CHECK_FALSE(speaker.has_audio_device());
    CHECK_FALSE(speaker.audio_problem().empty());
    within(20s, "speaking without a device", [&] {
      speaker.speak("Velkommen. Trykk på språket ditt.", "nb");
      speaker.stop();
      speaker.speak("Hei.", "nn");
      speaker.wait_idle();
    });
    CHECK_FALSE(fs::exists(out));
  }
}

// The kiosk unit has no session bus. Without avoid_session_bus_autolaunch() (called first in
// the kiosk's main()), SDL's audio start-up made libdbus fork the kiosk to run dbus-launch, and
// under AddressSanitizer such a child hung before its exec, and the kiosk with it (CI, stop 27).
namespace {
std::atomic<int> g_forks{0};
}  // namespace

TEST_CASE("read aloud: starting audio without a session bus forks no dbus-launch") {
  TempDir dir;
  const kiosk_test::ScopedEnv driver("SDL_AUDIODRIVER", "disk");
  const kiosk_test::ScopedEnv output("SDL_DISKAUDIOFILE", (dir.path / "played.raw").string());
  const kiosk_test::ScopedEnv display("DISPLAY", ":97");  // libdbus autolaunches only for an X display
  const kiosk_test::ScopedEnv no_bus("DBUS_SESSION_BUS_ADDRESS", std::nullopt);
  const kiosk_test::ScopedEnv no_runtime("XDG_RUNTIME_DIR", std::nullopt);
  REQUIRE(::pthread_atfork([] { ++g_forks; }, nullptr, nullptr) == 0);
  kiosk::app::avoid_session_bus_autolaunch();
  REQUIRE(std::getenv("DBUS_SESSION_BUS_ADDRESS") != nullptr);
  {
    kiosk::app::EspeakSpeaker speaker;
    INFO(speaker.audio_problem());
    CHECK(speaker.has_audio_device());  // audio works without a session bus
  }
  CHECK(g_forks.load() == 0);
}

TEST_CASE("read aloud: a desktop's own session bus is left as it is") {
  const kiosk_test::ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus");
  kiosk::app::avoid_session_bus_autolaunch();
  CHECK(std::string(std::getenv("DBUS_SESSION_BUS_ADDRESS")) == "unix:path=/run/user/1000/bus");
  TempDir dir;
  std::ofstream(dir.path / "bus") << "";
  const kiosk_test::ScopedEnv no_bus("DBUS_SESSION_BUS_ADDRESS", std::nullopt);
  const kiosk_test::ScopedEnv runtime("XDG_RUNTIME_DIR", dir.path.string());
  kiosk::app::avoid_session_bus_autolaunch();
  CHECK(std::getenv("DBUS_SESSION_BUS_ADDRESS") == nullptr);  // libdbus finds $XDG_RUNTIME_DIR/bus itself
}
