#pragma once
// The networks used for digit boxes. Shared by the library (inference) and
// tools/train_digits.cpp (training), so the two can never disagree about the layers.
#include <dlib/dnn.h>

namespace scanners::detail {

// LeNet-5 layout: assets/models/digits-lenet.dat.
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

// A wider second network (more filters per layer, about 6x LeNet's arithmetic): the former
// assets/models/digits-wide.dat (sessions 3-6; files of this layout still load). Its errors differ from LeNet's, so the
// two together both read better (averaged) and tell when a box is doubtful (they disagree).
template <typename Input>
using WideBody = dlib::fc<
    10, dlib::relu<dlib::fc<
            192, dlib::max_pool<
                     2, 2, 2, 2,
                     dlib::relu<dlib::con<
                         48, 5, 5, 1, 1, dlib::max_pool<2, 2, 2, 2, dlib::relu<dlib::con<24, 5, 5, 1, 1, Input>>>>>>>>>;

using WideDigitNet = dlib::loss_multiclass_log<WideBody<dlib::input<dlib::matrix<unsigned char>>>>;

// A third network with batch normalisation (32 and 64 5x5 filters, 256 hidden units; about 1.7x
// the wide network's arithmetic): assets/models/digits-bn.dat and digits-bn2.dat. Batch normalisation lets it learn
// in far fewer epochs. One layout, two forms (dlib's recipe): it is trained with bn_con/bn_fc
// layers, and the file holds the inference form, where each of them becomes the fixed affine
// transform it converged to. `ConvNorm` and `FcNorm` are those normalisation layers.
template <template <typename> class ConvNorm, template <typename> class FcNorm, typename Input>
using BnBody = dlib::fc<
    10,
    dlib::relu<FcNorm<dlib::fc<
        256,
        dlib::max_pool<2, 2, 2, 2,
                       dlib::relu<ConvNorm<dlib::con<
                           64, 5, 5, 1, 1,
                           dlib::max_pool<2, 2, 2, 2, dlib::relu<ConvNorm<dlib::con<32, 5, 5, 1, 1, Input>>>>>>>>>>>>;
template <typename Input>
using BnTrainBody = BnBody<dlib::bn_con, dlib::bn_fc, Input>;
template <typename Input>
using BnInferBody = BnBody<dlib::affine, dlib::affine, Input>;

using BnDigitTrainNet = dlib::loss_multiclass_log<BnTrainBody<dlib::input<dlib::matrix<unsigned char>>>>;
using BnDigitNet = dlib::loss_multiclass_log<BnInferBody<dlib::input<dlib::matrix<unsigned char>>>>;

}  // namespace scanners::detail
