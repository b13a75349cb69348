#pragma once

namespace kiosk::app {

// After glfwInit: a lost X display (also Xwayland under cage) is noted instead of ending the
// process inside Xlib.
void watch_display_loss();
// The display connection is gone: nothing can be drawn any more.
bool display_lost();

}  // namespace kiosk::app
