// The one way the kiosk starts other programs (kiosk/core/subprocess.hpp): input through a pipe,
// output and errors back apart, a deadline that kills a hung child, a plain error when the
// program is missing, and nothing of this process handed on when asked.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "subprocess.hpp"
#include "unique_fd.hpp"

using kiosk::ChildProcess;
using namespace std::chrono_literals;

namespace {

ChildProcess::Options pipes() {
  ChildProcess::Options o;
  o.search_path = true;
  o.input_pipe = o.output_pipe = o.errors_pipe = true;
  return o;
}

}  // namespace

TEST_CASE("subprocess: input goes in through a pipe, output and errors come back apart, with the exit code") {
  ChildProcess child("sh", {"-c", "cat; echo oops >&2; exit 3"}, pipes());
  child.write_input("a key\n");
  const auto got = child.collect(10s);
  CHECK(!got.timed_out);
  CHECK(got.out == "a key\n");
  CHECK(got.err == "oops\n");
  const auto ended = child.wait_status();
  CHECK(ended.code == 3);
  CHECK(ended.signal == 0);
}

TEST_CASE("subprocess: a child that hangs is killed at the deadline") {
  ChildProcess child("sh", {"-c", "echo started; exec sleep 30"}, pipes());
  child.write_input("");
  int waited = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto got = child.collect(300ms, [&] { ++waited; });
  CHECK(got.timed_out);
  CHECK(got.out == "started\n");
  CHECK(waited >= 3);  // called at least every 50 ms
  const auto ended = child.wait_status();
  CHECK(ended.signal == SIGKILL);
  CHECK(ended.code == -1);
  CHECK(std::chrono::steady_clock::now() - start < 10s);
}

TEST_CASE("subprocess: a program that is not there cannot start, with the reason") {
  auto o = pipes();
  o.search_path = false;
  try {
    ChildProcess child("/nonexistent/kiosk-program", {}, o);
    FAIL("started a program that does not exist");
  } catch (const ChildProcess::StartError& e) {
    CHECK(e.error == ENOENT);
    CHECK(!e.no_pipe);
    CHECK(std::string(e.what()).find("/nonexistent/kiosk-program") != std::string::npos);
  }
  o.search_path = true;
  CHECK_THROWS_AS(ChildProcess("no-such-kiosk-program-in-path", {}, o), ChildProcess::StartError);
}

TEST_CASE("subprocess: errors go to their own file and nothing else of this process is handed on when asked") {
  const auto log = std::filesystem::temp_directory_path() / ("kiosk-subprocess-" + std::to_string(::getpid()));
  // Opened without close-on-exec: a child gets it unless the other descriptors are closed.
  kiosk::UniqueFd inherited(::open("/dev/null", O_RDONLY));
  REQUIRE(inherited.fd > 2);
  const std::string probe = "test -e /proc/self/fd/" + std::to_string(inherited.fd) + " && echo open || echo closed";
  for (bool close_others : {false, true}) {
    ChildProcess::Options o;
    o.search_path = true;
    o.output_pipe = true;
    o.errors_file = log;
    o.close_other_fds = close_others;
    ChildProcess child("sh", {"-c", probe + "; echo to-the-log >&2"}, o);
    CHECK(child.collect(10s).out == (close_others ? "closed\n" : "open\n"));
    CHECK(child.wait() == 0);
    std::ifstream file(log);
    std::stringstream text;
    text << file.rdbuf();
    CHECK(text.str() == "to-the-log\n");
    CHECK((std::filesystem::status(log).permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
    std::filesystem::remove(log);
  }
}
