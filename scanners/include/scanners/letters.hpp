#pragma once
#include <array>
#include <filesystem>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include <opencv2/core.hpp>

#include "scanners/digits.hpp"

namespace scanners {

// The classes of the letter-box classifier: the capital letters of Norwegian names (A-Z, Æ, Ø, Å),
// the hyphen of double names, and one class for every other letter ("?": Sámi letters such as
// Á Č Đ Ŋ Š Ŧ Ž, and letters with accents). A box read as "?" always goes to review: the kiosk
// cannot vouch for those letters, so a person reads them.
inline constexpr std::array<const char*, 31> kLetterClasses{"A", "B", "C", "D", "E", "F", "G", "H", "I", "J", "K",
                                                            "L", "M", "N", "O", "P", "Q", "R", "S", "T", "U", "V",
                                                            "W", "X", "Y", "Z", "Æ", "Ø", "Å", "-", "?"};
inline constexpr size_t kLetterClassCount = kLetterClasses.size();
inline constexpr size_t kOtherLetterClass = kLetterClassCount - 1;
// Letters drawn for the "?" class in training (never accepted, see above).
inline constexpr std::array<const char*, 14> kOtherLetters{"Á", "Č", "Đ", "Ŋ", "Š", "Ŧ", "Ž",
                                                           "Ä", "Ö", "Ü", "É", "È", "Ñ", "Ç"};

// The class index of a letter (UTF-8, e.g. "Ø"), or -1 when it has none of its own.
int letter_class(const std::string& letter);

// The softmax probabilities of the classes for one reading of one box.
using LetterProbabilities = std::array<float, kLetterClassCount>;

// What the classifier says about one box, combining its readings (the box as normalised and
// slightly rotated copies).
struct LetterGuess {
  int index = -1;           // into kLetterClasses: the best of the averaged probabilities
  std::string letter;       // kLetterClasses[index], "" when nothing was read
  float confidence = 0.0f;  // averaged probability of that class
  float lowest = 0.0f;      // the lowest probability any single reading gave it
  float agreement = 0.0f;   // share of readings whose own best class is `index` (1: all agree)
};

// When a letter read by the classifier may be accepted without a person looking at it.
// Calibrated on fonts the network never saw (see assets/models/README.md): a wrong letter
// accepted here is a silent wrong value.
struct LetterAcceptance {
  // The classifier alone: every reading agrees and the average is at least this.
  float alone_min_confidence = 0.995f;
  // The classifier and Tesseract's line reading name the same letter: a lower bar will do.
  float agreed_min_confidence = 0.90f;
  // No single reading may doubt the letter more than this.
  float min_lowest = 0.50f;
  // `tesseract_letter` is what Tesseract read in this box ("" when its line reading did not
  // give one letter per box).
  bool accepts(const LetterGuess& guess, const std::string& tesseract_letter) const;
};

// The letter classifier: a dlib dnn network (scanners/src/letter_net.hpp) trained by
// scanners/tools/train_letters.cpp on fonts from Debian packages (see assets/models/README.md).
// Its input is the box's ink normalised like a digit (normalize_digit). Not thread-safe.
class LetterClassifier {
 public:
  // Throws ScanError "model-missing" when the file cannot be read.
  explicit LetterClassifier(const std::filesystem::path& model_file);
  ~LetterClassifier();
  LetterClassifier(LetterClassifier&&) noexcept;
  LetterClassifier& operator=(LetterClassifier&&) noexcept;

  std::vector<LetterGuess> classify(const std::vector<DigitImage>& letters) const;
  LetterGuess classify(const DigitImage& letter) const;
  static LetterGuess combine(const std::vector<LetterProbabilities>& readings);

  // assets/models/letters.dat under forms::assets_dir().
  static std::filesystem::path default_model_file();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A capital letter (ASCII A-Z or '-') drawn with one of OpenCV's Hershey fonts, fitted into a
// 28 x 28 grey image the way MNIST digits are (ink bright, about 20 px, centred), so that
// render_digit_in_box can draw it into a box like a person writes. `thickness` is in pixels of
// a glyph about 80 px high; `slant` shears the letter (0.2: leaning right).
cv::Mat hershey_glyph(char letter, int font, int thickness, double slant);

// A capital letter as a person writes it in block letters, drawn with a Hershey face: A-Z and the
// hyphen as the face has them, and the letters it lacks built from a base letter and the marks a
// hand adds (Æ Ø Å; Sámi Á Č Đ Ŋ Š Ŧ Ž; Ä Ö Ü É È Ñ Ç): an accent, caron, dots or ring above,
// a bar through the stem, a hook or cedilla below. Ink 255 on 0, cropped to the ink with a margin
// of `thickness`; `scale` and `thickness` as for cv::putText. Empty for a letter it cannot draw.
cv::Mat hershey_letter(const std::string& letter, int font, double scale, int thickness);

// The letters hershey_letter builds from a base letter and marks (besides A-Z and "-").
inline constexpr std::array<const char*, 17> kMarkedLetters{"Æ", "Ø", "Å", "Á", "Č", "Đ", "Ŋ", "Š", "Ŧ",
                                                            "Ž", "Ä", "Ö", "Ü", "É", "È", "Ñ", "Ç"};

// What the ink of a letter box shows besides the letter's body: the marks that turn a base letter
// into another one (Á, Š, Ä, Đ, Ŧ, Ŋ, Ç, ...). A classifier trained mostly on letters without
// marks may read such a letter as its base letter, so a letter is accepted only when the marks
// found agree with it (marks_fit).
struct LetterMarks {
  int above = 0;                  // separate marks above the body (accent, caron: 1; dots: 2; ring: 1)
  bool ring_above = false;        // the one mark above encloses a hole (Å's ring)
  bool below = false;             // a separate mark below the body (cedilla)
  bool bar_left_of_stem = false;  // ink sticks out left of a straight left stem mid-height (Đ)
  bool bar_across_stem = false;   // a second bar across the stem of a T below its top bar (Ŧ)
  bool tail_below = false;        // the right leg reaches well below the left one (Ŋ's hook)
};

// Looks for those marks in the ink (binary, ink 255) of one letter box's inside.
LetterMarks find_letter_marks(const cv::Mat& ink);

// Whether a letter read (a class of kLetterClasses) agrees with the marks found: Å needs its ring
// above and nothing else; every other letter has no separate mark above or below; D (and the other
// letters with a straight left stem) no bar left of the stem; T no second bar; N no tail.
bool marks_fit(const std::string& letter, const LetterMarks& marks);

// Turns the ink of one letter box's inside (binary, ink 255) into the classifier's input, like
// normalize_digit: line remnants along the edges and specks removed, fitted into 20 x 20 and
// centred in 28 x 28. Nothing when the box holds no letter.
std::optional<DigitImage> normalize_letter(const cv::Mat& ink);

// True when the ink (binary, 255) is one straight upright stroke: a capital I. The network reads
// a plain bar poorly (most fonts give I serifs), so this shape is recognised by geometry.
bool is_single_bar(const cv::Mat& ink);

// Fits a grey glyph image (ink bright, any size) into 28 x 28 like an MNIST digit.
cv::Mat fit_glyph(const cv::Mat& ink);

}  // namespace scanners
