#include "print_service.hpp"

#include "kiosk_app/memory.hpp"

#include "print/error.hpp"
#include "print/layout.hpp"
#include "print/pdf.hpp"
#include "print/printer.hpp"
#include "print/qr_payload.hpp"

namespace kiosk::app {

LibraryPrinter::LibraryPrinter(const Config& config, const forms::Catalogue& catalogue,
                               const forms::Translations& translations)
    : catalogue_(catalogue),
      translations_(translations),
      queue_(config.get_string("printer.queue")),
      postal_address_(config.get_string("site.postal_address")),
      help_phone_(config.get_string("site.help_phone")),
      site_name_(config.get_string("site.name")),
      mac_key_file_(config.get_path("print.mac_key_file")),
      folder_(config.get_string("ui.print_to_folder").empty() ? std::filesystem::path()
                                                              : config.get_path("ui.print_to_folder")) {}

void LibraryPrinter::start(flow::PrintRequest request) {
  worker_.post([this, request = std::move(request)]() mutable {
    auto result = run(request);
    result.ticket = request.ticket;
    request.answers.wipe();
    // The layout, the fonts and the PDF (a few MB) are freed: give the pages back.
    release_free_heap();
    return result;
  });
}

flow::PrintResult LibraryPrinter::run(const flow::PrintRequest& request) const {
  flow::PrintResult result;
  const char* what = request.kind == flow::PrintKind::Receipt ? "receipt" : "form";
  try {
    const auto* form = catalogue_.find(request.form_id);
    std::string pdf;
    std::string title;
    if (request.kind == flow::PrintKind::Receipt) {
      print::ReceiptInfo info;
      info.reference = request.receipt_reference;
      info.form_id = request.form_id;
      info.form_title = form ? form->title.get(request.language) : "";
      info.proposed = form && form->proposed();
      if (form && form->owner) info.owner_name = form->owner->name.get(request.language);
      info.lang = request.language;
      info.help_phone = help_phone_;
      info.site_name = site_name_;
      pdf = print::render_receipt_pdf(info, translations_);
      title = "receipt";
    } else {
      if (!form) throw std::runtime_error("unknown form " + request.form_id);
      print::LayoutContext context;
      context.translations = &translations_;
      context.postal_address = postal_address_;
      const auto layout =
          print::layout_form(*form, request.language, print::LayoutOptions{request.large_print}, context,
                             request.kind == flow::PrintKind::FilledForm ? &request.answers : nullptr);
      pdf = print::render_form_pdf(layout, request.submission_id, print::MacKey::load_file(mac_key_file_));
      title = form->id;
    }
    if (!folder_.empty()) {
      const auto file = folder_ / (request.submission_id.substr(0, 8) + "-" + what + ".pdf");
      print::write_file_atomically(file, pdf);
      result.outcome = flow::Outcome::Done;
      result.document = file;
      result.detail = std::string(what) + " written to " + file.string() + " (print to folder)";
      return result;
    }
    // CUPS keeps job files and history by default (the package cannot change cupsd.conf: CUPS
    // 2.4 reads no conf.d snippets), so the kiosk purges its own jobs: each one once it has
    // ended, and first what a kiosk killed mid-job left behind.
    print::purge_finished_jobs(print::PrinterTarget{"", queue_});
    print::JobOptions options;
    options.purge_when_done = true;
    auto job = print::PrintJob::start(print::PrinterTarget{"", queue_}, std::move(pdf), title, options);
    job->wait_for(std::chrono::minutes(11));  // on the worker thread; the UI keeps drawing
    const auto status = job->status();
    if (status.state == print::JobState::Completed) {
      result.outcome = flow::Outcome::Done;
      result.detail =
          std::string(what) + " printed as CUPS job " + std::to_string(status.job_id) + " (" + status.detail + ")";
    } else {
      result.outcome = flow::Outcome::Failed;
      result.message_key = status.message_key.empty() ? "ui.print.failed" : status.message_key;
      result.detail = std::string(what) + " not printed: " + status.detail;
    }
  } catch (const std::exception& e) {
    result.outcome = flow::Outcome::Failed;
    result.message_key = "ui.print.failed";
    result.detail = std::string(what) + " not printed: " + e.what();
  }
  return result;
}

}  // namespace kiosk::app
