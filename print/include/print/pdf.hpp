#pragma once
#include <chrono>
#include <filesystem>
#include <string>

#include "forms/translations.hpp"
#include "print/layout.hpp"
#include "print/qr_payload.hpp"

namespace print {

// Renders a laid-out form as an A4 PDF: embedded TrueType fonts (UTF-8), corner marks,
// one QR code per page (encode_qr_payload with this submission id and key), metadata
// (title, language). Returns the PDF bytes. Throws PrintError ("font-missing", "pdf-failed",
// "qr-failed", "qr-bad-field").
std::string render_form_pdf(const FormLayout& layout, const std::string& submission_id, const MacKey& key,
                            const Fonts& fonts = {});

// What a receipt (kvittering) says. Texts come from the translation catalogue ("receipt.*").
struct ReceiptInfo {
  std::string reference;   // the reference number the person quotes when calling
  std::string form_title;  // in the chosen language
  std::string form_id;
  std::string lang;
  std::chrono::system_clock::time_point when = std::chrono::system_clock::now();
  std::string help_phone;  // config site.help_phone
  std::string site_name;   // config site.name
  // A form the kiosk proposes (forms::FormStatus::Proposed) says so on the receipt, naming the
  // body that decides (its owner, in info.lang).
  bool proposed = false;
  std::string owner_name;
};

// Renders the receipt as an A4 PDF in info.lang. Throws PrintError ("unknown-language",
// "font-missing", "pdf-failed").
std::string render_receipt_pdf(const ReceiptInfo& info, const forms::Translations& translations,
                               const Fonts& fonts = {});

// Writes `bytes` to `path` through a temporary file in the same folder and a rename, so a
// failure never leaves a partial file. Throws PrintError("output-failed") with the reason.
void write_file_atomically(const std::filesystem::path& path, const std::string& bytes);

}  // namespace print
