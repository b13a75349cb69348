#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "forms/answers.hpp"
#include "forms/questionnaire.hpp"
#include "store/sqlite.hpp"

namespace kiosk::outbox {

using store::Bytes;

// Identity-number systems (the Norwegian OIDs per kind): fødselsnummer, D-number, H-number.
inline constexpr const char* kIdentitySystem = "urn:oid:2.16.578.1.12.4.1.4.1";
inline constexpr const char* kDNumberSystem = "urn:oid:2.16.578.1.12.4.1.4.2";
inline constexpr const char* kHNumberSystem = "urn:oid:2.16.578.1.12.4.1.4.3";
// HER-id (Adresseregisteret): identifies the kiosk and the platform; their endpoints are this OID's arcs.
inline constexpr const char* kHerIdSystem = "urn:oid:2.16.578.1.12.4.1.2";
// On the MessageHeader of a submission sent again after a rejection: the message-id it replaces.
inline constexpr const char* kReplacesExtension =
    "http://kiosk.ekstraenkel.no/fhir/StructureDefinition/replaces-message";
// Attachment.hash is SHA-1 (FHIR R4); the SHA-256 of the same data goes in this extension.
inline constexpr const char* kSha256Extension =
    "http://kiosk.ekstraenkel.no/fhir/StructureDefinition/attachment-sha256";
inline constexpr const char* kSubmissionSystem = "http://kiosk.ekstraenkel.no/fhir/submission";
inline constexpr const char* kRepresentationSystem = forms::kRepresentationTypeSystem;
inline constexpr const char* kEvidenceSystem = "http://kiosk.ekstraenkel.no/fhir/CodeSystem/attachment";

struct RepresentationInfo {
  std::string type_code;              // e.g. "power-of-attorney"
  std::string representative;         // identity number of the person acting
  std::string represented;            // identity number of the person the form is about
  std::vector<std::string> evidence;  // attachment codes provided
};

struct BundleInput {
  std::string submission_id;  // also the AMQP message-id
  std::string reference;      // short reference shown to the citizen
  std::string timestamp;      // ISO 8601
  const forms::Questionnaire* form = nullptr;
  const forms::Answers* answers = nullptr;
  Bytes pages_pdf;  // the scanned pages as one PDF; empty when none
  std::string kiosk_id;
  std::string site_name;
  std::string kiosk_her_id;
  std::string platform_her_id;
  std::string assisted_by;       // staff member id, empty when the citizen was alone
  std::string assisted_by_name;  // the member's name, shown as the agent's display (may be empty)
  std::optional<RepresentationInfo> representation;
  bool inline_pdf_placeholder = false;  // internal: see build_bundle_text
};

inline constexpr const char* kPdfPlaceholder = "@@KIOSK-PDF-BASE64@@";

// The FHIR R4 message Bundle: MessageHeader, QuestionnaireResponse, DocumentReference
// (the pages as PDF with SHA-256) and Provenance (kiosk, staff, representative acting
// onBehalfOf the represented person with authority and evidence).
nlohmann::json build_bundle(const BundleInput& input);
// The same Bundle as compact JSON text, built faster for large page PDFs.
std::string build_bundle_text(BundleInput input);
// The two halves of build_bundle_text: the Bundle text with a placeholder where the PDF's
// base64 goes (size and SHA-256 of the PDF already in it; small, cheap to build), and
// that text with the PDF spliced in. fill_bundle_template throws std::runtime_error when
// the PDF is not the one the template was made for (size or SHA-256 differ).
std::string build_bundle_template(BundleInput input);
std::string fill_bundle_template(std::string bundle_template, const Bytes& pages_pdf);
// The length of fill_bundle_template's result, without building it.
size_t filled_bundle_size(const std::string& bundle_template, size_t pdf_bytes);

// The identity number of the person the form is about: the first identity-number item.
std::string subject_identity(const forms::Questionnaire& form, const forms::Answers& answers);

// What a receiver reads back out of a Bundle.
struct BundleSummary {
  std::string submission_id;  // Bundle.identifier: the message-id
  std::string replaces;       // the message-id this one replaces (kReplacesExtension), if any
  std::string form_url;
  std::string from_her_id;
  std::string subject;         // represented person
  std::string representative;  // empty for "self"
  std::string representation_type;
  std::vector<std::string> evidence;
  nlohmann::json questionnaire_response;
  Bytes pdf;
  std::string pdf_hash;    // Attachment.hash as stated in the Bundle: SHA-1, base64
  std::string pdf_sha256;  // the SHA-256 extension, base64
};

// The identifier system for an identity number, by its kind (D-number, H-number, else fødselsnummer).
std::string identity_system(const std::string& number);
// Throws std::runtime_error describing what is missing.
BundleSummary read_bundle(const nlohmann::json& bundle);
// The same from the Bundle's JSON text, faster for a large PDF: its base64 is lifted out
// before the JSON parser sees the text (the parser copies strings character by character).
BundleSummary read_bundle_text(std::string_view text);

}  // namespace kiosk::outbox
