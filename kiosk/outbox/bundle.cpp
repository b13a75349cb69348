#include "outbox/bundle.hpp"

#include <stdexcept>

#include "forms/identity.hpp"
#include "outbox/crypto.hpp"

namespace kiosk::outbox {

using nlohmann::json;

std::string identity_system(const std::string& number) {
  const auto checked = forms::validate_identity_number(number);
  if (checked.valid && checked.kind == forms::IdentityKind::DNummer) return kDNumberSystem;
  if (checked.valid && checked.kind == forms::IdentityKind::HNummer) return kHNumberSystem;
  return kIdentitySystem;
}

namespace {

// The namespace of the Bundle's entries (RFC 4122 name-based UUIDs): each resource's UUID is
// derived from the submission id, so every send of a submission carries the same Bundle.
constexpr const char* kEntryNamespace = "0d6f3b8e-5a41-4f27-9c1e-7b2a64d09f35";

json identity(const std::string& number) {
  return json{{"identifier", {{"system", identity_system(number)}, {"value", number}}}};
}

json her_id(const std::string& id) {
  return json{{"identifier", {{"system", kHerIdSystem}, {"value", id}}}};
}

// An endpoint as a URL: the HER-id's own OID (an arc below the HER-id OID) when the id is a
// number, as HER-ids are.
std::string her_endpoint(const std::string& id) {
  const bool number = !id.empty() && id.find_first_not_of("0123456789") == std::string::npos && id[0] != '0';
  return number ? std::string(kHerIdSystem) + "." + id : std::string(kHerIdSystem);
}

json agent_type(const std::string& code) {
  return json{{"coding", json::array({{{"system", "http://terminology.hl7.org/CodeSystem/provenance-participant-type"},
                                       {"code", code}}})}};
}
}  // namespace

std::string subject_identity(const forms::Questionnaire& form, const forms::Answers& answers) {
  for (const forms::Item* item : form.all_items())
    if (item->input_kind == forms::InputKind::IdentityNumber)
      if (const auto* value = answers.first(item->link_id)) return value->text;
  return "";
}

json build_bundle(const BundleInput& in) {
  if (!in.form || !in.answers) throw std::invalid_argument("build_bundle: form and answers are required");
  const std::string qr_id = name_based_uuid(kEntryNamespace, in.submission_id + "/QuestionnaireResponse");
  const std::string doc_id = name_based_uuid(kEntryNamespace, in.submission_id + "/DocumentReference");
  const std::string prov_id = name_based_uuid(kEntryNamespace, in.submission_id + "/Provenance");
  const std::string header_id = name_based_uuid(kEntryNamespace, in.submission_id + "/MessageHeader");
  const std::string subject =
      in.representation ? in.representation->represented : subject_identity(*in.form, *in.answers);

  json qr = forms::to_questionnaire_response(*in.form, *in.answers, "completed", in.timestamp);
  qr["id"] = qr_id;
  qr["identifier"] = {{"system", kSubmissionSystem}, {"value", in.submission_id}};
  if (!subject.empty()) qr["subject"] = identity(subject);
  if (in.representation && in.representation->type_code != "self")
    qr["author"] = identity(in.representation->representative);

  json focus = json::array({{{"reference", "urn:uuid:" + qr_id}}});
  json entries = json::array();
  json header = {
      {"resourceType", "MessageHeader"},
      {"id", header_id},
      {"eventCoding", {{"system", "http://kiosk.ekstraenkel.no/fhir/message-event"}, {"code", "form-submission"}}},
      {"source",
       {{"name", in.site_name}, {"software", "helsenorge-kiosk"}, {"endpoint", her_endpoint(in.kiosk_her_id)}}},
      {"destination",
       json::array({{{"endpoint", her_endpoint(in.platform_her_id)}, {"receiver", her_id(in.platform_her_id)}}})},
      {"sender", her_id(in.kiosk_her_id)},
      {"focus", focus}};
  json target = json::array({{{"reference", "urn:uuid:" + qr_id}}});

  json document;
  if (!in.pages_pdf.empty()) {
    document = {
        {"resourceType", "DocumentReference"},
        {"id", doc_id},
        {"status", "current"},
        {"type", {{"text", "Skannede sider"}}},
        {"date", in.timestamp},
        {"content",
         json::array({{{"attachment",
                        {{"contentType", "application/pdf"},
                         {"data", in.inline_pdf_placeholder ? std::string(kPdfPlaceholder) : base64(in.pages_pdf)},
                         {"size", in.pages_pdf.size()},
                         {"hash", base64(sha1(in.pages_pdf))},
                         {"extension", json::array({{{"url", kSha256Extension},
                                                     {"valueBase64Binary", sha256_base64(in.pages_pdf)}}})},
                         {"title", in.reference + ".pdf"}}}}})}};
    if (!subject.empty()) document["subject"] = identity(subject);
    header["focus"].push_back({{"reference", "urn:uuid:" + doc_id}});
    target.push_back({{"reference", "urn:uuid:" + doc_id}});
  }

  json agents = json::array();
  agents.push_back({{"type", agent_type("assembler")},
                    {"who",
                     {{"identifier", {{"system", "http://kiosk.ekstraenkel.no/fhir/kiosk-id"}, {"value", in.kiosk_id}}},
                      {"display", in.site_name}}}});
  if (!in.assisted_by.empty()) {
    json who = {{"identifier", {{"system", "http://kiosk.ekstraenkel.no/fhir/staff-id"}, {"value", in.assisted_by}}}};
    if (!in.assisted_by_name.empty()) who["display"] = in.assisted_by_name;
    agents.push_back({{"type", agent_type("enterer")}, {"who", who}});
  }
  json entities = json::array();
  if (in.representation && in.representation->type_code != "self") {
    json role_coding = json::object({{"system", kRepresentationSystem}, {"code", in.representation->type_code}});
    json role = json::object({{"coding", json::array({role_coding})}});
    json agent = json::object();
    agent["type"] = agent_type("author");
    agent["role"] = json::array({role});
    agent["who"] = identity(in.representation->representative);
    agent["onBehalfOf"] = identity(in.representation->represented);
    agents.push_back(agent);
    for (const auto& code : in.representation->evidence)
      entities.push_back(
          {{"role", "source"}, {"what", {{"identifier", {{"system", kEvidenceSystem}, {"value", code}}}}}});
  } else if (!subject.empty()) {
    agents.push_back({{"type", agent_type("author")}, {"who", identity(subject)}});
  }
  json provenance = {{"resourceType", "Provenance"},
                     {"id", prov_id},
                     {"target", target},
                     {"recorded", in.timestamp},
                     {"agent", agents}};
  if (!entities.empty()) provenance["entity"] = entities;

  entries.push_back({{"fullUrl", "urn:uuid:" + header_id}, {"resource", header}});
  entries.push_back({{"fullUrl", "urn:uuid:" + qr_id}, {"resource", qr}});
  if (!document.is_null()) entries.push_back({{"fullUrl", "urn:uuid:" + doc_id}, {"resource", document}});
  entries.push_back({{"fullUrl", "urn:uuid:" + prov_id}, {"resource", provenance}});
  return json{{"resourceType", "Bundle"},
              {"id", in.submission_id},
              {"identifier", {{"system", kSubmissionSystem}, {"value", in.submission_id}}},
              {"type", "message"},
              {"timestamp", in.timestamp},
              {"entry", entries}};
}

std::string build_bundle_text(BundleInput input) {
  const Bytes pdf = input.pages_pdf;
  return fill_bundle_template(build_bundle_template(std::move(input)), pdf);
}

// The PDF is most of the message: its base64 is spliced in after serialising the rest, so
// the JSON writer does not scan and copy half a megabyte character by character.
std::string build_bundle_template(BundleInput input) {
  input.inline_pdf_placeholder = true;
  return build_bundle(input).dump();
}

namespace {
const std::string& quoted_placeholder() {
  static const std::string quoted = std::string("\"") + kPdfPlaceholder + "\"";
  return quoted;
}
}  // namespace

size_t filled_bundle_size(const std::string& bundle_template, size_t pdf_bytes) {
  if (bundle_template.find(quoted_placeholder()) == std::string::npos) return bundle_template.size();
  return bundle_template.size() - std::string(kPdfPlaceholder).size() + (pdf_bytes + 2) / 3 * 4;
}

std::string fill_bundle_template(std::string text, const Bytes& pages_pdf) {
  const size_t at = text.find(quoted_placeholder());
  if (pages_pdf.empty()) {
    if (at != std::string::npos) throw std::runtime_error("the Bundle expects scanned pages, but there are none");
    return text;
  }
  if (at == std::string::npos) throw std::runtime_error("the Bundle has no place for the scanned pages");
  // Only the PDF the template was made for: same size and SHA-256 as stated in it.
  const std::string stated = "\"size\":" + std::to_string(pages_pdf.size()) + ",";
  const std::string hash = "\"valueBase64Binary\":\"" + sha256_base64(pages_pdf) + "\"";
  if (text.find(stated) == std::string::npos || text.find(hash) == std::string::npos)
    throw std::runtime_error("the scanned pages differ from the ones the Bundle was made for (size or SHA-256)");
  return text.replace(at + 1, quoted_placeholder().size() - 2, base64(pages_pdf));
}

BundleSummary read_bundle(const json& bundle) {
  if (!bundle.is_object() || bundle.value("resourceType", "") != "Bundle" || bundle.value("type", "") != "message")
    throw std::runtime_error("not a FHIR message Bundle");
  BundleSummary s;
  s.submission_id = bundle.at("identifier").at("value").get<std::string>();
  bool have_header = false, have_qr = false;
  for (const auto& entry : bundle.at("entry")) {
    const json& r = entry.at("resource");
    const std::string type = r.at("resourceType").get<std::string>();
    if (type == "MessageHeader") {
      have_header = true;
      s.from_her_id = r.at("sender").at("identifier").at("value").get<std::string>();
      if (r.contains("extension"))
        for (const auto& e : r.at("extension"))
          if (e.value("url", "") == kReplacesExtension) s.replaces = e.at("valueId").get<std::string>();
    } else if (type == "QuestionnaireResponse") {
      have_qr = true;
      s.questionnaire_response = r;
      s.form_url = r.at("questionnaire").get<std::string>();
      if (r.contains("subject")) s.subject = r.at("subject").at("identifier").at("value").get<std::string>();
    } else if (type == "DocumentReference") {
      const json& a = r.at("content").at(0).at("attachment");
      s.pdf = from_base64(a.at("data").get<std::string>());
      s.pdf_hash = a.at("hash").get<std::string>();
      if (a.contains("extension"))
        for (const auto& e : a.at("extension"))
          if (e.value("url", "") == kSha256Extension) s.pdf_sha256 = e.at("valueBase64Binary").get<std::string>();
    } else if (type == "Provenance") {
      for (const auto& agent : r.at("agent")) {
        if (!agent.contains("onBehalfOf")) continue;
        s.representative = agent.at("who").at("identifier").at("value").get<std::string>();
        s.subject = agent.at("onBehalfOf").at("identifier").at("value").get<std::string>();
        s.representation_type = agent.at("role").at(0).at("coding").at(0).at("code").get<std::string>();
      }
      if (r.contains("entity"))
        for (const auto& e : r.at("entity"))
          s.evidence.push_back(e.at("what").at("identifier").at("value").get<std::string>());
    }
  }
  if (!have_header || !have_qr) throw std::runtime_error("the Bundle lacks a MessageHeader or QuestionnaireResponse");
  if (s.representation_type.empty()) s.representation_type = "self";
  return s;
}

BundleSummary read_bundle_text(std::string_view text) {
  // Base64 has no quote or backslash, and a quote inside a JSON string is escaped, so
  // "data":" can only start a real "data" member. Lifted out only when there is exactly
  // one and it turns out to be the DocumentReference's attachment; otherwise parse it all.
  static constexpr std::string_view key = "\"data\":\"";
  const size_t at = text.find(key);
  if (at != std::string_view::npos && text.find(key, at + 1) == std::string_view::npos) {
    const size_t begin = at + key.size();
    const size_t end = text.find('"', begin);
    if (end != std::string_view::npos && text.substr(begin, end - begin).find('\\') == std::string_view::npos) {
      std::string rest;
      rest.reserve(text.size() - (end - begin));
      rest.append(text.substr(0, begin)).append(text.substr(end));
      BundleSummary summary = read_bundle(json::parse(rest));
      if (summary.pdf.empty() && !summary.pdf_hash.empty()) {
        summary.pdf = from_base64(std::string(text.substr(begin, end - begin)));
        return summary;
      }
    }
  }
  return read_bundle(json::parse(text));
}

}  // namespace kiosk::outbox
