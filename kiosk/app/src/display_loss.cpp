// Losing the display (the compositor or X server restarts) must not kill the kiosk in the
// middle of Xlib: by default Xlib prints "X connection broken" and calls exit(), with the
// services' threads still running and the scanned pages still in their folder. Here it only
// notes the loss; the window reports it, the loop ends, and main() closes the services and
// exits with an error, so the service unit starts the kiosk again on its start screen.
// Apart from window.cpp so that Xlib's macros (None, Bool, Status) stay out of the UI code.
#define GLFW_INCLUDE_NONE
#include <GLFW/glfw3.h>
#define GLFW_EXPOSE_NATIVE_X11
#include <GLFW/glfw3native.h>

#include <atomic>

#include "display_loss.hpp"

namespace kiosk::app {

namespace {

std::atomic<bool> lost{false};

int on_io_error(Display*) {
  lost = true;
  return 0;
}

// Returning (instead of exiting) leaves the connection dead: Xlib calls on it do nothing.
void on_io_error_exit(Display*, void*) {
  lost = true;
}

}  // namespace

void watch_display_loss() {
  if (Display* display = glfwGetX11Display()) {
    XSetIOErrorHandler(on_io_error);
    XSetIOErrorExitHandler(display, on_io_error_exit, nullptr);
  }
}

bool display_lost() {
  return lost;
}

}  // namespace kiosk::app
