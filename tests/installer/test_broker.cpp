// The broker checks against real peers on loopback: a Qpid Proton AMQP 1.0 listener that
// plays the broker, a TCP server that does not speak AMQP, and a closed port.
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include <proton/connection.hpp>
#include <proton/container.hpp>
#include <proton/error_condition.hpp>
#include <proton/listen_handler.hpp>
#include <proton/listener.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/sender.hpp>
#include <proton/source.hpp>
#include <proton/transport.hpp>

#include "admin/checks.hpp"
#include "admin/setup.hpp"
#include "test_support.hpp"

using namespace kiosk::admin;
using kiosk_test::contains;

namespace {

// An AMQP 1.0 peer that accepts connections and lets clients read any queue except "missing".
class LoopbackBroker : public proton::messaging_handler {
 public:
  LoopbackBroker() : thread_([this] { run(); }) { port_ = port_promise_.get_future().get(); }
  LoopbackBroker(const LoopbackBroker&) = delete;
  LoopbackBroker& operator=(const LoopbackBroker&) = delete;
  ~LoopbackBroker() override {
    container_.stop();
    thread_.join();
  }
  int port() const { return port_; }

  void on_sender_open(proton::sender& s) override {
    if (s.source().address().ends_with("missing")) {  // with or without broker.address_prefix
      s.close(proton::error_condition("amqp:not-found", "no queue named missing"));
      return;
    }
    s.open();
  }
  // The doctor's plain TCP probe connects and leaves without a protocol header: not an error here.
  void on_transport_error(proton::transport&) override {}
  void on_error(const proton::error_condition&) override {}

 private:
  struct OnListen : proton::listen_handler {
    std::promise<int>* port;
    void on_open(proton::listener& l) override { port->set_value(l.port()); }
  };
  void run() {
    OnListen on_listen;
    on_listen.port = &port_promise_;
    container_.listen("127.0.0.1:0", on_listen);
    container_.run();
  }
  std::promise<int> port_promise_;
  proton::container container_{*this};
  int port_ = 0;
  std::thread thread_;
};

// Accepts one connection, answers with HTTP and closes: reachable, but not a broker.
class NotABroker {
 public:
  NotABroker() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    ::listen(fd_, 4);
    thread_ = std::thread([this] {
      // Two connections: the TCP probe and the AMQP attempt.
      for (int i = 0; i < 2; ++i) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        const char reply[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
        (void)!::write(c, reply, sizeof reply - 1);
        ::close(c);
      }
    });
  }
  NotABroker(const NotABroker&) = delete;
  NotABroker& operator=(const NotABroker&) = delete;
  ~NotABroker() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
  std::thread thread_;
};

kiosk::Config config_for(const std::string& url, const std::string& reply_queue = "kiosk-0001_async") {
  kiosk::Config c;
  c.set("broker.url", url);
  c.set("broker.reply_queue", reply_queue);
  return c;
}

const std::chrono::milliseconds timeout{2000};

}  // namespace

TEST_CASE("broker url: schemes, default ports, users, IPv6 and mistakes") {
  auto a = parse_broker_url("amqps://broker.example.no");
  CHECK(a.scheme == "amqps");
  CHECK(a.host == "broker.example.no");
  CHECK(a.port == 5671);
  auto b = parse_broker_url("amqp://kiosk:secret@127.0.0.1:5673/vhost");
  CHECK(b.user == "kiosk");
  CHECK(b.host == "127.0.0.1");
  CHECK(b.port == 5673);
  CHECK(parse_broker_url("amqp://[::1]:5672").host == "::1");
  CHECK(parse_broker_url("amqp://host").port == 5672);
  CHECK_THROWS_WITH_AS(parse_broker_url("http://x"), doctest::Contains("amqp://"), SetupError);
  CHECK_THROWS_AS(parse_broker_url("broker.example.no:5671"), SetupError);
  CHECK_THROWS_AS(parse_broker_url("amqp://:5672"), SetupError);
  CHECK_THROWS_AS(parse_broker_url("amqp://host:99999"), SetupError);
  CHECK_THROWS_AS(parse_broker_url("amqp://host:56x2"), SetupError);
}

TEST_CASE("broker check: a real AMQP 1.0 peer on loopback is reachable and its reply queue readable") {
  LoopbackBroker broker;
  const auto config = config_for("amqp://127.0.0.1:" + std::to_string(broker.port()));
  auto r = check_broker(config, timeout);
  CHECK_MESSAGE(r.status == CheckStatus::Ok, r.message);
  auto q = check_reply_queue(config, timeout);
  CHECK_MESSAGE(q.status == CheckStatus::Ok, q.message);

  auto missing = check_reply_queue(config_for(config.get_string("broker.url"), "missing"), timeout);
  CHECK(missing.status == CheckStatus::Failed);
  CHECK(contains(missing.message, "\"missing\""));
  CHECK(contains(missing.fix, "operator"));
}

TEST_CASE("broker check: a closed port and a server that is not a broker are told apart") {
  auto closed = check_broker(config_for("amqp://127.0.0.1:" + std::to_string(kiosk_test::free_port())), timeout);
  CHECK(closed.status == CheckStatus::Failed);
  CHECK(contains(closed.message, "Cannot reach the broker"));
  CHECK(contains(closed.fix, "network"));

  NotABroker http;
  auto wrong = check_broker(config_for("amqp://127.0.0.1:" + std::to_string(http.port())), timeout);
  CHECK(wrong.status == CheckStatus::Failed);
  CHECK(contains(wrong.message, "answers, but the AMQP connection failed"));

  auto bad_url = check_broker(config_for("rabbit://x"), timeout);
  CHECK(bad_url.status == CheckStatus::Failed);
  CHECK(contains(bad_url.fix, "broker.url"));
}
