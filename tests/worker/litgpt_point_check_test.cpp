#include "worker/litgpt_point_check.h"

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

nlohmann::ordered_json trial(long long global, long long micro, long long devices) {
  return {{"devices", devices},
          {"num_nodes", 1},
          {"train", {{"global_batch_size", global}, {"micro_batch_size", micro}}},
          {"optimizer", {{"init_args", {{"lr", 3e-4}, {"betas", {0.9, 0.95}}}}}}};
}

const std::set<std::string> kBatch = {"train.global_batch_size"};

TEST(LitgptPointProblem, GlobalBatchMustBeAMultipleOfMicroTimesDevices) {
  EXPECT_FALSE(litgpt_point_problem(trial(16, 4, 4), kBatch).has_value());
  EXPECT_FALSE(litgpt_point_problem(trial(64, 4, 4), kBatch).has_value());
  // 24 // 4 // 4 = 1: LitGPT would train with 16.
  const auto floored = litgpt_point_problem(trial(24, 4, 4), kBatch);
  ASSERT_TRUE(floored.has_value());
  EXPECT_NE(floored->find("global batch of 16 instead"), std::string::npos) << *floored;
  // 16 // 4 // 8 = 0: args.py gradient_accumulation_iters asserts.
  const auto zero = litgpt_point_problem(trial(16, 8, 4), {"train.micro_batch_size"});
  ASSERT_TRUE(zero.has_value());
  EXPECT_NE(zero->find("gradient_accumulation_iters > 0"), std::string::npos) << *zero;
  EXPECT_NE(zero->find("(16)"), std::string::npos) << *zero;
}

TEST(LitgptPointProblem, FixedValuesAreTheLoadersBusiness) {
  // Nothing searched touches the batch: the campaign file's check covers it, not every point.
  EXPECT_FALSE(litgpt_point_problem(trial(24, 4, 4), {"optimizer.init_args.lr"}).has_value());
}

TEST(LitgptPointProblem, SearchedValuesInsideTheirKeysRange) {
  auto config = trial(16, 4, 4);
  config["optimizer"]["init_args"]["betas"][0] = 1.0;
  const auto problem = litgpt_point_problem(config, {"optimizer.init_args.betas[0]"});
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("optimizer.init_args.betas[0] = 1.0 is outside [0, 1)"),
            std::string::npos)
      << *problem;
}

TEST(LitgptPointProblem, WarmupBelowMaxStepsWhenKnown) {
  auto config = trial(16, 4, 4);
  config["train"]["lr_warmup_steps"] = 400;
  const std::set<std::string> warmup = {"train.lr_warmup_steps"};
  EXPECT_FALSE(litgpt_point_problem(config, warmup).has_value());  // max_steps unknown
  config["train"]["max_steps"] = 400;
  const auto problem = litgpt_point_problem(config, warmup);
  ASSERT_TRUE(problem.has_value());
  EXPECT_NE(problem->find("below train.max_steps (400)"), std::string::npos) << *problem;
  config["train"]["max_steps"] = 401;
  EXPECT_FALSE(litgpt_point_problem(config, warmup).has_value());
}

}  // namespace
}  // namespace lorahpo
