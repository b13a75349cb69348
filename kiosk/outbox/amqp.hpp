#pragma once
#include <string>

#include <proton/connection_options.hpp>
#include <proton/message.hpp>
#include <proton/source_options.hpp>

#include "config.hpp"

namespace kiosk::outbox {

inline constexpr const char* kContentType = "application/pkcs7-mime; smime-type=signed-and-enveloped-data";
inline constexpr const char* kSubmissionFunction = "KIOSK_SKJEMA";
inline constexpr const char* kReceiptFunction = "KIOSK_KVITTERING";
// Staff ask the platform to withdraw a submission it already has (Outbox::request_withdrawal):
// a message of its own, answered with a receipt for the request's message-id.
inline constexpr const char* kWithdrawFunction = "KIOSK_TILBAKEKALL";
inline constexpr long long kMessageTtlMs = 4LL * 24 * 3600 * 1000;  // asynchronous messages live 4 days

// Connection options for broker.url: SASL PLAIN/ANONYMOUS on amqp:// (loopback and tests),
// TLS with the client certificate from broker.tls_* on amqps://.
proton::connection_options connection_options(const kiosk::Config& config);

// A queue name as an AMQP address (broker.address_prefix + name), unless already an address.
std::string queue_address(const kiosk::Config& config, const std::string& queue);

// The source of a link that reads a queue (the reply queue): durable and never expiring, the
// same on every link (delivery worker, doctor, simulator). RabbitMQ declares the queue from the
// first link and refuses a later one whose durability differs ("inequivalent arg 'durable'").
proton::source_options queue_source(const std::string& address);

// Reads an application property as text, empty when absent.
std::string property(const proton::message& message, const std::string& name);

}  // namespace kiosk::outbox
