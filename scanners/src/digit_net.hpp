#pragma once
// The LeNet-5 style network used for digit boxes. Shared by the library (inference) and
// tools/train_digits.cpp (training), so the two can never disagree about the layers.
#include <dlib/dnn.h>

namespace scanners::detail {

template <typename Input>
using LeNetBody = dlib::fc<
    10,
    dlib::relu<dlib::fc<
        84, dlib::relu<dlib::fc<
                120, dlib::max_pool<2, 2, 2, 2,
                                    dlib::relu<dlib::con<
                                        16, 5, 5, 1, 1,
                                        dlib::max_pool<2, 2, 2, 2, dlib::relu<dlib::con<6, 5, 5, 1, 1, Input>>>>>>>>>>>;

using DigitNet = dlib::loss_multiclass_log<LeNetBody<dlib::input<dlib::matrix<unsigned char>>>>;

}  // namespace scanners::detail
