# One interface target carries the project's warning and sanitizer flags, so every
# project target gets the same ones and third-party code is left alone.
add_library(kiosk_compile_options INTERFACE)
target_compile_options(kiosk_compile_options INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast
  -Wcast-align -Woverloaded-virtual -Wformat=2)
if(KIOSK_WERROR)
  target_compile_options(kiosk_compile_options INTERFACE -Werror)
endif()
if(KIOSK_SANITIZE)
  target_compile_options(kiosk_compile_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(kiosk_compile_options INTERFACE -fsanitize=address,undefined)
endif()
