// Broker checks: a plain TCP connect first (so "network down" and "broker not speaking
// AMQP" read differently), then an AMQP 1.0 open with Qpid Proton, with TLS for amqps://.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <proton/connection.hpp>
#include <proton/connection_options.hpp>
#include <proton/container.hpp>
#include <proton/error_condition.hpp>
#include <proton/messaging_handler.hpp>
#include <proton/receiver.hpp>
#include <proton/receiver_options.hpp>
#include <proton/source.hpp>
#include <proton/transport.hpp>
#include <proton/work_queue.hpp>

#include "admin/checks.hpp"
#include "admin/setup.hpp"
#include "outbox/amqp.hpp"

namespace kiosk::admin {

BrokerAddress parse_broker_url(const std::string& url) {
  BrokerAddress a;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos)
    throw SetupError("The broker address \"" + url + "\" must start with amqp:// or amqps://.");
  a.scheme = url.substr(0, scheme_end);
  if (a.scheme != "amqp" && a.scheme != "amqps")
    throw SetupError("The broker address must start with amqp:// or amqps://, not " + a.scheme + "://.");
  std::string rest = url.substr(scheme_end + 3);
  if (const auto slash = rest.find('/'); slash != std::string::npos) rest = rest.substr(0, slash);
  if (const auto at = rest.rfind('@'); at != std::string::npos) {
    a.user = rest.substr(0, rest.find(':') < at ? rest.find(':') : at);
    rest = rest.substr(at + 1);
  }
  std::string port_text;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string::npos) throw SetupError("The broker address has a \"[\" without \"]\".");
    a.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port_text = rest.substr(close + 2);
  } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    a.host = rest.substr(0, colon);
    port_text = rest.substr(colon + 1);
  } else {
    a.host = rest;
  }
  if (a.host.empty()) throw SetupError("The broker address \"" + url + "\" has no host name.");
  if (port_text.empty()) {
    a.port = a.scheme == "amqps" ? 5671 : 5672;
  } else {
    int port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535)
        throw SetupError("The broker port \"" + port_text + "\" is not a number.");
      port = port * 10 + (c - '0');
    }
    if (port < 1 || port > 65535) throw SetupError("The broker port must be between 1 and 65535.");
    a.port = port;
  }
  return a;
}

namespace {

struct AddrInfoFree {
  void operator()(addrinfo* a) const noexcept { freeaddrinfo(a); }
};

// Empty on success, else the reason in plain words.
std::string tcp_connect(const BrokerAddress& address, std::chrono::milliseconds timeout) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* raw = nullptr;
  const int gai = getaddrinfo(address.host.c_str(), std::to_string(address.port).c_str(), &hints, &raw);
  std::unique_ptr<addrinfo, AddrInfoFree> list(raw);
  if (gai != 0) return "the name \"" + address.host + "\" cannot be looked up (" + gai_strerror(gai) + ")";
  std::string last_error = "no address";
  for (addrinfo* ai = list.get(); ai; ai = ai->ai_next) {
    const int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int error = 0;
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        const int ready = ::poll(&p, 1, static_cast<int>(timeout.count()));
        if (ready == 0) {
          error = ETIMEDOUT;
        } else {
          socklen_t len = sizeof error;
          ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &len);
        }
      } else {
        error = errno;
      }
    }
    ::close(fd);
    if (error == 0) return "";
    last_error =
        error == ETIMEDOUT ? "no answer within " + std::to_string(timeout.count()) + " ms" : std::strerror(error);
  }
  return last_error;
}

// Opens an AMQP connection (and optionally a receiver) and records what happened.
class Probe : public proton::messaging_handler {
 public:
  Probe(std::string url, proton::connection_options options, std::string receive_from,
        std::chrono::milliseconds timeout)
      : url_(std::move(url)), options_(std::move(options)), receive_from_(std::move(receive_from)), timeout_(timeout) {}

  bool succeeded = false;
  std::string error;

  void on_container_start(proton::container& c) override {
    deadline_ = std::chrono::steady_clock::now() + timeout_;
    c.connect(url_, options_);
    tick(c);
  }
  // Proton 0.37 cannot cancel a scheduled task, and run() returns only once none is
  // pending: one timer for the whole timeout would make every probe last that long.
  // Short ticks that stop rescheduling once the probe is done end it within 50 ms.
  void tick(proton::container& c) {
    if (done_) return;
    if (std::chrono::steady_clock::now() >= deadline_) {
      if (!succeeded && error.empty()) error = "no answer within " + std::to_string(timeout_.count()) + " ms";
      done_ = true;
      c.stop();
      return;
    }
    c.schedule(proton::duration(50), [this, &c]() { tick(c); });
  }
  void on_connection_open(proton::connection& conn) override {
    if (receive_from_.empty()) return finish(conn, true);
    auto source = kiosk::outbox::queue_source(receive_from_);
    conn.open_receiver(receive_from_, proton::receiver_options().source(source).credit_window(0));
  }
  void on_receiver_open(proton::receiver& r) override {
    // A broker refuses a link with an attach followed by a detach that carries the
    // reason (AMQP 1.0, 2.6.3). Closing our end and waiting for the broker's detach
    // tells a refused link from an accepted one: the frames arrive in order.
    r.close();
  }
  void on_receiver_close(proton::receiver& r) override {
    if (r.error()) return fail(r.connection(), r.error().what());
    finish(r.connection(), true);
  }
  // RabbitMQ answers our closing detach with a detach that does not say closed=true:
  // Proton reports that as a detach, not a close. It means the same here.
  void on_receiver_detach(proton::receiver& r) override { on_receiver_close(r); }
  void on_receiver_error(proton::receiver& r) override { fail(r.connection(), r.error().what()); }
  void on_connection_error(proton::connection& conn) override { fail(conn, conn.error().what()); }
  void on_transport_error(proton::transport& t) override {
    if (error.empty() && !succeeded) error = t.error().what();
    done_ = true;
    t.connection().container().stop();
  }
  void on_error(const proton::error_condition& e) override {
    if (error.empty() && !succeeded) error = e.what();
  }

 private:
  void finish(proton::connection conn, bool ok) {
    succeeded = ok;
    done_ = true;
    conn.container().stop();
  }
  void fail(proton::connection conn, const std::string& what) {
    if (error.empty()) error = what;
    done_ = true;
    conn.container().stop();
  }

  std::string url_;
  proton::connection_options options_;
  std::string receive_from_;
  std::chrono::milliseconds timeout_;
  std::chrono::steady_clock::time_point deadline_;
  bool done_ = false;
};

// The delivery worker's own settings (SASL, TLS, container id) and queue addresses.
proton::connection_options connection_options(const Config& config, std::chrono::milliseconds timeout) {
  proton::connection_options options = kiosk::outbox::connection_options(config);
  options.idle_timeout(proton::duration(timeout.count()));
  return options;
}
std::string reply_address(const Config& config) {
  return kiosk::outbox::queue_address(config, config.get_string("broker.reply_queue"));
}

// Runs the probe; empty on success, else the reason.
std::string amqp_probe(const Config& config, const std::string& receive_from, std::chrono::milliseconds timeout) {
  try {
    Probe probe(config.get_string("broker.url"), connection_options(config, timeout), receive_from, timeout);
    proton::container container(probe);
    container.run();
    if (probe.succeeded) return "";
    return probe.error.empty() ? "the connection closed without an answer" : probe.error;
  } catch (const std::exception& e) {
    return e.what();
  }
}

}  // namespace

CheckResult check_broker(const Config& config, std::chrono::milliseconds timeout) {
  CheckResult r;
  r.id = "broker";
  r.title = "Message broker";
  const std::string url = config.get_string("broker.url");
  BrokerAddress address;
  try {
    address = parse_broker_url(url);
  } catch (const SetupError& e) {
    r.status = CheckStatus::Failed;
    r.message = e.what();
    r.fix = "Set broker.url, e.g. kioskctl setup --broker amqps://broker.example.no:5671";
    return r;
  }
  const std::string where = address.host + ":" + std::to_string(address.port);
  if (const std::string tcp = tcp_connect(address, timeout); !tcp.empty()) {
    r.status = CheckStatus::Failed;
    r.message = "Cannot reach the broker at " + where + ": " + tcp + ".";
    r.fix =
        "Check the network cable or Wi-Fi, and that broker.url is right. Ask the operator whether the broker is up.";
    return r;
  }
  if (const std::string amqp = amqp_probe(config, "", timeout); !amqp.empty()) {
    r.status = CheckStatus::Failed;
    r.message = "The broker at " + where + " answers, but the AMQP connection failed: " + amqp + ".";
    r.fix = address.scheme == "amqps"
                ? "Check the certificates (broker.tls_*) with the operator, and that the clock is right."
                : "Check that broker.url names an AMQP 1.0 port and that the user and password are right.";
    return r;
  }
  r.message = "Connected to " + where + " over AMQP 1.0" + (address.scheme == "amqps" ? " with TLS." : ".");
  return r;
}

CheckResult check_reply_queue(const Config& config, std::chrono::milliseconds timeout) {
  CheckResult r;
  r.id = "reply-queue";
  r.title = "Reply queue";
  const std::string queue = config.get_string("broker.reply_queue");
  if (queue.empty()) {
    r.status = CheckStatus::Failed;
    r.message = "broker.reply_queue is empty.";
    r.fix = "Set broker.reply_queue to the queue name the operator gave this kiosk.";
    return r;
  }
  try {
    parse_broker_url(config.get_string("broker.url"));  // only checked: the probe connects by URL
  } catch (const SetupError&) {
    r.status = CheckStatus::Skipped;
    r.message = "Not checked: the broker address is not valid.";
    return r;
  }
  if (const std::string amqp = amqp_probe(config, reply_address(config), timeout); !amqp.empty()) {
    r.status = CheckStatus::Failed;
    r.message = "Cannot read from the reply queue \"" + queue + "\": " + amqp + ".";
    r.fix = "Ask the operator to create the queue and give this kiosk access to it, or correct broker.reply_queue.";
    return r;
  }
  r.message = "The reply queue \"" + queue + "\" can be read.";
  return r;
}

}  // namespace kiosk::admin
