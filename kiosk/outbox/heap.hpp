#pragma once

namespace kiosk::outbox {

// Heap policy for the processes that move half-megabyte messages all the time (kioskctl
// queue deliver, platform-sim); not for the kiosk itself, which saves memory instead
// (kiosk/app/src/memory.cpp). Call it before the process starts any thread.
//
// Every message passes through several ~0.5 MB buffers (store blobs, PDF, base64, CMS,
// AMQP encoding, delivery frames). Freed memory stays in the heap (no trimming, no mmap
// per buffer), all threads share one heap so that a buffer freed by one thread is reused
// by the next, and the heap is backed by transparent huge pages where the kernel offers
// them: on this machine first touches of fresh 4 KiB pages (~15 us each in the VM) were
// ~100 page faults and ~2 ms of CPU per delivered message in a freshly started process.
void use_message_heap_policy();

}  // namespace kiosk::outbox
