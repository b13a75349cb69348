#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "kiosk_flow/async.hpp"
#include "kiosk_flow/services.hpp"

namespace kiosk::app {

// Reads the screen aloud: espeak-ng synthesises into a buffer on a worker thread and
// SDL2 plays it. With no audio device it stays silent (and says so once in the log).
// A new screen or a new request stops what is playing.
class EspeakSpeaker final : public flow::Speaker {
 public:
  EspeakSpeaker();
  ~EspeakSpeaker() override;
  void speak(const std::string& text, const std::string& language) override;
  void stop() override;

  bool has_audio_device() const { return device_ != 0; }
  // Why there is no audio device (SDL's own words), empty when there is one.
  const std::string& audio_problem() const { return audio_problem_; }
  bool has_voice_engine() const { return sample_rate_ > 0; }
  // Synthesises on the calling thread (tests; the kiosk uses speak()).
  std::vector<std::int16_t> synthesize(const std::string& text, const std::string& language);
  // espeak-ng voice for a kiosk language: Norwegian (nb) for both bokmål and nynorsk.
  static std::string voice_for(const std::string& language);
  // Blocks until queued speech has been synthesised (tests).
  void wait_idle();

 private:
  int sample_rate_ = 0;
  std::uint32_t device_ = 0;
  bool sdl_audio_ = false;
  std::string audio_problem_;
  std::shared_ptr<std::atomic<std::uint64_t>> generation_;
  std::unique_ptr<flow::AsyncWorker<int>> worker_;
};

}  // namespace kiosk::app
