#include "outbox/heap.hpp"

#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>

namespace kiosk::outbox {

void use_message_heap_policy() {
  constexpr std::size_t kHugePage = 2u << 20;
  // Address space only: the resident size grows as the heap is used.
  constexpr int kProbe = 16 << 20, kReserve = 96 << 20;
  mallopt(M_ARENA_MAX, 1);
  mallopt(M_MMAP_THRESHOLD, 32 << 20);  // glibc's maximum; above it a buffer would be mmapped
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  // Grow the heap once by the reserve (malloc touches only the chunk headers), give it back
  // to the heap's free top, and ask for huge pages on that range. Best effort: without
  // transparent huge pages madvise fails and the heap simply uses small pages.
  mallopt(M_TOP_PAD, kReserve - kProbe);
  const auto before = reinterpret_cast<std::uintptr_t>(sbrk(0));
  // Written to, so that the compiler cannot drop the malloc/free pair.
  auto* volatile probe = static_cast<char*>(std::malloc(kProbe));
  if (probe) probe[0] = 0;
  const auto after = reinterpret_cast<std::uintptr_t>(sbrk(0));
  std::free(probe);
  mallopt(M_TOP_PAD, 16 << 20);
  if (before == static_cast<std::uintptr_t>(-1) || after <= before) return;
  const std::uintptr_t start = (before + kHugePage - 1) & ~(kHugePage - 1);
  const std::uintptr_t end = after & ~(kHugePage - 1);
  if (end > start) madvise(reinterpret_cast<void*>(start), end - start, MADV_HUGEPAGE);
}

}  // namespace kiosk::outbox
