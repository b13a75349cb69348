#pragma once
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "kiosk_flow/flow.hpp"

namespace kiosk::ui {

// Services that answer from a script instead of a device. They let the accessibility
// walk (and tests) reach every state of every screen: working, done, failed,
// unavailable. The shipped kiosk never uses them for a real session.
class ScriptedPrinter final : public flow::PrintService {
 public:
  flow::Outcome outcome = flow::Outcome::Done;
  bool hold = false;  // keep the job "working" until released
  std::vector<flow::PrintRequest> requests;
  bool available() const override { return outcome != flow::Outcome::Unavailable; }
  void start(flow::PrintRequest request) override;
  std::optional<flow::PrintResult> poll() override;

 private:
  std::deque<std::uint64_t> pending_;  // the tickets of the jobs not answered yet, in order
};

class ScriptedScanner final : public flow::ScanService {
 public:
  flow::Outcome outcome = flow::Outcome::Done;
  bool hold = false;
  flow::ScanResult result;  // returned for form scans (outcome is overwritten)
  // When not empty: returned for form scans one after another instead (the pages of a form).
  std::vector<flow::ScanResult> sequence;
  std::vector<flow::ScanRequest> requests;
  bool available() const override { return outcome != flow::Outcome::Unavailable; }
  void start(flow::ScanRequest request) override;
  std::optional<flow::ScanResult> poll() override;

  // A result as if the sheet was read back: every answer, the first one uncertain.
  static flow::ScanResult read_back(const forms::Questionnaire& form, const forms::Answers& answers,
                                    bool first_uncertain);

 private:
  bool pending_ = false;
  flow::ScanRequest last_;
};

class ScriptedOutbox final : public flow::OutboxService {
 public:
  flow::Outcome outcome = flow::Outcome::Done;
  bool hold = false;
  bool delivered = false;
  std::vector<flow::Submission> submissions;
  // Sheets held for staff review, in memory (the real outbox keeps them sealed in the store).
  std::vector<flow::Submission> held;
  struct Audit {
    std::string actor, action, reference;
  };
  std::vector<Audit> audits;
  bool available() const override { return outcome != flow::Outcome::Unavailable; }
  void commit(flow::Submission submission) override;
  std::optional<flow::OutboxResult> poll() override;
  void staff(flow::StaffRequest request) override;
  std::optional<flow::StaffResult> poll_staff() override;
  void audit(const std::string& actor, const std::string& action, const std::string& reference) override {
    audits.push_back({actor, action, reference});
  }

 private:
  // The commits not answered yet, in order: each result carries its submission's ticket.
  std::deque<flow::OutboxResult> pending_;
  std::optional<flow::StaffResult> staff_result_;
};

}  // namespace kiosk::ui
