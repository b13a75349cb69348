#include <leptonica/allheaders.h>

#include <algorithm>
#include <map>
#include <set>

#include "forms/answers.hpp"
#include "scanners/image.hpp"
#include "scanners/recognize.hpp"

namespace scanners {

namespace {

// The answer a field's accepted value stands for, as forms:: validation expects it.
std::optional<forms::AnswerValue> to_answer(const forms::Item& item, const nlohmann::json& v) {
  if (v.is_null()) return std::nullopt;
  switch (item.type) {
    case forms::ItemType::Boolean:
      if (v.is_boolean()) return forms::AnswerValue::of_bool(v.get<bool>());
      return std::nullopt;
    case forms::ItemType::Choice:
      if (v.is_string()) return forms::AnswerValue::of_coding(v.get<std::string>());
      return std::nullopt;
    case forms::ItemType::Date:
      if (v.is_string()) return forms::AnswerValue::of_date(v.get<std::string>());
      return std::nullopt;
    case forms::ItemType::Integer:
      if (v.is_string() && !v.get<std::string>().empty() && v.get<std::string>().size() < 18)
        return forms::AnswerValue::of_integer(std::stoll(v.get<std::string>()));
      return std::nullopt;
    default:
      if (v.is_string()) return forms::AnswerValue::of_string(v.get<std::string>());
      return std::nullopt;
  }
}

void flag(FieldResult& f, const std::string& reason) {
  if (f.status == FieldStatus::NeedsReview) return;  // keep the first, most specific reason
  f.status = FieldStatus::NeedsReview;
  f.reason = reason;
}

void validate(SubmissionResult& s, const forms::Questionnaire& form) {
  forms::Answers answers;
  for (const auto& f : s.fields) {
    const forms::Item* item = form.find_item(f.link_id);
    if (!item || f.status != FieldStatus::Accepted) continue;
    if (f.value.is_array()) {
      for (const auto& v : f.value)
        if (auto a = to_answer(*item, v)) answers.values[f.link_id].push_back(*a);
    } else if (auto a = to_answer(*item, f.value)) {
      answers.set(f.link_id, *a);
    }
  }
  // The signature box is no form item: the form's own rule says whether it must be signed.
  for (auto& f : s.fields)
    if (f.link_id == "signature" && form.signature_required && f.status == FieldStatus::Accepted && f.value == false)
      flag(f, "signature-missing");
  // A field that needs review may hold the answer a required-check would miss: do not call it missing.
  std::set<std::string> in_review;
  for (const auto& f : s.fields)
    if (f.status == FieldStatus::NeedsReview) in_review.insert(f.link_id);
  for (const auto& issue : forms::validate_answers(form, answers)) {
    if (in_review.count(issue.link_id)) continue;
    bool found = false;
    for (auto& f : s.fields)
      if (f.link_id == issue.link_id) {
        flag(f, issue.code);
        found = true;
      }
    if (!found) {
      FieldResult missing;
      missing.link_id = issue.link_id;
      missing.status = FieldStatus::NeedsReview;
      missing.reason = issue.code;
      s.fields.push_back(std::move(missing));
    }
  }
}

std::string safe_name(const std::string& s) {
  std::string out;
  for (char c : s) out.push_back(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ? c : '_');
  return out.empty() ? "page" : out;
}

}  // namespace

std::vector<SubmissionResult> assemble_submissions(std::vector<PageResult> pages, const forms::Catalogue& catalogue) {
  std::vector<SubmissionResult> out;
  std::map<std::string, size_t> index;  // form|version|lang|submission -> out index
  std::map<size_t, std::map<int, int>> seen;
  std::map<size_t, int> page_count;
  for (auto& page : pages) {
    if (!page.qr || !page.problem.empty()) {
      SubmissionResult s;
      s.form_id = page.qr ? page.qr->form_id : page.identified_form;
      if (page.qr) {
        s.version = page.qr->version;
        s.lang = page.qr->lang;
        s.submission_id = page.qr->submission_id;
      }
      s.problem = page.problem.empty() ? "unreadable-page" : page.problem;
      s.sources.push_back(page.source);
      out.push_back(std::move(s));
      continue;
    }
    const auto& qr = *page.qr;
    const std::string key = qr.form_id + "|" + qr.version + "|" + qr.lang + "|" + qr.submission_id;
    auto [it, inserted] = index.emplace(key, out.size());
    if (inserted) {
      SubmissionResult s;
      s.form_id = qr.form_id;
      s.version = qr.version;
      s.lang = qr.lang;
      s.submission_id = qr.submission_id;
      out.push_back(std::move(s));
    }
    const size_t i = it->second;
    SubmissionResult& s = out[i];
    page_count[i] = std::max(page_count[i], qr.page_count);
    s.sources.push_back(page.source);
    if (s.key_problem.empty()) s.key_problem = page.key_problem;
    if (++seen[i][qr.page] > 1) {
      // The same page twice: keep the first reading, report the duplicate.
      if (std::find(s.pages_duplicate.begin(), s.pages_duplicate.end(), qr.page) == s.pages_duplicate.end())
        s.pages_duplicate.push_back(qr.page);
      continue;
    }
    for (auto& f : page.fields) s.fields.push_back(std::move(f));
  }
  for (auto& [i, pages_seen] : seen) {
    SubmissionResult& s = out[i];
    for (const auto& [p, n] : pages_seen) s.pages_found.push_back(p);
    for (int p = 1; p <= page_count[i]; ++p)
      if (!pages_seen.count(p)) s.pages_missing.push_back(p);
    std::sort(s.pages_duplicate.begin(), s.pages_duplicate.end());
    // Keep the form's reading order across pages.
    std::stable_sort(s.fields.begin(), s.fields.end(),
                     [](const FieldResult& a, const FieldResult& b) { return a.page < b.page; });
    if (const forms::Questionnaire* form = catalogue.find(s.form_id); form && s.pages_missing.empty())
      validate(s, *form);
  }
  return out;
}

nlohmann::json to_json(const std::vector<SubmissionResult>& submissions) {
  nlohmann::json list = nlohmann::json::array();
  for (const auto& s : submissions) {
    nlohmann::json j;
    j["form"] = s.form_id.empty() ? nlohmann::json() : nlohmann::json(s.form_id);
    j["version"] = s.version.empty() ? nlohmann::json() : nlohmann::json(s.version);
    j["lang"] = s.lang.empty() ? nlohmann::json() : nlohmann::json(s.lang);
    j["submission"] = s.submission_id.empty() ? nlohmann::json() : nlohmann::json(s.submission_id);
    j["pages_found"] = s.pages_found;
    j["pages_missing"] = s.pages_missing;
    j["pages_duplicate"] = s.pages_duplicate;
    if (!s.problem.empty()) {
      j["problem"] = s.problem;
      j["status"] = "needs_review";
    }
    if (!s.key_problem.empty()) {
      j["key_problem"] = s.key_problem;
      j["status"] = "needs_review";
    }
    j["sources"] = s.sources;
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& f : s.fields) {
      fields.push_back({{"linkId", f.link_id},
                        {"value", f.value},
                        {"confidence", std::round(f.confidence * 1000.0) / 1000.0},
                        {"status", f.status == FieldStatus::Accepted ? "accepted" : "needs_review"},
                        {"reason", f.reason.empty() ? nlohmann::json() : nlohmann::json(f.reason)}});
      if (f.printed) fields.back()["printed"] = true;
    }
    j["fields"] = fields;
    list.push_back(std::move(j));
  }
  return {{"submissions", list}};
}

std::filesystem::path crop_file(const std::filesystem::path& dir, const SubmissionResult& submission,
                                const FieldResult& field) {
  return dir / (safe_name(submission.submission_id.empty() ? submission.form_id : submission.submission_id) + "_" +
                safe_name(field.link_id) + ".png");
}

std::vector<SubmissionResult> from_json(const nlohmann::json& json, const std::filesystem::path& crops_dir) {
  auto text = [](const nlohmann::json& j, const char* key) {
    return j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : std::string();
  };
  std::vector<SubmissionResult> out;
  for (const auto& s : json.at("submissions")) {
    SubmissionResult r;
    r.form_id = text(s, "form");
    r.version = text(s, "version");
    r.lang = text(s, "lang");
    r.submission_id = text(s, "submission");
    r.problem = text(s, "problem");
    r.key_problem = text(s, "key_problem");
    r.pages_found = s.at("pages_found").get<std::vector<int>>();
    r.pages_missing = s.at("pages_missing").get<std::vector<int>>();
    r.pages_duplicate = s.at("pages_duplicate").get<std::vector<int>>();
    for (const auto& f : s.at("fields")) {
      FieldResult field;
      field.link_id = f.at("linkId").get<std::string>();
      field.value = f.at("value");
      field.confidence = f.at("confidence").get<double>();
      field.status = text(f, "status") == "accepted" ? FieldStatus::Accepted : FieldStatus::NeedsReview;
      field.reason = text(f, "reason");
      field.printed = f.contains("printed") && f["printed"].is_boolean() && f["printed"].get<bool>();
      if (field.status == FieldStatus::NeedsReview) {
        const auto file = crop_file(crops_dir, r, field);
        std::error_code ec;
        if (std::filesystem::exists(file, ec)) {
          const PixPtr pix(pixRead(file.c_str()));
          if (pix) field.crop = mat_from_pix(pix.get());
        }
      }
      r.fields.push_back(std::move(field));
    }
    out.push_back(std::move(r));
  }
  return out;
}

void write_crops(const std::vector<SubmissionResult>& submissions, const std::filesystem::path& dir) {
  std::filesystem::create_directories(dir);
  for (const auto& s : submissions) {
    for (const auto& f : s.fields) {
      if (f.crop.empty()) continue;
      PixPtr pix = pix_from_mat(f.crop);
      pixWrite(crop_file(dir, s, f).c_str(), pix.get(), IFF_PNG);
    }
  }
}

}  // namespace scanners
