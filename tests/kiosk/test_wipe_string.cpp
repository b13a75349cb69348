// The wipe checked on the memory itself. This binary is built WITHOUT zero_on_free.cpp, so a
// freed block keeps what it held unless the wipe overwrote it first: a plain clear() (or a
// clear() and shrink_to_fit()) leaves the value behind and fails here. Freed blocks are read
// through /proc/self/mem (a read the kernel does, which sanitizers do not count as a use).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <string>

#include "kiosk_flow/session.hpp"

using namespace kiosk;

namespace {

// The allocator writes its own bookkeeping (free-list pointers) into the first bytes of a
// freed block; the value must be gone from the rest of it.
constexpr std::size_t kAllocatorBytes = 16;

struct Buffer {
  const char* at;
  std::size_t size;
};

// Whether any byte of `value` (past the allocator's bytes) is still where it was. Read into a
// buffer on the stack: a heap buffer of the same size would be the freed block itself.
bool still_there(const Buffer& b, const std::string& value) {
  std::array<char, 256> now{};
  REQUIRE(b.size <= now.size());
  const int mem = ::open("/proc/self/mem", O_RDONLY | O_CLOEXEC);
  REQUIRE(mem >= 0);
  const ssize_t got = ::pread(mem, now.data(), b.size, static_cast<off_t>(reinterpret_cast<std::uintptr_t>(b.at)));
  ::close(mem);
  REQUIRE(got == static_cast<ssize_t>(b.size));
  for (std::size_t i = kAllocatorBytes; i < value.size() && i < b.size; ++i)
    if (now[i] == value[i]) return true;
  return false;
}

Buffer heap_buffer(const std::string& s) {
  REQUIRE(s.capacity() > 15);  // on the heap, not in the string's own small buffer
  return {s.data(), s.size()};
}

}  // namespace

TEST_CASE("wipe overwrites a session's strings before releasing them") {
  const std::string secret_value = "12345678901-a-long-value-beyond-small-string-buffer";
  std::string value = secret_value;
  const Buffer value_buffer = heap_buffer(value);
  flow::wipe_string(value);
  const bool value_left = still_there(value_buffer, secret_value);
  CHECK(value.empty());
  CHECK(value.capacity() < 32);  // the heap buffer was released ...
  CHECK_FALSE(value_left);       // ... after being overwritten

  // A shorter value in a buffer that once held a longer one: the whole buffer is overwritten.
  std::string reused = secret_value;
  reused = "short but still on the heap!";
  const Buffer whole{reused.data(), secret_value.size()};
  flow::wipe_string(reused);
  CHECK_FALSE(still_there(whole, secret_value));

  flow::Session session;
  const std::string typed = "Kari Nordmann and more text to leave the small buffer";
  const std::string represented = "01018012371 and more text to leave the small buffer";
  session.typed = typed;
  session.representation.represented_id = represented;
  session.answers.set("x", forms::AnswerValue::of_string("secret value that is long enough"));
  const Buffer typed_buffer = heap_buffer(session.typed);
  const Buffer represented_buffer = heap_buffer(session.representation.represented_id);
  session.wipe();
  const bool typed_left = still_there(typed_buffer, typed);
  const bool represented_left = still_there(represented_buffer, represented);
  CHECK(session.typed.empty());
  CHECK(session.representation.represented_id.empty());
  CHECK(session.answers.values.empty());
  CHECK_FALSE(typed_left);
  CHECK_FALSE(represented_left);
}
