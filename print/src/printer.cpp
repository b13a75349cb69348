#include "print/printer.hpp"

#include "print/cups_connection.hpp"

#include <cups/cups.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <sys/socket.h>

namespace print {
namespace {

struct IppDelete {
  void operator()(ipp_t* ipp) const noexcept { ippDelete(ipp); }
};
using HttpPtr = CupsConnection;
using IppPtr = std::unique_ptr<ipp_t, IppDelete>;

PrinterProblem problem(const std::string& code, const std::string& detail) {
  return PrinterProblem{code, "print.status." + code, detail};
}

// Connects to the target's CUPS server from the calling thread (CUPS keeps the server per thread).
HttpPtr connect(const PrinterTarget& target, std::string& error) {
  HttpPtr http = connect_cups(target.server);
  if (!http) error = std::string("cannot reach the CUPS server ") + cupsServer() + ":" + std::to_string(ippPort());
  return http;
}

std::string resolve_queue(http_t* http, const PrinterTarget& target) {
  if (!target.queue.empty()) return target.queue;
  const char* name = cupsGetDefault2(http);
  return name ? name : "";
}

std::string printer_uri(const std::string& queue) {
  char uri[HTTP_MAX_URI];
  httpAssembleURIf(HTTP_URI_CODING_ALL, uri, sizeof uri, "ipp", nullptr, "localhost", 0, "/printers/%s", queue.c_str());
  return uri;
}

std::vector<std::string> keywords(ipp_t* response, const char* name) {
  std::vector<std::string> out;
  if (ipp_attribute_t* attr = ippFindAttribute(response, name, IPP_TAG_ZERO))
    for (int i = 0; i < ippGetCount(attr); ++i)
      if (const char* s = ippGetString(attr, i, nullptr)) out.emplace_back(s);
  return out;
}

// Cancel-Job with purge-job: cupsd deletes the job's spooled document (d*) and control file (c*)
// and drops it from the job history at once, also for a job that has already ended. The job's
// owner may do it (the default policy's Cancel-Job limit: @OWNER).
bool purge_job(http_t* http, int job_id) {
  IppPtr request(ippNewRequest(IPP_OP_CANCEL_JOB));
  const std::string job_uri = "ipp://localhost/jobs/" + std::to_string(job_id);
  ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", nullptr, job_uri.c_str());
  ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nullptr, cupsUser());
  ippAddBoolean(request.get(), IPP_TAG_OPERATION, "purge-job", 1);
  IppPtr response(cupsDoRequest(http, request.release(), "/jobs/"));
  return response && cupsLastError() <= IPP_STATUS_OK_CONFLICTING;
}

PrinterStatus query_on(http_t* http, const std::string& queue) {
  PrinterStatus st;
  st.queue = queue;
  IppPtr request(ippNewRequest(IPP_OP_GET_PRINTER_ATTRIBUTES));
  ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nullptr, printer_uri(queue).c_str());
  static const char* const kAttrs[] = {"printer-state", "printer-state-reasons", "printer-is-accepting-jobs"};
  ippAddStrings(request.get(), IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", 3, nullptr, kAttrs);
  // cupsDoRequest frees the request.
  IppPtr response(cupsDoRequest(http, request.release(), "/"));
  if (!response || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
    st.problems.push_back(problem("printer-not-found", "printer '" + queue + "': " + cupsLastErrorString()));
    return st;
  }
  st.reachable = true;
  int state = ippGetInteger(ippFindAttribute(response.get(), "printer-state", IPP_TAG_ENUM), 0);
  st.state = state == IPP_PSTATE_IDLE         ? "idle"
             : state == IPP_PSTATE_PROCESSING ? "processing"
             : state == IPP_PSTATE_STOPPED    ? "stopped"
                                              : "unknown";
  st.accepting_jobs =
      ippGetBoolean(ippFindAttribute(response.get(), "printer-is-accepting-jobs", IPP_TAG_BOOLEAN), 0) != 0;
  st.state_reasons = keywords(response.get(), "printer-state-reasons");
  st.problems = problems_from_state(state, st.state_reasons);
  if (!st.accepting_jobs &&
      std::find(st.problems.begin(), st.problems.end(), problem("printer-stopped", "")) == st.problems.end())
    st.problems.push_back(problem("printer-stopped", "the queue does not accept jobs (cupsreject)"));
  return st;
}

}  // namespace

CupsConnection connect_cups(const std::string& server) {
  if (!server.empty()) cupsSetServer(server.c_str());
  return CupsConnection(httpConnect2(cupsServer(), ippPort(), nullptr, AF_UNSPEC, cupsEncryption(), 1, 5000, nullptr));
}

std::vector<PrinterProblem> problems_from_state(int printer_state, const std::vector<std::string>& reasons) {
  // Most serious first: a person can fix paper, not an offline printer.
  struct Rule {
    const char* code;
    std::vector<std::string> keywords;
  };
  static const std::vector<Rule> kRules = {
      {"printer-offline", {"offline", "shutdown", "connecting-to-device", "timed-out"}},
      {"paper-jam", {"media-jam"}},
      {"out-of-paper", {"media-empty", "media-needed", "input-tray-missing"}},
      {"cover-open", {"door-open", "cover-open", "interlock-open"}},
      {"out-of-toner", {"toner-empty", "marker-supply-empty"}},
      {"printer-stopped", {"paused", "stopped"}},
  };
  std::vector<PrinterProblem> out;
  for (const auto& rule : kRules) {
    for (const auto& reason : reasons) {
      // Keywords carry a severity suffix (-error, -warning, -report); reports are informational.
      std::string base = reason;
      bool report = false;
      for (const char* suffix : {"-error", "-warning", "-report"}) {
        const std::string s = suffix;
        if (base.size() > s.size() && base.compare(base.size() - s.size(), s.size(), s) == 0) {
          report = s == "-report";
          base.resize(base.size() - s.size());
          break;
        }
      }
      if (report && base != "offline") continue;
      if (std::find(rule.keywords.begin(), rule.keywords.end(), base) != rule.keywords.end()) {
        out.push_back(problem(rule.code, "printer-state-reasons " + reason));
        break;
      }
    }
  }
  if (printer_state == IPP_PSTATE_STOPPED && out.empty())
    out.push_back(problem("printer-stopped", "printer-state stopped"));
  return out;
}

PrinterStatus query_printer(const PrinterTarget& target) {
  std::string error;
  HttpPtr http = connect(target, error);
  if (!http) {
    PrinterStatus st;
    st.queue = target.queue;
    st.problems.push_back(problem("printer-not-found", error));
    return st;
  }
  const std::string queue = resolve_queue(http.get(), target);
  if (queue.empty()) {
    PrinterStatus st;
    st.problems.push_back(
        problem("printer-not-found", "no printer queue is configured and CUPS has no default printer"));
    return st;
  }
  return query_on(http.get(), queue);
}

int purge_finished_jobs(const PrinterTarget& target, std::string* error) {
  std::string why;
  HttpPtr http = connect(target, why);
  if (!http) {
    if (error) *error = why;
    return -1;
  }
  const std::string queue = resolve_queue(http.get(), target);
  IppPtr request(ippNewRequest(IPP_OP_GET_JOBS));
  ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_URI, "printer-uri", nullptr,
               queue.empty() ? "ipp://localhost/" : printer_uri(queue).c_str());
  ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_NAME, "requesting-user-name", nullptr, cupsUser());
  ippAddBoolean(request.get(), IPP_TAG_OPERATION, "my-jobs", 1);
  ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "which-jobs", nullptr, "completed");
  ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", nullptr, "job-id");
  IppPtr response(cupsDoRequest(http.get(), request.release(), "/"));
  if (!response || cupsLastError() > IPP_STATUS_OK_CONFLICTING) {
    if (error) *error = std::string("list finished jobs: ") + cupsLastErrorString();
    return -1;
  }
  std::vector<int> ids;
  for (ipp_attribute_t* a = ippFirstAttribute(response.get()); a; a = ippNextAttribute(response.get()))
    if (ippGetName(a) && std::string(ippGetName(a)) == "job-id") ids.push_back(ippGetInteger(a, 0));
  int purged = 0;
  for (int id : ids) purged += purge_job(http.get(), id) ? 1 : 0;
  return purged;
}

std::string to_string(JobState state) {
  switch (state) {
    case JobState::Submitting:
      return "submitting";
    case JobState::Waiting:
      return "waiting";
    case JobState::Printing:
      return "printing";
    case JobState::Completed:
      return "completed";
    case JobState::Failed:
      return "failed";
    case JobState::Canceled:
      return "canceled";
  }
  return "failed";
}

std::unique_ptr<PrintJob> PrintJob::start(PrinterTarget target, std::string document_pdf, std::string title,
                                          JobOptions options, Callback on_change) {
  std::unique_ptr<PrintJob> job(new PrintJob());
  job->target_ = std::move(target);
  job->document_ = std::move(document_pdf);
  job->title_ = std::move(title);
  job->options_ = options;
  job->on_change_ = std::move(on_change);
  job->worker_ = std::jthread([raw = job.get()](std::stop_token stop) { raw->run(stop); });
  return job;
}

PrintJob::~PrintJob() {
  worker_.request_stop();
  changed_.notify_all();
  if (worker_.joinable()) worker_.join();
}

JobStatus PrintJob::status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

bool PrintJob::wait_for(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  return changed_.wait_for(lock, timeout, [&] { return status_.finished(); });
}

void PrintJob::cancel() {
  {
    std::lock_guard lock(mutex_);
    cancel_requested_ = true;
  }
  changed_.notify_all();
}

void PrintJob::update(JobStatus next) {
  bool changed;
  {
    std::lock_guard lock(mutex_);
    changed = next.state != status_.state || next.job_id != status_.job_id || next.problems != status_.problems ||
              next.message_key != status_.message_key;
  }
  // The callback runs before the new status is published, so whoever sees a finished job
  // (wait_for, status) knows every callback for it has run.
  if (changed && on_change_) on_change_(next);
  {
    std::lock_guard lock(mutex_);
    status_ = std::move(next);
  }
  changed_.notify_all();
}

void PrintJob::run(std::stop_token stop) {
  JobStatus st;
  http_t* connection = nullptr;  // set once connected
  // A job that has ended is purged (document and history) before anyone hears it ended.
  auto purge_if_asked = [&] {
    if (!options_.purge_when_done || !connection || st.job_id <= 0) return false;
    if (purge_job(connection, st.job_id)) return true;
    st.detail += "; the job's files could not be purged from CUPS: " + std::string(cupsLastErrorString());
    return false;
  };
  auto fail = [&](PrinterProblem p, JobState state = JobState::Failed) {
    st.detail = p.detail;
    purge_if_asked();
    p.detail = st.detail;
    st.state = state;
    st.message_key = p.message_key;
    st.detail = p.detail;
    st.problems = {std::move(p)};
    update(st);
  };
  std::string error;
  HttpPtr http = connect(target_, error);
  if (!http) return fail(problem("print-failed", error));
  connection = http.get();
  const std::string queue = resolve_queue(http.get(), target_);
  if (queue.empty())
    return fail(problem("printer-not-found", "no printer queue is configured and CUPS has no default printer"));

  // A queue that does not exist (or a server that refuses) is said plainly before submitting.
  if (PrinterStatus printer = query_on(http.get(), queue); !printer.reachable) return fail(printer.problems.front());

  // Submit: create the job, send the PDF as one document.
  int job_id = cupsCreateJob(http.get(), queue.c_str(), title_.c_str(), 0, nullptr);
  if (job_id <= 0) {
    ipp_status_t s = cupsLastError();
    std::string detail = "create job on '" + queue + "': " + cupsLastErrorString();
    if (s == IPP_STATUS_ERROR_NOT_FOUND) return fail(problem("printer-not-found", detail));
    if (s == IPP_STATUS_ERROR_NOT_ACCEPTING_JOBS) return fail(problem("printer-stopped", detail));
    return fail(problem("print-failed", detail));
  }
  st.job_id = job_id;
  update(st);
  if (cupsStartDocument(http.get(), queue.c_str(), job_id, title_.c_str(), CUPS_FORMAT_PDF, 1) != HTTP_STATUS_CONTINUE)
    return fail(problem("print-failed", std::string("send document: ") + cupsLastErrorString()));
  for (std::size_t done = 0; done < document_.size();) {
    std::size_t chunk = std::min<std::size_t>(64 * 1024, document_.size() - done);
    if (cupsWriteRequestData(http.get(), document_.data() + done, chunk) != HTTP_STATUS_CONTINUE) {
      cupsFinishDocument(http.get(), queue.c_str());
      return fail(problem("print-failed", std::string("send document: ") + cupsLastErrorString()));
    }
    done += chunk;
  }
  if (cupsFinishDocument(http.get(), queue.c_str()) > IPP_STATUS_OK_CONFLICTING)
    return fail(problem("print-failed", std::string("finish document: ") + cupsLastErrorString()));

  // Follow the job until it ends, telling what holds it up.
  using clock = std::chrono::steady_clock;
  const auto started = clock::now();
  bool had_problem = false;
  clock::time_point problem_since = started;
  const std::string job_uri = "ipp://localhost/jobs/" + std::to_string(job_id);
  auto cancel_cups_job = [&] { cupsCancelJob2(http.get(), queue.c_str(), job_id, 0); };
  while (!stop.stop_requested()) {
    bool cancel_now = false;
    {
      std::lock_guard lock(mutex_);
      cancel_now = std::exchange(cancel_requested_, false);
    }
    if (cancel_now) {
      cancel_cups_job();
      return fail(problem("job-canceled", "canceled by the kiosk"), JobState::Canceled);
    }
    IppPtr request(ippNewRequest(IPP_OP_GET_JOB_ATTRIBUTES));
    ippAddString(request.get(), IPP_TAG_OPERATION, IPP_TAG_URI, "job-uri", nullptr, job_uri.c_str());
    static const char* const kAttrs[] = {"job-state", "job-state-reasons"};
    ippAddStrings(request.get(), IPP_TAG_OPERATION, IPP_TAG_KEYWORD, "requested-attributes", 2, nullptr, kAttrs);
    IppPtr response(cupsDoRequest(http.get(), request.release(), "/"));
    if (!response || cupsLastError() > IPP_STATUS_OK_CONFLICTING)
      return fail(problem("print-failed", std::string("follow job: ") + cupsLastErrorString()));
    const int job_state = ippGetInteger(ippFindAttribute(response.get(), "job-state", IPP_TAG_ENUM), 0);
    const auto job_reasons = keywords(response.get(), "job-state-reasons");
    std::string reasons_text;
    for (const auto& r : job_reasons) reasons_text += (reasons_text.empty() ? "" : ",") + r;

    if (job_state == IPP_JSTATE_COMPLETED) {
      st.state = JobState::Completed;
      st.problems.clear();
      st.message_key = "print.status.completed";
      st.detail = "job " + std::to_string(job_id) + " completed";
      if (purge_if_asked()) st.detail += ", purged from CUPS";
      update(st);
      return;
    }
    if (job_state == IPP_JSTATE_CANCELED)
      return fail(problem("job-canceled", "job canceled: " + reasons_text), JobState::Canceled);
    if (job_state == IPP_JSTATE_ABORTED) return fail(problem("job-aborted", "job aborted: " + reasons_text));

    PrinterStatus printer = query_on(http.get(), queue);
    st.state = job_state == IPP_JSTATE_PROCESSING ? JobState::Printing : JobState::Waiting;
    st.problems = printer.problems;
    if (job_state == IPP_JSTATE_STOPPED && st.problems.empty())
      st.problems.push_back(problem("printer-stopped", "job stopped: " + reasons_text));
    st.message_key = !st.problems.empty()             ? st.problems.front().message_key
                     : st.state == JobState::Printing ? "print.status.printing"
                                                      : "print.status.waiting";
    st.detail = "job " + std::to_string(job_id) + " state " + std::to_string(job_state) + " (" + reasons_text + ")";
    update(st);

    const auto now = clock::now();
    if (st.problems.empty()) {
      had_problem = false;
    } else if (!had_problem) {
      had_problem = true;
      problem_since = now;
    } else if (options_.stall_timeout.count() > 0 && now - problem_since >= options_.stall_timeout) {
      cancel_cups_job();
      PrinterProblem p = st.problems.front();
      p.detail += "; gave up after waiting, job " + std::to_string(job_id) + " canceled";
      return fail(std::move(p));
    }
    if (now - started >= options_.overall_timeout) {
      cancel_cups_job();
      return fail(problem("print-failed", "the printer did not finish job " + std::to_string(job_id) + " in time"));
    }
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, stop, options_.poll_interval, [&] { return cancel_requested_; });
  }
}

}  // namespace print
