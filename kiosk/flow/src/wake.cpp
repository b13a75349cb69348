#include "kiosk_flow/wake.hpp"

#include <mutex>

namespace kiosk::flow {

namespace {
// The lock makes removing the hook wait for a wake-up in flight on a worker thread.
std::mutex hook_mutex;
WakeHook current_hook = nullptr;
}  // namespace

void set_wake_hook(WakeHook hook) {
  std::lock_guard lock(hook_mutex);
  current_hook = hook;
}

void wake_ui() {
  std::lock_guard lock(hook_mutex);
  if (current_hook) current_hook();
}

}  // namespace kiosk::flow
