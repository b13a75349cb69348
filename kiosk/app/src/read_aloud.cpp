#include "kiosk_app/read_aloud.hpp"

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include <SDL.h>
#include <espeak-ng/speak_lib.h>

namespace kiosk::app {

namespace {

struct SynthTarget {
  std::vector<std::int16_t>* samples;
};

int collect(short* wav, int count, espeak_EVENT* events) {
  if (!events || !events->user_data || !wav || count <= 0) return 0;
  auto* target = static_cast<SynthTarget*>(events->user_data);
  target->samples->insert(target->samples->end(), wav, wav + count);
  return 0;
}

// espeak-ng is one engine per process and cannot be set up again after espeak_Terminate (the
// next synthesis hangs): it is initialised once, on first use, and lives until the process ends.
int espeak_sample_rate() {
  static const int rate = [] {
    const int r = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 500, nullptr, 0);
    if (r > 0) espeak_SetSynthCallback(collect);
    return r;
  }();
  return rate;
}

// The engine's state (voice, rate, callback target) is global: one synthesis at a time.
std::mutex espeak_mutex;

}  // namespace

std::string EspeakSpeaker::voice_for(const std::string& language) {
  if (language == "nb" || language == "nn") return "nb";
  if (language == "en") return "en";
  if (language == "pl") return "pl";
  if (language == "uk") return "uk";
  // No Sámi voice exists in espeak-ng: Norwegian is closer than silence for the
  // Norwegian loan words and numbers; the screen text stays in Sámi.
  return "nb";
}

EspeakSpeaker::EspeakSpeaker() : generation_(std::make_shared<std::atomic<std::uint64_t>>(0)) {
  // Synchronous mode: espeak hands the samples to our callback; SDL plays them.
  sample_rate_ = espeak_sample_rate();
  if (SDL_InitSubSystem(SDL_INIT_AUDIO) == 0) {
    sdl_audio_ = true;
    SDL_AudioSpec want{};
    want.freq = sample_rate_ > 0 ? sample_rate_ : 22050;
    want.format = AUDIO_S16SYS;
    want.channels = 1;
    want.samples = 2048;
    device_ = SDL_OpenAudioDevice(nullptr, 0, &want, nullptr, 0);
    if (!device_) audio_problem_ = std::string("no audio device could be opened: ") + SDL_GetError();
  } else {
    audio_problem_ = std::string("no audio driver: ") + SDL_GetError();
  }
  worker_ = std::make_unique<flow::AsyncWorker<int>>();
}

EspeakSpeaker::~EspeakSpeaker() {
  ++*generation_;
  worker_.reset();  // joins the worker before espeak and SDL go away
  if (device_) SDL_CloseAudioDevice(device_);
  if (sdl_audio_) SDL_QuitSubSystem(SDL_INIT_AUDIO);
}

std::vector<std::int16_t> EspeakSpeaker::synthesize(const std::string& text, const std::string& language) {
  std::vector<std::int16_t> samples;
  if (sample_rate_ <= 0 || text.empty()) return samples;
  const std::lock_guard lock(espeak_mutex);
  espeak_SetVoiceByName(voice_for(language).c_str());
  espeak_SetParameter(espeakRATE, 150, 0);  // a little slower than the default 175
  SynthTarget target{&samples};
  espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8, nullptr, &target);
  espeak_Synchronize();
  return samples;
}

void EspeakSpeaker::speak(const std::string& text, const std::string& language) {
  stop();
  const std::uint64_t mine = ++*generation_;
  auto generation = generation_;
  worker_->post([this, text, language, mine, generation]() {
    auto samples = synthesize(text, language);
    // Dropped if the screen changed while we synthesised.
    if (*generation != mine || !device_ || samples.empty()) return 0;
    SDL_ClearQueuedAudio(device_);
    SDL_QueueAudio(device_, samples.data(), static_cast<Uint32>(samples.size() * sizeof(std::int16_t)));
    SDL_PauseAudioDevice(device_, 0);
    return 1;
  });
}

void EspeakSpeaker::stop() {
  ++*generation_;
  if (device_) SDL_ClearQueuedAudio(device_);
  while (worker_->poll()) {
  }
}

void EspeakSpeaker::wait_idle() {
  while (worker_->busy()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  while (worker_->poll()) {
  }
}

}  // namespace kiosk::app
