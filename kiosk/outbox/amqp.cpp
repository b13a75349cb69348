#include "outbox/amqp.hpp"

#include <proton/ssl.hpp>

namespace kiosk::outbox {

proton::connection_options connection_options(const kiosk::Config& config) {
  proton::connection_options options;
  options.sasl_enabled(true);
  options.idle_timeout(proton::duration(10000));
  options.container_id(config.get_string("site.kiosk_id"));
  const std::string& url = config.get_string("broker.url");
  if (url.rfind("amqps://", 0) == 0) {
    const std::string& cert = config.get_string("broker.tls_client_certificate");
    const std::string& key = config.get_string("broker.tls_client_key");
    const std::string& ca = config.get_string("broker.tls_ca_certificate");
    if (!cert.empty()) {
      proton::ssl_certificate client(cert, key);
      options.ssl_client_options(ca.empty() ? proton::ssl_client_options(client, "/etc/ssl/certs/ca-certificates.crt")
                                            : proton::ssl_client_options(client, ca));
    } else {
      options.ssl_client_options(ca.empty() ? proton::ssl_client_options() : proton::ssl_client_options(ca));
    }
    options.sasl_allowed_mechs("EXTERNAL PLAIN ANONYMOUS");
  } else {
    // Plain amqp:// is for a broker on loopback or in tests.
    options.sasl_allow_insecure_mechs(true);
  }
  return options;
}

std::string queue_address(const kiosk::Config& config, const std::string& queue) {
  if (queue.empty() || queue.front() == '/') return queue;
  return config.get_string("broker.address_prefix") + queue;
}

std::string property(const proton::message& message, const std::string& name) {
  const auto& props = message.properties();
  if (!props.exists(name)) return "";
  try {
    return proton::get<std::string>(props.get(name));
  } catch (const std::exception&) {
    return "";
  }
}

proton::source_options queue_source(const std::string& address) {
  proton::source_options source;
  source.address(address).durability_mode(proton::terminus::CONFIGURATION).expiry_policy(proton::terminus::NEVER);
  return source;
}

}  // namespace kiosk::outbox
