#include "kiosk_staff/held.hpp"

#include <fstream>
#include <iterator>
#include <system_error>

#include <nlohmann/json.hpp>
#include <sodium.h>

namespace kiosk::staff {

namespace {

using nlohmann::json;

json value_json(const forms::AnswerValue& v) {
  return json{{"kind", static_cast<int>(v.kind)}, {"b", v.boolean}, {"i", v.integer}, {"t", v.text}};
}

forms::AnswerValue value_from(const json& j) {
  forms::AnswerValue v;
  v.kind = static_cast<forms::AnswerValue::Kind>(j.at("kind").get<int>());
  v.boolean = j.at("b").get<bool>();
  v.integer = j.at("i").get<long long>();
  v.text = j.at("t").get<std::string>();
  return v;
}

store::Bytes read_file(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read the scanned page " + file.filename().string());
  return store::Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

std::string require_id(store::HeldSheets& sheets, const std::string& reference) {
  const auto row = sheets.find(reference);
  if (!row)
    throw store::StoreError(store::StoreError::Kind::NotFound,
                            "There is no sheet held with reference " + reference + " (already decided?).");
  return row->id;
}

}  // namespace

store::Bytes encode_held(const flow::Submission& s) {
  json j;
  j["submission_id"] = s.submission_id;
  j["form_id"] = s.form_id;
  j["form_version"] = s.form_version;
  j["language"] = s.language;
  j["assisted_by"] = s.assisted_by;
  j["signature_found"] = s.signature_found;
  json answers = json::object();
  for (const auto& [link, values] : s.answers.values) {
    json list = json::array();
    for (const auto& v : values) list.push_back(value_json(v));
    answers[link] = std::move(list);
  }
  j["answers"] = std::move(answers);
  const auto& r = s.representation;
  j["representation"] = {{"type", r.type},
                         {"representative_id", r.representative_id},
                         {"represented_id", r.represented_id},
                         {"evidence", r.evidence},
                         {"manual_processing", r.manual_processing}};
  json fields = json::array();
  for (const auto& f : s.read_fields)
    fields.push_back({{"link_id", f.link_id},
                      {"value", f.value},
                      {"confidence", f.confidence},
                      {"needs_review", f.needs_review},
                      {"w", f.crop_width},
                      {"h", f.crop_height},
                      {"grey", json::binary(std::vector<std::uint8_t>(f.crop_grey.begin(), f.crop_grey.end()))}});
  j["read_fields"] = std::move(fields);
  // CBOR keeps the crops compact (binary, no base64).
  auto bytes = json::to_cbor(j);
  return store::Bytes(bytes.begin(), bytes.end());
}

flow::Submission decode_held(const store::Bytes& bytes) {
  const json j = json::from_cbor(bytes);
  flow::Submission s;
  s.submission_id = j.at("submission_id").get<std::string>();
  s.form_id = j.at("form_id").get<std::string>();
  s.form_version = j.at("form_version").get<std::string>();
  s.language = j.at("language").get<std::string>();
  s.assisted_by = j.at("assisted_by").get<std::string>();
  s.signature_found = j.at("signature_found").get<bool>();
  for (const auto& [link, list] : j.at("answers").items())
    for (const auto& v : list) s.answers.values[link].push_back(value_from(v));
  const auto& r = j.at("representation");
  s.representation.type = r.at("type").get<std::string>();
  s.representation.representative_id = r.at("representative_id").get<std::string>();
  s.representation.represented_id = r.at("represented_id").get<std::string>();
  s.representation.evidence = r.at("evidence").get<std::vector<std::string>>();
  s.representation.manual_processing = r.at("manual_processing").get<bool>();
  for (const auto& f : j.at("read_fields")) {
    flow::ReadField field;
    field.link_id = f.at("link_id").get<std::string>();
    field.value = f.at("value").get<std::string>();
    field.confidence = f.at("confidence").get<double>();
    field.needs_review = f.at("needs_review").get<bool>();
    field.crop_width = f.at("w").get<int>();
    field.crop_height = f.at("h").get<int>();
    const auto& grey = f.at("grey").get_binary();
    field.crop_grey.assign(grey.begin(), grey.end());
    s.read_fields.push_back(std::move(field));
  }
  return s;
}

store::HeldSheet hold_sheet(store::Store& store, const flow::Submission& submission) {
  std::vector<store::Bytes> pages;
  for (const auto& page : submission.pages) pages.push_back(read_file(page));
  for (const auto& page : submission.evidence_pages) pages.push_back(read_file(page));
  store::HeldSheet row;
  row.form_id = submission.form_id;
  row.source = submission.hold_source;
  for (const auto& f : submission.read_fields) row.fields_to_check += f.needs_review ? 1 : 0;
  auto content = encode_held(submission);
  row = store::HeldSheets(store).add(std::move(row), content, pages, submission.actor);
  sodium_memzero(content.data(), content.size());
  for (auto& page : pages) sodium_memzero(page.data(), page.size());
  // The pages are in the sealed store now: the plain files go.
  std::error_code ec;
  for (const auto& page : submission.pages) std::filesystem::remove(page, ec);
  for (const auto& page : submission.evidence_pages) std::filesystem::remove(page, ec);
  return row;
}

std::vector<flow::HeldSheetInfo> list_held(store::Store& store) {
  std::vector<flow::HeldSheetInfo> out;
  for (const auto& row : store::HeldSheets(store).list())
    out.push_back({row.reference, row.form_id, row.source, row.created_at, row.fields_to_check});
  return out;
}

flow::Submission open_held(store::Store& store, const std::string& reference, const std::string& actor) {
  store::HeldSheets sheets(store);
  const auto id = require_id(sheets, reference);
  auto content = sheets.content(id);
  auto submission = decode_held(content);
  sodium_memzero(content.data(), content.size());
  submission.held_reference = sheets.find(id)->reference;
  store.audit(actor, "review-open", submission.held_reference);
  return submission;
}

void reject_held(store::Store& store, const std::string& reference, const std::string& actor) {
  store::HeldSheets sheets(store);
  const auto id = require_id(sheets, reference);
  const auto row = sheets.find(id);
  sheets.remove(id);
  store.audit(actor, "review-reject-sheet", row->reference, "form " + row->form_id + " discarded");
}

}  // namespace kiosk::staff
