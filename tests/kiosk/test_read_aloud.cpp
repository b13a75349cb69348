// Read aloud with espeak-ng into a buffer, played through SDL. SDL's `disk` audio driver writes
// what would have been played to a file, in real time, so the tests hear what a citizen hears.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "kiosk_app/read_aloud.hpp"
#include "kiosk_services_support.hpp"
#include "scoped_env.hpp"

namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The kiosk's speaker playing into a file through SDL's disk driver (16-bit mono samples).
struct DiskAudio {
  kiosk_test::TempDir dir{"kiosk-read-aloud"};
  fs::path file = dir.path / "played.raw";
  kiosk_test::ScopedEnv driver{"SDL_AUDIODRIVER", "disk"};
  kiosk_test::ScopedEnv out{"SDL_DISKAUDIOFILE", file.string()};

  std::vector<std::int16_t> played() const {
    std::ifstream in(file, std::ios::binary);
    std::vector<std::int16_t> samples;
    std::int16_t s = 0;
    while (in.read(reinterpret_cast<char*>(&s), sizeof s)) samples.push_back(s);
    return samples;
  }
  std::size_t played_samples() const {
    std::error_code ec;
    const auto size = fs::file_size(file, ec);
    return ec ? 0 : static_cast<std::size_t>(size / sizeof(std::int16_t));
  }
};

int peak(const std::vector<std::int16_t>& samples, std::size_t from, std::size_t to) {
  int p = 0;
  for (std::size_t i = from; i < to && i < samples.size(); ++i) p = std::max(p, std::abs(static_cast<int>(samples[i])));
  return p;
}

// Polls until `done` holds or `limit` passes.
template <class F>
bool eventually(F done, std::chrono::milliseconds limit) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(10ms);
  }
  return true;
}

const char* const kLongText =
    "Velkommen til kiosken. Her kan du fylle ut skjema for helsen din, skrive det ut og sende det inn. "
    "Trykk på språket ditt for å begynne. Du kan alltid gå tilbake, og ingenting blir sendt før du sier ja.";

}  // namespace

TEST_CASE("espeak-ng synthesises Norwegian text into a buffer") {
  kiosk::app::EspeakSpeaker speaker;
  REQUIRE(speaker.has_voice_engine());
  const auto nb = speaker.synthesize("Hva vil du gjøre? Trykk på det som passer best.", "nb");
  CHECK(nb.size() > 10000);  // well over half a second of speech
  CHECK(peak(nb, 0, nb.size()) > 1000);  // not silence
  CHECK(kiosk::app::EspeakSpeaker::voice_for("nn") == "nb");
  CHECK(kiosk::app::EspeakSpeaker::voice_for("en") == "en");
  CHECK(speaker.synthesize("", "nb").empty());
}

TEST_CASE("read aloud plays speech on the audio device: the samples played are the speech, not silence") {
  DiskAudio audio;
  kiosk::app::EspeakSpeaker speaker;
  REQUIRE(speaker.has_voice_engine());
  REQUIRE(speaker.has_audio_device());
  const auto expected = speaker.synthesize("Hei. Trykk på språket ditt.", "nb");
  REQUIRE(expected.size() > 5000);
  speaker.speak("Hei. Trykk på språket ditt.", "nb");
  speaker.wait_idle();
  // The disk driver writes in real time; wait for the whole utterance (plus a buffer).
  REQUIRE(eventually([&] { return audio.played_samples() > expected.size() + 8192; }, 20s));
  const auto played = audio.played();
  CHECK(peak(played, 0, played.size()) > 1000);
  // What was played is what espeak-ng said: the first non-silent stretch matches it sample for sample.
  std::size_t start = 0;
  while (start < played.size() && played[start] == 0) ++start;
  std::size_t first_voiced = 0;
  while (first_voiced < expected.size() && expected[first_voiced] == 0) ++first_voiced;
  REQUIRE(start < played.size());
  const std::size_t n = std::min(expected.size() - first_voiced, played.size() - start);
  CHECK(n > 4000);
  std::size_t same = 0;
  for (std::size_t i = 0; i < n; ++i) same += played[start + i] == expected[first_voiced + i];
  CHECK(same == n);
}

TEST_CASE("read aloud: stop() cuts the speech short") {
  DiskAudio audio;
  kiosk::app::EspeakSpeaker speaker;
  REQUIRE(speaker.has_audio_device());
  const auto full = speaker.synthesize(kLongText, "nb");
  REQUIRE(full.size() > 22050 * 5);  // more than five seconds of speech
  speaker.speak(kLongText, "nb");
  speaker.wait_idle();
  // Let it speak for about a second, then stop.
  std::size_t heard = 0;
  REQUIRE(eventually(
      [&] {
        const auto p = audio.played();
        heard = p.size();
        return peak(p, 0, p.size()) > 1000 && p.size() > 22050;
      },
      20s));
  speaker.stop();
  const std::size_t at_stop = audio.played_samples();
  // Two more seconds of playing time: with the speech still queued they would be speech.
  REQUIRE(eventually([&] { return audio.played_samples() > at_stop + 2 * 22050; }, 20s));
  const auto played = audio.played();
  // SDL may already have taken one buffer (2048 samples) from the queue when stop() came.
  const std::size_t margin = 3 * 2048;
  CHECK(peak(played, at_stop + margin, played.size()) == 0);
  CHECK(heard < full.size());
}

TEST_CASE("read aloud: a missing audio device is reported, and speaking then is silent and does not block") {
  kiosk_test::ScopedEnv driver("SDL_AUDIODRIVER", "no-such-audio-driver");
  kiosk::app::EspeakSpeaker speaker;
  CHECK(speaker.has_voice_engine());
  CHECK_FALSE(speaker.has_audio_device());
  const auto start = std::chrono::steady_clock::now();
  speaker.speak("Velkommen. Trykk på språket ditt.", "nb");
  speaker.stop();
  speaker.speak("Hei.", "nn");
  speaker.wait_idle();
  // Only synthesis time: nothing waits for a device that is not there.
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}
