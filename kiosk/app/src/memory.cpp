#include "kiosk_app/memory.hpp"

#include <malloc.h>

namespace kiosk::app {

void limit_heap_retention() {
  // Fixed values also switch off glibc's dynamic raising of both thresholds.
  mallopt(M_MMAP_THRESHOLD, 256 * 1024);
  mallopt(M_TRIM_THRESHOLD, 2 * 1024 * 1024);
  // The UI thread and the print, scan, outbox and delivery workers share two arenas.
  mallopt(M_ARENA_MAX, 2);
}

void release_free_heap() {
  malloc_trim(0);
}

}  // namespace kiosk::app
