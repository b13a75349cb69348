#pragma once

namespace kiosk::flow {

// Worker threads call wake_ui() when a result is ready, so a UI thread that sleeps until
// something happens (the kiosk's window waits for events) draws the result at once instead
// of at its next timeout. The flow and the services know nothing of the window: the window
// installs the hook (GLFW's glfwPostEmptyEvent) while it is open.
using WakeHook = void (*)();

// Installs `hook` (nullptr removes it). Returns once no call of the previous hook is running,
// so the window can close its display right after removing it.
void set_wake_hook(WakeHook hook);

// Calls the hook, if any. Safe from any thread; a no-op without a window.
void wake_ui();

}  // namespace kiosk::flow
