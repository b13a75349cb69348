#include "outbox/error_codes.hpp"

#include <map>

namespace kiosk::outbox {

std::string staff_text(const std::string& code) {
  static const std::map<std::string, std::string> texts = {
      {codes::kCertificateExpired, "Kioskens sertifikat er utløpt eller ikke gyldig ennå. Kontakt kundestøtte."},
      {codes::kCertificateRevoked, "Kioskens sertifikat er trukket tilbake. Kontakt kundestøtte."},
      {codes::kCertificateWrongUsage, "Kioskens sertifikat har feil bruksområde. Kontakt kundestøtte."},
      {codes::kCertificateUntrusted, "Kioskens sertifikat er ikke godkjent av mottakeren. Kontakt kundestøtte."},
      {codes::kSignatureInvalid, "Signaturen på sendingen stemmer ikke. Send skjemaet på nytt."},
      {codes::kCannotDecrypt, "Mottakeren kunne ikke åpne sendingen. Kontakt kundestøtte."},
      {codes::kNotParseable, "Sendingen kunne ikke leses. Kontakt kundestøtte."},
      {codes::kHeaderMismatch, "Adressefeltene stemmer ikke med innholdet. Kontakt kundestøtte."},
      {codes::kUnknownForm, "Mottakeren kjenner ikke dette skjemaet. Bruk papirskjema og send det i posten."},
      {codes::kInvalidAnswers, "Svarene i skjemaet ble ikke godtatt. Fyll ut skjemaet på nytt sammen med innbyggeren."},
      {codes::kRepresentationRefused, "Fullmakten eller representasjonen ble ikke godtatt. Sjekk dokumentasjonen."},
      {codes::kDocumentHashMismatch, "De skannede sidene ble skadet underveis. Skann og send på nytt."},
      {codes::kMessageTooLarge, "Sendingen er for stor. Skann med færre sider eller lavere oppløsning."},
      {codes::kWithdrawUnknown,
       "Mottakeren har ikke noe godtatt skjema med dette nummeret, så det er ingenting å trekke tilbake."},
      {codes::kRejectedBySimulator, "Avvist av testmottakeren (simulator)."},
  };
  auto it = texts.find(code);
  return it == texts.end() ? "Ukjent feil (" + code + "). Kontakt kundestøtte." : it->second;
}

}  // namespace kiosk::outbox
