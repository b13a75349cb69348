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
#include "scanners/mnist.hpp"

namespace bench {

// A staff PIN hash (PIN 1234, libsodium's cheapest Argon2id), so a kiosk goes straight to the
// start screen instead of the first-run setup, and staff can sign in quickly.
inline constexpr const char* kStaffPinHash =
    "$argon2id$v=19$m=8,t=1,p=1$0tkVidadDD7EeRX3LrSX1g$ekRLEqyYgXCWCFvZHQ3Fe4+JfSG2n99yx3gdxeTdf/E";

// Pages of `form_id` filled in like a person would (ticks, digits, block letters, a signature;
// tests/scan/corpus.cpp) at 300 dpi, one per (submission id, file). Made in a child process
// (call it before any thread starts, so fork is safe): the generator's memory and the code it
// runs are not the kiosk's and must not count in the benchmark's figures.
// The file of page `page` (from 1) of a sheet whose first page is `first`: page 1 is `first`
// itself, page N "<stem>-pN<extension>" beside it.
inline std::filesystem::path sheet_page_file(const std::filesystem::path& first, int page) {
  if (page == 1) return first;
  return first.parent_path() / (first.stem().string() + "-p" + std::to_string(page) + first.extension().string());
}

// With `every_page`, each sheet's other pages too (sheet_page_file), as a person brings the
// whole form back.
inline bool make_filled_pages(const forms::Catalogue& catalogue, const forms::Translations& translations,
                              const std::filesystem::path& key_file, const std::string& form_id,
                              const std::vector<std::pair<std::string, std::filesystem::path>>& pages,
                              bool every_page = false) {
  const pid_t child = fork();
  if (child == 0) {
    int code = 0;
    try {
      // Handwritten digits from MNIST where the build fetched it (scripts/fetch-mnist.sh): without
      // them the digit boxes (identity numbers, dates) stay empty.
      std::optional<scanners::MnistDigits> mnist;
      const auto build_dir = std::filesystem::read_symlink("/proc/self/exe").parent_path().parent_path();
      if (const auto dir = scanners::find_mnist_package(build_dir); !dir.empty())
        mnist = scanners::load_mnist_package(dir);
      scancorpus::Generator generator(catalogue, translations, print::MacKey::load_file(key_file),
                                      mnist ? &*mnist : nullptr, 7);
      const int count = every_page ? static_cast<int>(generator.layout(form_id, "nb").pages.size()) : 1;
      for (const auto& [submission, file] : pages)
        for (int page = 1; page <= count; ++page)
          scancorpus::write_image(generator.fill(form_id, "nb", submission, page, 7).grey, sheet_page_file(file, page));
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
// `broker`: the URL the environment's kiosk sends to; by default a closed port (nothing delivered).
inline bool make_demo_env(const std::filesystem::path& dir, const std::string& broker = "amqp://127.0.0.1:9") {
  const auto bin = std::filesystem::read_symlink("/proc/self/exe").parent_path();
  const std::string command =
      (bin / "kioskctl").string() + " demo-env --out " + dir.string() + " --broker " + broker + " > /dev/null";
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
