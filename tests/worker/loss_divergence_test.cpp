#include "worker/loss_divergence.h"

#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

constexpr double kNan = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();

TEST(ParseIterationLine, LitgptFitLine) {
  // litgpt v0.5.13 finetune/lora.py fit(), an optimizer step (gradient accumulation 2).
  const auto point = parse_iteration_line(
      "Epoch 1 | iter 120 step 60 | loss train: 1.234, val: n/a | iter time: 412.37 ms (step)");
  ASSERT_TRUE(point.has_value());
  EXPECT_EQ(point->iteration, 120);
  EXPECT_DOUBLE_EQ(point->loss, 1.234);
}

TEST(ParseIterationLine, NonFiniteAsPythonFormatsThem) {
  // f"{float('nan'):.3f}" == "nan", f"{float('inf'):.3f}" == "inf", "-inf".
  const auto nan = parse_iteration_line(
      "Epoch 1 | iter 7 step 7 | loss train: nan, val: 2.113 | iter time: 90.00 ms (step)");
  ASSERT_TRUE(nan.has_value());
  EXPECT_EQ(nan->iteration, 7);
  EXPECT_TRUE(std::isnan(nan->loss));
  const auto inf = parse_iteration_line(
      "Epoch 2 | iter 8 step 4 | loss train: inf, val: n/a | iter time: 91.00 ms");
  ASSERT_TRUE(inf.has_value());
  EXPECT_TRUE(std::isinf(inf->loss) && inf->loss > 0);
  const auto minus = parse_iteration_line(
      "Epoch 2 | iter 9 step 4 | loss train: -inf, val: n/a | iter time: 91.00 ms");
  ASSERT_TRUE(minus.has_value());
  EXPECT_TRUE(std::isinf(minus->loss) && minus->loss < 0);
}

TEST(ParseIterationLine, ToleratesVariations) {
  // A rank prefix, no Epoch/step fields, a tab, a loss without decimals, an exponent.
  const auto ranked = parse_iteration_line("[rank0]: iter 5 | loss train: 2, val: n/a");
  ASSERT_TRUE(ranked.has_value());
  EXPECT_EQ(ranked->iteration, 5);
  EXPECT_DOUBLE_EQ(ranked->loss, 2.0);
  const auto spaced =
      parse_iteration_line("Epoch 3 | iter   42 step 21 | loss train:\t1e-3, val: 0.5");
  ASSERT_TRUE(spaced.has_value());
  EXPECT_EQ(spaced->iteration, 42);
  EXPECT_DOUBLE_EQ(spaced->loss, 1e-3);
  const auto caps = parse_iteration_line("Epoch 1 | iter 3 step 3 | loss train: NaN, val: n/a");
  ASSERT_TRUE(caps.has_value());
  EXPECT_TRUE(std::isnan(caps->loss));
}

TEST(ParseIterationLine, OtherLinesAreNotIterations) {
  for (const char* line : {
           "iter 100: val loss 1.8234, val time: 5123.01 ms",  // fit()'s validation line
           "Final evaluation | val loss: 1.802 | val ppl: 6.062",
           "Epoch 1 | step 60 | loss train: 1.234",       // no iteration
           "Epoch 1 | iter 12 step 6 | loss train: n/a",  // no number
           "Epoch 1 | iter 12 step 6 | loss train: 1.2.3, val: n/a",
           "loss train: 1.0 | iter 12",  // iteration after the loss
           "Number of epochs 1 reached, stopping training...",
           "",
       }) {
    EXPECT_FALSE(parse_iteration_line(line).has_value()) << line;
  }
}

TEST(LossDivergence, NeedsConsecutiveNonFiniteLosses) {
  LossDivergence divergence(3);
  EXPECT_FALSE(divergence.add({10, 1.5}));
  EXPECT_FALSE(divergence.add({20, kNan}));
  EXPECT_FALSE(divergence.add({30, kNan}));
  EXPECT_TRUE(divergence.ends_nonfinite());
  EXPECT_FALSE(divergence.add({40, 1.4}));  // a finite loss resets the count
  EXPECT_FALSE(divergence.ends_nonfinite());
  EXPECT_EQ(divergence.reason(), "");
  EXPECT_FALSE(divergence.add({50, kNan}));
  EXPECT_FALSE(divergence.add({60, kInf}));  // inf counts as nan does
  EXPECT_TRUE(divergence.add({70, kNan}));
  EXPECT_TRUE(divergence.diverged());
  EXPECT_EQ(divergence.first_nonfinite_iteration(), 50);
  EXPECT_EQ(divergence.reason(), "diverged at iteration 50 (loss train: nan)");
  EXPECT_TRUE(divergence.add({80, 1.0}));  // once diverged, it stays so, with the same reason
  EXPECT_EQ(divergence.reason(), "diverged at iteration 50 (loss train: nan)");
}

TEST(LossDivergence, ConsecutiveIsConfigurable) {
  LossDivergence at_once(1);
  EXPECT_TRUE(at_once.add({5, kInf}));
  EXPECT_EQ(at_once.reason(), "diverged at iteration 5 (loss train: inf)");
  LossDivergence patient(5);
  for (long long i = 1; i <= 4; ++i) EXPECT_FALSE(patient.add({i, -kInf})) << i;
  EXPECT_TRUE(patient.add({5, kNan}));
  EXPECT_EQ(patient.reason(), "diverged at iteration 1 (loss train: -inf)");
  LossDivergence clamped(0);  // below 1 means 1
  EXPECT_TRUE(clamped.add({2, kNan}));
}

TEST(LossDivergence, ReadsLines) {
  LossDivergence divergence(2);
  EXPECT_FALSE(divergence.add_line(
      "Epoch 1 | iter 1 step 1 | loss train: 2.345, val: n/a | iter time: 1.00 ms"));
  EXPECT_FALSE(divergence.add_line(
      "Epoch 1 | iter 2 step 2 | loss train: nan, val: n/a | iter time: 1.00 ms"));
  EXPECT_FALSE(divergence.add_line("iter 2: val loss nan, val time: 10.00 ms"));  // not a loss line
  EXPECT_TRUE(divergence.add_line(
      "Epoch 1 | iter 3 step 3 | loss train: nan, val: nan | iter time: 1.00 ms"));
  EXPECT_EQ(divergence.reason(), "diverged at iteration 2 (loss train: nan)");
}

}  // namespace
}  // namespace lorahpo
