// Read aloud with espeak-ng into a buffer; silent (and safe) with no audio device.
#include <doctest/doctest.h>

#include <cstdlib>

#include "kiosk_app/read_aloud.hpp"

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

TEST_CASE("speaking with no audio device is silent and does not block") {
  kiosk::app::EspeakSpeaker speaker;
  speaker.speak("Velkommen. Trykk på språket ditt.", "nb");
  speaker.stop();
  speaker.speak("Hei.", "nn");
  speaker.wait_idle();
  CHECK(true);  // reached: no crash, no hang, whether or not a device exists
}
