#pragma once
#include <cstddef>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "forms/questionnaire.hpp"

namespace forms {

// Import of the platform's own FHIR R4 Questionnaires (as helsenorge publishes them: sdf-*
// and validation extensions, itemControl help/inline/highlight/sidebar items, markdown text,
// contained ValueSets, enableWhen, Bundles of language variants) into the kiosk's catalogue
// format. Every item of the source is accounted for: it is carried over, turned into
// information text, or listed as unsupported with the reason. An unsupported *required* item
// makes the form "not offered".

inline constexpr std::size_t kImportMaxFileBytes = 16u * 1024u * 1024u;  // largest real form: ~1.2 MB
inline constexpr int kImportMaxJsonDepth = 100;                          // brackets; real forms stay under 40
inline constexpr int kImportMaxItemDepth = 20;                           // nested items; real forms stay under 10
inline constexpr std::size_t kImportMaxItems = 5000;   // real forms stay under 500; checks are quadratic
inline constexpr int kImportMaxQuestionsPerPart = 40;  // long forms are split into parts of this size
inline constexpr const char* kImportedFromExtension =
    "http://kiosk.ekstraenkel.no/fhir/StructureDefinition/imported-from";
inline constexpr const char* kImportLeftOutExtension =
    "http://kiosk.ekstraenkel.no/fhir/StructureDefinition/import-left-out";
// The owner written for imported forms when none is named: the platform that publishes them.
inline constexpr const char* kImportDefaultOwner = "helsenorge";

// The kiosk's three ways a form is used: asked on the touch screen, printed, read back from the scan.
struct Channels {
  bool screen = true;
  bool paper = true;
  bool recognition = true;
  bool all() const { return screen && paper && recognition; }
};

struct UnsupportedItem {
  std::string link_id;
  std::string type;  // the FHIR item type
  bool required = false;
  Channels supported;  // the channels that could carry it (all false when it is left out entirely)
  std::string why;     // plain English
};

// Something carried over with a limit (a pattern the kiosk does not check, a repeating item
// answered once, ...). Not a reason to refuse the form, but said out loud.
struct ImportNote {
  std::string link_id;
  std::string note;
};

struct ImportedForm {
  std::string source;                  // file name, plus the Bundle entry when it came from one
  std::string id;                      // the kiosk form id ("helfo-ehic")
  std::string url;                     // the Questionnaire's canonical url (or Questionnaire/<id>)
  std::string title;                   // plain text
  std::vector<std::string> languages;  // "nb" first; more when a Bundle held language variants
  std::size_t items = 0;               // items in the source, groups and display items included
  std::size_t parts = 1;               // top-level parts after splitting a long form
  Channels supported;                  // of the form as a whole: false when a required item cannot be carried
  bool offered = false;
  std::string not_offered;  // why, when not offered
  std::vector<UnsupportedItem> unsupported;
  std::vector<ImportNote> notes;
  nlohmann::json catalogue_form;  // the kiosk form file; null unless offered
  Questionnaire form;             // catalogue_form parsed back (valid only when offered)
};

struct ImportOptions {
  std::string category = "see-my-data";  // task category written into the form file
};

// Imports a Questionnaire, or a Bundle of Questionnaires, from JSON text. Throws FormError
// naming `source_name` for input that is not a usable Questionnaire: malformed or too deep
// JSON, another resource, a missing or duplicate linkId, an enableWhen pointing nowhere or
// in a cycle, items nested too deep. Never crashes on any input.
std::vector<ImportedForm> import_questionnaires(const std::string& text, const std::string& source_name,
                                                const ImportOptions& options = {});
// Same, from a file (at most kImportMaxFileBytes).
std::vector<ImportedForm> import_questionnaire_file(const std::filesystem::path& path,
                                                    const ImportOptions& options = {});

// {"forms":[{"url","title","items","supported":{"screen","paper","recognition"},
//            "unsupported":[{"linkId","type","why"}], ...}]} as `kioskctl forms import --json` prints it.
nlohmann::json import_report_json(const std::vector<ImportedForm>& forms);

// Writes every offered form into the catalogue folder `dir` as <id>.json and lists it in the
// folder's owners.json: with `owner_code` (an owner already in that owners.json) as official
// with the Questionnaire's url as source when it is a web address, else under the platform
// (kImportDefaultOwner, added when missing) as proposed. Then loads the folder with
// Catalogue::load_directory to prove it. Throws FormError when the folder cannot take them
// (other forms without an owners.json, an unknown owner) before anything is written.
// Returns the paths written.
std::vector<std::filesystem::path> write_imported_forms(const std::filesystem::path& dir,
                                                        const std::vector<ImportedForm>& forms,
                                                        const std::string& owner_code = "");

}  // namespace forms
