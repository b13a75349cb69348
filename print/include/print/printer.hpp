#pragma once
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace print {

// Which CUPS server and queue to use. Empty server: the CUPS default (CUPS_SERVER, client.conf,
// the local socket). Empty queue: the server's default printer (config printer.queue).
struct PrinterTarget {
  std::string server;  // "host:port" or a socket path
  std::string queue;
};

// A printer state in plain words. `code` is stable: "printer-offline", "out-of-paper",
// "paper-jam", "printer-stopped", "out-of-toner", "cover-open", "printer-not-found",
// "job-aborted", "job-canceled", "print-failed". `message_key` is the translation key
// ("print.status.<code>"); `detail` is technical English for logs and staff.
struct PrinterProblem {
  std::string code;
  std::string message_key;
  std::string detail;
  bool operator==(const PrinterProblem& o) const { return code == o.code; }
};

// Turns IPP printer-state (3 idle, 4 processing, 5 stopped) and printer-state-reasons keywords
// into plain problems, most serious first, without duplicates. Reasons CUPS uses for its own
// bookkeeping (none, cups-*, *-report) are ignored unless they name a problem.
std::vector<PrinterProblem> problems_from_state(int printer_state, const std::vector<std::string>& reasons);

struct PrinterStatus {
  bool reachable = false;         // the CUPS server answered and the queue exists
  std::string queue;              // the queue asked (the default printer's name when empty was asked)
  std::string state = "unknown";  // "idle", "processing", "stopped", "unknown"
  bool accepting_jobs = false;
  std::vector<std::string> state_reasons;  // raw IPP keywords
  std::vector<PrinterProblem> problems;    // empty when the printer is fine
  bool ready() const { return reachable && accepting_jobs && problems.empty(); }
};

// Asks CUPS about the printer. Blocks for at most a few seconds: call it from a worker thread
// (or kioskctl), not from a UI frame.
PrinterStatus query_printer(const PrinterTarget& target);

enum class JobState { Submitting, Waiting, Printing, Completed, Failed, Canceled };
std::string to_string(JobState state);  // "submitting", "waiting", ...

// Purges this user's finished jobs on the target's queue (documents and history), e.g. what a
// kiosk that was killed mid-job left in the spool. Returns how many, or -1 (then *error says why).
int purge_finished_jobs(const PrinterTarget& target, std::string* error = nullptr);

struct JobStatus {
  JobState state = JobState::Submitting;
  int job_id = 0;                                    // CUPS job id once submitted
  std::vector<PrinterProblem> problems;              // what holds the job up now, or why it failed
  std::string message_key = "print.status.waiting";  // what to tell the person now
  std::string detail;                                // technical English for logs
  bool finished() const {
    return state == JobState::Completed || state == JobState::Failed || state == JobState::Canceled;
  }
};

struct JobOptions {
  std::chrono::milliseconds poll_interval{250};
  // When the printer has a problem (stopped, no paper, ...) for this long, give up: cancel the
  // CUPS job and fail with that problem. Zero: keep waiting until the overall timeout.
  std::chrono::milliseconds stall_timeout{std::chrono::seconds(60)};
  std::chrono::milliseconds overall_timeout{std::chrono::minutes(10)};
  // Once the job has ended (printed, failed or canceled), purge it from CUPS: the spooled
  // document and the job history go at once (CUPS keeps both by default: PreserveJobFiles,
  // PreserveJobHistory). A filled-in form is personal data.
  bool purge_when_done = false;
};

// One print job, submitted and followed on its own worker thread. start() returns at once;
// the UI polls status() each frame (or passes on_change, called on the worker thread whenever
// the status changes). The destructor stops following (it does not cancel the CUPS job) and
// joins the thread.
class PrintJob {
 public:
  using Callback = std::function<void(const JobStatus&)>;
  static std::unique_ptr<PrintJob> start(PrinterTarget target, std::string document_pdf, std::string title,
                                         JobOptions options = {}, Callback on_change = {});
  ~PrintJob();
  PrintJob(const PrintJob&) = delete;
  PrintJob& operator=(const PrintJob&) = delete;

  JobStatus status() const;
  // Waits until the job has finished or `timeout` has passed; true when finished.
  bool wait_for(std::chrono::milliseconds timeout) const;
  // Cancels the CUPS job (if submitted) and ends as Canceled.
  void cancel();

 private:
  PrintJob() = default;
  void run(std::stop_token stop);
  void update(JobStatus status);

  PrinterTarget target_;
  std::string document_;
  std::string title_;
  JobOptions options_;
  Callback on_change_;
  mutable std::mutex mutex_;
  mutable std::condition_variable_any changed_;
  JobStatus status_;
  bool cancel_requested_ = false;
  std::jthread worker_;
};

}  // namespace print
