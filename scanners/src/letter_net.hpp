#pragma once
// The network for letter boxes. Shared by the library (inference) and tools/train_letters.cpp
// (training), so the two can never disagree about the layers.
#include <dlib/dnn.h>

#include "scanners/letters.hpp"

namespace scanners::detail {

// LeNet-like, wider than LeNet-5 (31 classes, some told apart by a small ring or stroke:
// A/Å, O/Ø/Q): assets/models/letters.dat.
template <typename Input>
using LetterBody = dlib::fc<
    kLetterClassCount,
    dlib::relu<dlib::fc<
        128, dlib::max_pool<
                 2, 2, 2, 2,
                 dlib::relu<dlib::con<32, 5, 5, 1, 1,
                                      dlib::max_pool<2, 2, 2, 2, dlib::relu<dlib::con<16, 5, 5, 1, 1, Input>>>>>>>>>;

using LetterNet = dlib::loss_multiclass_log<LetterBody<dlib::input<dlib::matrix<unsigned char>>>>;

}  // namespace scanners::detail
