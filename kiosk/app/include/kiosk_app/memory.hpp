#pragma once

namespace kiosk::app {

// The kiosk process's heap policy, set once at the start of main() before any thread runs.
// A scan makes page-sized images (6-9 MB each at 300 dpi) on a worker thread while the UI
// draws and other workers print and commit. With glibc's defaults such blocks stay resident
// after they are freed: the mmap threshold rises to the size of the first large block freed,
// so later ones come from the heap, and every thread gets an arena of its own that keeps its
// free memory. This sends large blocks straight back to the kernel when freed, caps the
// number of arenas and trims the heap sooner, so the process's resident memory follows what
// is in use. Harmless under the sanitizers (their allocator ignores it).
void limit_heap_retention();

// Gives freed heap memory of every arena back to the kernel (after a page is recognised).
void release_free_heap();

}  // namespace kiosk::app
