#pragma once
// What the UI benchmarks (ui_bench, soak_bench) set up alike: filled pages for the scanner to
// read, a demo environment (TEST certificates, a store, a configuration) from kioskctl.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "corpus.hpp"  // tests/scan: the filled page
#include "forms/catalogue.hpp"
#include "forms/translations.hpp"
#include "print/qr_payload.hpp"

namespace bench {

// A staff PIN hash (PIN 1234, libsodium's cheapest Argon2id), so a kiosk goes straight to the
// start screen instead of the first-run setup, and staff can sign in quickly.
inline constexpr const char* kStaffPinHash =
    "$argon2id$v=19$m=8,t=1,p=1$0tkVidadDD7EeRX3LrSX1g$ekRLEqyYgXCWCFvZHQ3Fe4+JfSG2n99yx3gdxeTdf/E";

// Pages of `form_id` filled in like a person would (ticks, digits, block letters, a signature;
// tests/scan/corpus.cpp) at 300 dpi, one per (submission id, file). Made in a child process
// (call it before any thread starts, so fork is safe): the generator's memory and the code it
// runs are not the kiosk's and must not count in the benchmark's figures.
inline bool make_filled_pages(const forms::Catalogue& catalogue, const forms::Translations& translations,
                              const std::filesystem::path& key_file, const std::string& form_id,
                              const std::vector<std::pair<std::string, std::filesystem::path>>& pages) {
  const pid_t child = fork();
  if (child == 0) {
    int code = 0;
    try {
      scancorpus::Generator generator(catalogue, translations, print::MacKey::load_file(key_file), nullptr, 7);
      for (const auto& [submission, file] : pages)
        scancorpus::write_image(generator.fill(form_id, "nb", submission, 1, 7).grey, file);
    } catch (const std::exception& e) {
      std::fprintf(stderr, "cannot make the filled page: %s\n", e.what());
      code = 1;
    }
    std::fflush(nullptr);
    _exit(code);
  }
  int status = 0;
  return child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

// `kioskctl demo-env` (next to the benchmark) into `dir`, its broker a port nobody listens on
// (the delivery worker keeps reconnecting). False when it failed.
inline bool make_demo_env(const std::filesystem::path& dir) {
  const auto bin = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  const std::string command =
      (bin / "kioskctl").string() + " demo-env --out " + dir.string() + " --broker amqp://127.0.0.1:9 > /dev/null";
  return std::system(command.c_str()) == 0;
}

// A kiosk started windowed with `config`, its standard error readable from `stderr_fd` (the
// first-frame and timing lines the benchmarks wait for).
struct SpawnedKiosk {
  pid_t pid = 0;
  int stderr_fd = -1;
};

inline std::optional<SpawnedKiosk> spawn_kiosk_windowed(const std::filesystem::path& kiosk,
                                                        const std::filesystem::path& config) {
  int out[2];
  if (pipe(out) != 0) return std::nullopt;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, out[1], 2);
  posix_spawn_file_actions_addclose(&actions, out[0]);
  const std::string program = kiosk.string(), config_arg = config.string();
  std::vector<char*> args{const_cast<char*>(program.c_str()), const_cast<char*>("--windowed"),
                          const_cast<char*>("--config"), const_cast<char*>(config_arg.c_str()), nullptr};
  SpawnedKiosk spawned;
  const int rc = posix_spawn(&spawned.pid, program.c_str(), &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(out[1]);
  if (rc != 0) {
    close(out[0]);
    return std::nullopt;
  }
  spawned.stderr_fd = out[0];
  return spawned;
}

}  // namespace bench
