#include "hpdf_document.hpp"

#include <hpdf_doc.h>
#include <hpdf_objects.h>

#include <cstdio>
#include <system_error>

#include "print/error.hpp"

namespace print::detail {

void HpdfDocument::on_error(HPDF_STATUS error, HPDF_STATUS detail, void* user_data) noexcept {
  auto* state = static_cast<ErrorState*>(user_data);
  if (state->error == 0) {
    state->error = error;
    state->detail = detail;
  }
}

HpdfDocument::HpdfDocument() {
  doc_.reset(HPDF_New(&HpdfDocument::on_error, errors_.get()));
  if (!doc_) throw PrintError("pdf-failed", "could not create a PDF document (out of memory?)");
  check("enable UTF-8 encodings", HPDF_UseUTFEncodings(doc_.get()));
  check("set compression", HPDF_SetCompressionMode(doc_.get(), HPDF_COMP_ALL));
}

void HpdfDocument::check(const std::string& what, HPDF_STATUS status, const std::string& code) {
  if (errors_->error == 0 && status == HPDF_OK) return;
  HPDF_STATUS error = errors_->error != 0 ? errors_->error : status;
  HPDF_STATUS detail = errors_->detail;
  errors_->error = errors_->detail = 0;
  HPDF_ResetError(doc_.get());
  char buf[64];
  std::snprintf(buf, sizeof buf, "libharu error 0x%04X (detail %u)", static_cast<unsigned>(error),
                static_cast<unsigned>(detail));
  throw PrintError(code, what + ": " + buf);
}

HPDF_Font HpdfDocument::load_truetype(const std::filesystem::path& file) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec))
    throw PrintError("font-missing",
                     "font file " + file.string() + " is missing (install the Debian package fonts-dejavu-core)");
  const char* name = HPDF_LoadTTFontFromFile(doc_.get(), file.string().c_str(), HPDF_TRUE);
  check("load font " + file.string(), name ? HPDF_OK : HPDF_FAILD_TO_ALLOC_MEM, "font-missing");
  HPDF_Font font = HPDF_GetFont(doc_.get(), name, "UTF-8");
  check("use font " + file.string() + " with UTF-8", font ? HPDF_OK : HPDF_INVALID_FONTDEF_DATA, "font-missing");
  return font;
}

void HpdfDocument::set_language(const std::string& lang) {
  HPDF_Doc doc = doc_.get();
  HPDF_String value = HPDF_String_New(doc->mmgr, lang.c_str(), nullptr);
  check("document language", value ? HPDF_OK : HPDF_FAILD_TO_ALLOC_MEM);
  check("document language", HPDF_Dict_Add(doc->catalog, "Lang", value));
}

std::string HpdfDocument::save_to_memory() {
  check("write PDF", HPDF_SaveToStream(doc_.get()));
  HPDF_UINT32 size = HPDF_GetStreamSize(doc_.get());
  check("write PDF");
  std::string out(size, '\0');
  HPDF_UINT32 done = 0;
  while (done < size) {
    HPDF_UINT32 chunk = size - done;
    HPDF_STATUS st = HPDF_ReadFromStream(doc_.get(), reinterpret_cast<HPDF_BYTE*>(out.data() + done), &chunk);
    done += chunk;
    if (st == HPDF_STREAM_EOF) break;
    check("read PDF stream", st);
    if (chunk == 0) break;
  }
  HPDF_ResetError(doc_.get());
  errors_->error = errors_->detail = 0;  // libharu reports the stream's EOF through the handler
  if (done != size) throw PrintError("pdf-failed", "PDF stream ended early");
  out.resize(done);
  return out;
}

}  // namespace print::detail
