#include "print/pdf.hpp"

#include <qrencode.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <random>

#include <sys/stat.h>
#include <unistd.h>

#include "forms/localized_text.hpp"
#include "hpdf_document.hpp"
#include "print/error.hpp"
#include "typesetter.hpp"

namespace print {
namespace {

using detail::HpdfDocument;
using detail::mm_to_pt;

struct QrFree {
  void operator()(QRcode* code) const noexcept { QRcode_free(code); }
};

// A page with its coordinate conversion (layout: mm from the top-left; PDF: points from the bottom-left).
class PdfPage {
 public:
  PdfPage(HpdfDocument& doc, HPDF_Font regular, HPDF_Font bold) : doc_(doc), regular_(regular), bold_(bold) {
    page_ = HPDF_AddPage(doc.get());
    doc.check("add page");
    doc.check("set page size", HPDF_Page_SetSize(page_, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT));
  }
  static double x(double mm) { return mm_to_pt(mm); }
  static double y(double mm) { return mm_to_pt(kPageHeightMm - mm); }

  void fill_rect(const RectMm& r) {
    doc_.check("set colour", HPDF_Page_SetRGBFill(page_, 0, 0, 0));
    doc_.check("rectangle",
               HPDF_Page_Rectangle(page_, static_cast<HPDF_REAL>(x(r.x)), static_cast<HPDF_REAL>(y(r.y + r.h)),
                                   static_cast<HPDF_REAL>(mm_to_pt(r.w)), static_cast<HPDF_REAL>(mm_to_pt(r.h))));
    doc_.check("fill", HPDF_Page_Fill(page_));
  }
  void stroke_rect(const RectMm& r, double width_mm) {
    doc_.check("line width", HPDF_Page_SetLineWidth(page_, static_cast<HPDF_REAL>(mm_to_pt(width_mm))));
    doc_.check("rectangle",
               HPDF_Page_Rectangle(page_, static_cast<HPDF_REAL>(x(r.x)), static_cast<HPDF_REAL>(y(r.y + r.h)),
                                   static_cast<HPDF_REAL>(mm_to_pt(r.w)), static_cast<HPDF_REAL>(mm_to_pt(r.h))));
    doc_.check("stroke", HPDF_Page_Stroke(page_));
  }
  void line(const LineElement& l) {
    doc_.check("line width", HPDF_Page_SetLineWidth(page_, static_cast<HPDF_REAL>(mm_to_pt(l.width_mm))));
    doc_.check("move", HPDF_Page_MoveTo(page_, static_cast<HPDF_REAL>(x(l.x1)), static_cast<HPDF_REAL>(y(l.y1))));
    doc_.check("line", HPDF_Page_LineTo(page_, static_cast<HPDF_REAL>(x(l.x2)), static_cast<HPDF_REAL>(y(l.y2))));
    doc_.check("stroke", HPDF_Page_Stroke(page_));
  }
  void text(const TextElement& t) {
    if (t.text.empty()) return;
    // Pre-filled answers are printed in dark blue so staff can tell them from handwriting.
    if (t.is_value)
      doc_.check("set colour", HPDF_Page_SetRGBFill(page_, 0.05f, 0.1f, 0.45f));
    else
      doc_.check("set colour", HPDF_Page_SetRGBFill(page_, 0, 0, 0));
    doc_.check("begin text", HPDF_Page_BeginText(page_));
    doc_.check("set font",
               HPDF_Page_SetFontAndSize(page_, t.bold ? bold_ : regular_, static_cast<HPDF_REAL>(t.size_pt)));
    doc_.check("text", HPDF_Page_TextOut(page_, static_cast<HPDF_REAL>(x(t.x)), static_cast<HPDF_REAL>(y(t.y)),
                                         t.text.c_str()));
    doc_.check("end text", HPDF_Page_EndText(page_));
  }
  // Draws the QR code's dark modules inside `area` (a quiet zone is left around it by the layout).
  void qr(const RectMm& area, const std::string& content) {
    std::unique_ptr<QRcode, QrFree> code(QRcode_encodeString8bit(content.c_str(), 0, QR_ECLEVEL_M));
    if (!code) throw PrintError("qr-failed", std::string("could not make the QR code: ") + std::strerror(errno));
    const int n = code->width;
    const double module = area.w / n;
    doc_.check("set colour", HPDF_Page_SetRGBFill(page_, 0, 0, 0));
    for (int row = 0; row < n; ++row) {
      // Merge runs of dark modules in a row into one rectangle (smaller PDF, no hairline gaps).
      int col = 0;
      while (col < n) {
        if (!(code->data[row * n + col] & 1)) {
          ++col;
          continue;
        }
        int end = col;
        while (end < n && (code->data[row * n + end] & 1)) ++end;
        RectMm r{area.x + col * module, area.y + row * module, (end - col) * module, module};
        doc_.check("rectangle",
                   HPDF_Page_Rectangle(page_, static_cast<HPDF_REAL>(x(r.x)), static_cast<HPDF_REAL>(y(r.y + r.h)),
                                       static_cast<HPDF_REAL>(mm_to_pt(r.w)), static_cast<HPDF_REAL>(mm_to_pt(r.h))));
        col = end;
      }
    }
    doc_.check("fill", HPDF_Page_Fill(page_));
  }

 private:
  HpdfDocument& doc_;
  HPDF_Font regular_;
  HPDF_Font bold_;
  HPDF_Page page_ = nullptr;
};

void set_metadata(HpdfDocument& doc, const std::string& title, const std::string& lang, const std::string& subject) {
  // libharu writes Info strings byte for byte (read as PDFDocEncoding, so "å" became "Ã¥")
  // unless the document has a current encoder; with UTF-8 as the current encoder it writes
  // them as UTF-16BE with a byte-order mark, which every reader understands.
  doc.check("title encoding", HPDF_SetCurrentEncoder(doc.get(), "UTF-8"));
  doc.check("title", HPDF_SetInfoAttr(doc.get(), HPDF_INFO_TITLE, title.c_str()));
  doc.check("subject", HPDF_SetInfoAttr(doc.get(), HPDF_INFO_SUBJECT, subject.c_str()));
  doc.check("creator", HPDF_SetInfoAttr(doc.get(), HPDF_INFO_CREATOR, "Helsenorge ekstra enkel kiosk"));
  doc.set_language(lang);
}

}  // namespace

std::string render_form_pdf(const FormLayout& layout, const std::string& submission_id, const MacKey& key,
                            const Fonts& fonts) {
  HpdfDocument doc;
  HPDF_Font regular = doc.load_truetype(fonts.regular);
  HPDF_Font bold = doc.load_truetype(fonts.bold);
  set_metadata(doc, layout.title, layout.lang, layout.form_id + " " + layout.version);
  const int page_count = static_cast<int>(layout.pages.size());
  for (const auto& page : layout.pages) {
    PdfPage out(doc, regular, bold);
    for (const auto& mark : page.corner_marks) out.fill_rect(mark);
    QrPayload payload{layout.form_id,
                      layout.version,
                      layout.lang,
                      page.number,
                      page_count,
                      submission_id,
                      layout.options.large_print};
    out.qr(page.qr, encode_qr_payload(payload, key));
    for (const auto& box : page.boxes)
      box.filled ? out.fill_rect(box.rect) : out.stroke_rect(box.rect, box.line_width_mm);
    for (const auto& l : page.lines) out.line(l);
    for (const auto& t : page.texts) out.text(t);
  }
  return doc.save_to_memory();
}

std::string render_receipt_pdf(const ReceiptInfo& info, const forms::Translations& translations, const Fonts& fonts) {
  const auto langs = translations.languages();
  if (!forms::is_known_language(info.lang) || std::find(langs.begin(), langs.end(), info.lang) == langs.end())
    throw PrintError("unknown-language", "unknown language '" + info.lang + "'");
  auto tr = [&](const std::string& k) -> const std::string& { return translations.text(info.lang, k); };

  std::time_t t = std::chrono::system_clock::to_time_t(info.when);
  std::tm local{};
  localtime_r(&t, &local);
  char date[32], time[16];
  std::strftime(date, sizeof date, "%d.%m.%Y", &local);
  std::strftime(time, sizeof time, "%H.%M", &local);

  detail::Typesetter type(fonts);
  HpdfDocument doc;
  HPDF_Font regular = doc.load_truetype(fonts.regular);
  HPDF_Font bold = doc.load_truetype(fonts.bold);
  set_metadata(doc, tr("receipt.title"), info.lang, info.reference);
  PdfPage page(doc, regular, bold);

  const double left = 25, width = 160;
  double y = 30;
  auto para = [&](const std::string& text, double pt, bool is_bold, double after = 3) {
    for (const auto& line : type.wrap(text, pt, is_bold, width)) {
      y += detail::pt_to_mm(pt) * 0.95;
      page.text(TextElement{left, y, pt, is_bold, false, line});
      y += detail::pt_to_mm(pt) * 0.35;
    }
    y += after;
  };
  para(tr("receipt.title"), 22, true, 6);
  para(tr("receipt.intro"), 13, false, 6);
  para(tr("receipt.reference"), 12, false, 1);
  para(info.reference, 26, true, 3);
  page.stroke_rect(RectMm{left - 3, y - 16, width + 6, 16}, 0.4);
  y += 4;
  para(tr("receipt.form"), 12, false, 1);
  para(info.form_title + " (" + info.form_id + ")", 13, true, 5);
  if (info.proposed) para(translations.format(info.lang, "receipt.proposed", {{"owner", info.owner_name}}), 12, true, 5);
  para(tr("receipt.when"), 12, false, 1);
  para(translations.format(info.lang, "receipt.datetime", {{"date", date}, {"time", time}}), 13, true, 5);
  if (!info.site_name.empty()) {
    para(tr("receipt.where"), 12, false, 1);
    para(info.site_name, 13, true, 5);
  }
  para(tr("receipt.next.heading"), 15, true, 2);
  para(tr("receipt.next.body"), 13, false, 6);
  para(tr("receipt.help.heading"), 15, true, 2);
  para(translations.format(info.lang, "receipt.help.body", {{"phone", info.help_phone}, {"reference", info.reference}}),
       13, false, 4);
  para(tr("receipt.keep"), 11, false, 0);
  return doc.save_to_memory();
}

void write_file_atomically(const std::filesystem::path& path, const std::string& bytes) {
  namespace fs = std::filesystem;
  const fs::path dir = path.has_parent_path() ? path.parent_path() : fs::path(".");
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw PrintError("output-failed",
                     "cannot write " + path.string() + ": the folder " + dir.string() + " does not exist");
  if (fs::is_directory(path, ec))
    throw PrintError("output-failed", "cannot write " + path.string() + ": it is a folder");
  std::string tmpl = (dir / ("." + path.filename().string() + ".XXXXXX")).string();
  int fd = mkstemp(tmpl.data());
  if (fd < 0) throw PrintError("output-failed", "cannot write " + path.string() + ": " + std::strerror(errno));
  const fs::path tmp = tmpl;
  auto fail = [&](const std::string& why) {
    ::close(fd);
    fs::remove(tmp, ec);
    throw PrintError("output-failed", "cannot write " + path.string() + ": " + why);
  };
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail(std::strerror(errno));
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) fail(std::strerror(errno));
  if (::close(fd) != 0) {
    fs::remove(tmp, ec);
    throw PrintError("output-failed", "cannot write " + path.string() + ": " + std::strerror(errno));
  }
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw PrintError("output-failed", "cannot write " + path.string() + ": " + ec.message());
  }
}

}  // namespace print
