// The wipe proven on the process itself: after a session typed on the real screens (headless)
// and wiped, this process's own writable anonymous memory (the heap and anonymous mappings,
// read through /proc/self/mem so freed blocks can be read too) holds neither the identity
// number nor the name that was typed. The test keeps its own copies only XOR-masked, so the
// search cannot find the test's own data. Built with zero_on_free.cpp, as the kiosk is.
// The main thread's stack is searched too, below the test's own frame (the dead frames of
// the flow's, the screens' and ImGui's calls).
#include <doctest/doctest.h>
#include <alloca.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "forms/identity.hpp"
#include "kiosk_test_support.hpp"
#include "kiosk_ui/headless.hpp"

using namespace kiosk;
using flow::Clock;
using flow::Screen;
using namespace std::chrono_literals;

namespace {

constexpr unsigned char kMask = 0xA5;

// A secret the test never holds in plain text: stored masked, unmasked only into a private
// mapping that the search skips.
struct Masked {
  std::vector<unsigned char> bytes;
  explicit Masked(std::string plain) {
    for (char c : plain) bytes.push_back(static_cast<unsigned char>(c) ^ kMask);
    flow::wipe_string(plain);
  }
  char at(size_t i) const { return static_cast<char>(bytes[i] ^ kMask); }
  size_t size() const { return bytes.size(); }
};

// Memory the search does not look at (it holds the needle and what was read).
struct PrivateMap {
  void* base = MAP_FAILED;
  size_t size = 0;
  explicit PrivateMap(size_t n) : size(n) {
    base = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  }
  ~PrivateMap() {
    if (base != MAP_FAILED) {
      std::memset(base, 0, size);
      munmap(base, size);
    }
  }
  char* data() const { return static_cast<char*>(base); }
};

struct Region {
  std::uintptr_t start = 0, end = 0;
  std::string name;
};

// Readable and writable regions that are not files: [heap] and anonymous mappings (malloc
// arenas of other threads, large blocks, ImGui's buffers).
std::vector<Region> anonymous_regions() {
  std::vector<Region> out;
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    std::istringstream in(line);
    std::string range, perms, offset, dev, inode, name;
    in >> range >> perms >> offset >> dev >> inode;
    std::getline(in >> std::ws, name);
    if (perms.size() < 2 || perms[0] != 'r' || perms[1] != 'w') continue;
    if (!name.empty() && name != "[heap]") continue;
    const auto dash = range.find('-');
    out.push_back({std::stoull(range.substr(0, dash), nullptr, 16), std::stoull(range.substr(dash + 1), nullptr, 16),
                   name.empty() ? "anonymous" : name});
  }
  return out;
}

// Where `secret` occurs in those regions (outside the search's own private mapping).
std::vector<std::string> find_in_memory(const Masked& secret) {
  constexpr size_t kChunk = 1 << 20;
  PrivateMap scratch(kChunk + 4096);
  REQUIRE(scratch.base != MAP_FAILED);
  char* needle = scratch.data() + kChunk;
  for (size_t i = 0; i < secret.size(); ++i) needle[i] = secret.at(i);
  const auto skip_from = reinterpret_cast<std::uintptr_t>(scratch.data());
  const auto skip_to = skip_from + scratch.size;
  const int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  REQUIRE(mem >= 0);
  std::vector<std::string> hits;
  for (const auto& r : anonymous_regions()) {
    if (r.start >= skip_from && r.end <= skip_to) continue;
    // Sanitizer shadow memory and reserved allocator space are terabytes of untouched pages:
    // no value can be there, and reading them would take minutes.
    if (r.end - r.start > (std::uintptr_t{1} << 30)) continue;
    for (std::uintptr_t at = r.start; at < r.end; at += kChunk - secret.size()) {
      const size_t want = std::min<std::uintptr_t>(kChunk, r.end - at);
      const ssize_t got = pread(mem, scratch.data(), want, static_cast<off_t>(at));
      if (got <= 0) break;
      const char* found =
          static_cast<const char*>(memmem(scratch.data(), static_cast<size_t>(got), needle, secret.size()));
      while (found) {
        const auto address = at + static_cast<std::uintptr_t>(found - scratch.data());
        if (address < skip_from || address >= skip_to) {
          std::ostringstream where;
          where << r.name << " at 0x" << std::hex << address;
          hits.push_back(where.str());
        }
        const size_t rest = static_cast<size_t>(got) - static_cast<size_t>(found - scratch.data()) - 1;
        found = static_cast<const char*>(memmem(found + 1, rest, needle, secret.size()));
      }
      if (at + want >= r.end) break;
    }
  }
  close(mem);
  std::memset(needle, 0, secret.size());
  return hits;
}

// Where `secret` occurs in this (the main) thread's stack below the search's own frame: the
// frames of every call that has returned (the flow, the screens, ImGui), which nothing
// overwrites by itself. The live frames above are the test's own.
__attribute__((noinline)) std::vector<std::string> find_in_dead_stack(const Masked& secret) {
  // This call's own frame: below it lie only frames of calls that have returned.
  const auto frame = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
  std::uintptr_t start = 0, end = 0;
  {
    std::ifstream maps("/proc/self/maps");
    std::string line;
    while (std::getline(maps, line))
      if (line.find("[stack]") != std::string::npos) {
        const auto dash = line.find('-');
        start = std::stoull(line.substr(0, dash), nullptr, 16);
        end = std::stoull(line.substr(dash + 1), nullptr, 16);
      }
  }
  REQUIRE(start != 0);
  REQUIRE(frame > start);
  REQUIRE(frame <= end);
  PrivateMap copy(frame - start + 4096);
  REQUIRE(copy.base != MAP_FAILED);
  // One read into the private mapping: the search itself then runs on memory it does not search.
  const int mem = open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  REQUIRE(mem >= 0);
  const ssize_t got = pread(mem, copy.data(), frame - start, static_cast<off_t>(start));
  close(mem);
  REQUIRE(got == static_cast<ssize_t>(frame - start));
  char* needle = copy.data() + (frame - start);
  for (size_t i = 0; i < secret.size(); ++i) needle[i] = secret.at(i);
  std::vector<std::string> hits;
  const char* at = copy.data();
  const char* stop = copy.data() + got;
  while (const char* found =
             static_cast<const char*>(memmem(at, static_cast<size_t>(stop - at), needle, secret.size()))) {
    std::ostringstream where;
    where << "[stack] at 0x" << std::hex << start + static_cast<std::uintptr_t>(found - copy.data()) << " (" << std::dec
          << frame - (start + static_cast<std::uintptr_t>(found - copy.data())) << " bytes below the test)";
    hits.push_back(where.str());
    at = found + 1;
  }
  return hits;
}

// Leaves `secret` in a dead stack frame about 48 KiB below the caller, as a deep call that
// handled the typed text would (a library's parser, a formatting routine).
__attribute__((noinline)) void leave_on_stack(const Masked& secret) {
  constexpr size_t kDepth = 48 * 1024;
  auto* deep = static_cast<char*>(alloca(kDepth));
  for (size_t i = 0; i < secret.size(); ++i) deep[i] = secret.at(i);
  asm volatile("" : : "r"(deep) : "memory");  // the stores are kept although nothing reads them
}

void type(ui::HeadlessUi& ui, flow::Flow& f, const Masked& text, Clock::time_point now) {
  for (size_t i = 0; i < text.size(); ++i) {
    char key[8] = {'k', 'e', 'y', '.', text.at(i), 0};
    REQUIRE(ui.touch(f, key, now));
    std::memset(key, 0, sizeof key);
  }
}

}  // namespace

TEST_CASE("wipe: the typed identity number and name are not left anywhere in the process's memory") {
  const auto& assets = kiosk_test::Assets::get();
  kiosk_test::Services services;
  flow::FlowOptions options;
  auto now = Clock::now();
  // A random synthetic number and name, so nothing else in the process holds them by chance.
  std::random_device random;
  std::optional<Masked> number;
  for (int tries = 0; tries < 200 && !number; ++tries) {
    auto n =
        forms::make_identity_number({1950, 1 + static_cast<int>(random() % 12), 1 + static_cast<int>(random() % 28)},
                                    forms::IdentityKind::SyntheticTest, 100 + static_cast<int>(random() % 400));
    if (n) number.emplace(std::move(*n));
  }
  REQUIRE(number);
  std::string letters;
  for (int i = 0; i < 14; ++i) letters += static_cast<char>('a' + random() % 26);
  const Masked name(letters);
  // The letter keyboard gives names their capital: search for the part after the first letter.
  std::string tail_plain;
  for (size_t i = 1; i < name.size(); ++i) tail_plain += name.at(i);
  const Masked name_tail(tail_plain);
  flow::wipe_string(letters);  // short strings live in the test's own stack frame
  flow::wipe_string(tail_plain);

  {
    // On the heap, as in the kiosk: the search looks at the heap and anonymous mappings.
    auto flow_on_heap = std::make_unique<flow::Flow>(assets.all_types, assets.translations, assets.rules, options,
                                                     services.make(), now);
    auto& f = *flow_on_heap;
    ui::HeadlessUi ui;
    REQUIRE(ui.touch(f, "choice.language.nb", now));
    namespace in = flow::intent;
    f.apply(in::ChooseCategory{assets.all_types.forms().front().category}, now);
    f.apply(in::ChooseSomeoneElse{}, now);
    f.apply(in::ChooseRepresentation{"power-of-attorney"}, now);
    f.apply(in::FillIn{}, now);
    REQUIRE(f.screen() == Screen::RepresentativeId);
    const auto representative = Masked(kiosk_test::synthetic_number({1980, 1, 15}));
    type(ui, f, representative, now);
    REQUIRE(ui.touch(f, "choice.next", now));
    REQUIRE(f.screen() == Screen::RepresentedId);
    type(ui, f, *number, now);
    REQUIRE(ui.touch(f, "choice.next", now));
    REQUIRE(f.screen() == Screen::Question);
    // Text questions until one takes the name; the typed name is then also an answer.
    for (int guard = 0; guard < 20 && f.screen() == Screen::Question; ++guard) {
      const auto model = f.screen_model();
      if (model.input && model.input->keyboard == flow::Keyboard::Letters) {
        type(ui, f, name, now);
        REQUIRE(ui.touch(f, "choice.next", now));
        break;
      }
      if (!ui.touch(f, "choice.skip", now)) break;
    }
    for (int i = 0; i < 5; ++i) ui.look(f, now);
    // The search finds them while the session is on: it can find what it looks for.
    REQUIRE(!find_in_memory(*number).empty());
    REQUIRE(!find_in_memory(name_tail).empty());

    // The stack search sees what a returned call left in its frame.
    leave_on_stack(*number);
    REQUIRE(!find_in_dead_stack(*number).empty());

    ui.look(f, now + 10min);  // inactivity: everything is wiped
    REQUIRE(f.screen() == Screen::Start);
    REQUIRE(f.wipe_count() == 1);
    for (int i = 0; i < 5; ++i) ui.look(f, now + 10min);

    // The main thread's stack below the test: every frame the session's calls left behind.
    const auto stack_number = find_in_dead_stack(*number);
    const auto stack_name = find_in_dead_stack(name_tail);
    for (const auto& hit : stack_number) MESSAGE("identity number still on the stack: " << hit);
    for (const auto& hit : stack_name) MESSAGE("name still on the stack: " << hit);
    CHECK(stack_number.empty());
    CHECK(stack_name.empty());

    const auto number_hits = find_in_memory(*number);
    const auto name_hits = find_in_memory(name_tail);
    for (const auto& hit : number_hits) MESSAGE("identity number still in memory: " << hit);
    for (const auto& hit : name_hits) MESSAGE("name still in memory: " << hit);
    CHECK(number_hits.empty());
    CHECK(name_hits.empty());
  }
}
