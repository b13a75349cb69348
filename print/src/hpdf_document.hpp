#pragma once
// Internal RAII wrapper around a libharu document. libharu reports errors through a callback;
// ours only records the first error (never longjmp, never throws through C frames) and
// check() turns a recorded error into a PrintError after each call.
#include <hpdf.h>

#include <filesystem>
#include <memory>
#include <string>

namespace print::detail {

class HpdfDocument {
 public:
  HpdfDocument();  // throws PrintError("pdf-failed")
  HpdfDocument(const HpdfDocument&) = delete;
  HpdfDocument& operator=(const HpdfDocument&) = delete;

  HPDF_Doc get() const { return doc_.get(); }
  // Throws PrintError(code, "<what>: libharu error 0x...") when an error was recorded (or
  // `status` is not HPDF_OK), and clears it.
  void check(const std::string& what, HPDF_STATUS status = HPDF_OK, const std::string& code = "pdf-failed");
  // Loads and embeds a TrueType font with UTF-8 encoding. Throws "font-missing" when absent.
  HPDF_Font load_truetype(const std::filesystem::path& file);
  // Sets the document language (/Lang in the catalogue), which libharu has no call for.
  void set_language(const std::string& lang);
  // The whole PDF as bytes.
  std::string save_to_memory();

 private:
  struct ErrorState {
    HPDF_STATUS error = 0;
    HPDF_STATUS detail = 0;
  };
  static void on_error(HPDF_STATUS error, HPDF_STATUS detail, void* user_data) noexcept;
  struct Free {
    void operator()(HPDF_Doc doc) const noexcept { HPDF_Free(doc); }
  };
  std::unique_ptr<ErrorState> errors_ = std::make_unique<ErrorState>();
  std::unique_ptr<std::remove_pointer_t<HPDF_Doc>, Free> doc_;
};

inline double mm_to_pt(double mm) {
  return mm * 72.0 / 25.4;
}
inline double pt_to_mm(double pt) {
  return pt * 25.4 / 72.0;
}

}  // namespace print::detail
