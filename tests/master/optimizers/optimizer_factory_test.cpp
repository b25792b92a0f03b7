// This binary links lorahpo_optimizers and GoogleTest, nothing else (tests/CMakeLists.txt): that
// every optimizer the factory makes links without the worker, yaml-cpp or MPI is the linker's
// proof of "optimizers never touch MPI, files, processes or clocks" (STYLE.md). The tests check
// the factory's contract: each kind proposes points in the unit cube and takes their results.
#include "master/optimizers/optimizer_factory.h"

#include <cmath>
#include <set>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

CampaignConfig two_dimensional(OptimizerKind kind) {
  CampaignConfig config;
  config.campaign.budget = 12;
  config.campaign.seed = 7;
  Parameter a;
  a.name = "a";
  a.type = ParamType::kFloat;
  a.low = -2.0;
  a.high = 2.0;
  Parameter b = a;
  b.name = "b";
  config.space = SearchSpace({a, b});
  config.optimizer.kind = kind;
  config.optimizer.bo_gp.n_init = 4;
  return config;
}

/// A smooth function with its maximum (0) at (0.3, 0.6) in the unit cube.
double objective(const std::vector<double>& u) {
  return -std::pow(u[0] - 0.3, 2) - std::pow(u[1] - 0.6, 2);
}

class OptimizerFactoryTest : public ::testing::TestWithParam<OptimizerKind> {};

TEST_P(OptimizerFactoryTest, MakesAnOptimizerThatAsksInTheCubeAndTakesResults) {
  const CampaignConfig config = two_dimensional(GetParam());
  const auto optimizer = make_optimizer(config, std::mt19937_64(config.campaign.seed));
  ASSERT_NE(optimizer, nullptr);
  EXPECT_EQ(optimizer->name(), to_string(GetParam()));
  std::set<std::int64_t> tickets;
  int told = 0;
  for (int round = 0; round < 6 && told < config.campaign.budget; ++round) {
    const std::vector<Suggestion> batch = optimizer->ask(2);
    ASSERT_FALSE(batch.empty()) << "round " << round;
    for (const Suggestion& s : batch) {
      EXPECT_TRUE(tickets.insert(s.ticket).second) << "ticket " << s.ticket << " given twice";
      ASSERT_EQ(s.unit.size(), 2u);
      for (double c : s.unit) {
        EXPECT_GE(c, 0.0);
        EXPECT_LE(c, 1.0);
      }
      optimizer->tell(s.ticket, objective(s.unit));
      ++told;
    }
  }
  EXPECT_GE(told, 6);
}

INSTANTIATE_TEST_SUITE_P(EveryKind, OptimizerFactoryTest,
                         ::testing::Values(OptimizerKind::kBoGp, OptimizerKind::kSoo,
                                           OptimizerKind::kBamsoo, OptimizerKind::kLhs,
                                           OptimizerKind::kRandom),
                         [](const ::testing::TestParamInfo<OptimizerKind>& param_info) {
                           return std::string(to_string(param_info.param));
                         });

/// bo_gp's options as the engine's (what make_optimizer and the benchmark's "%" methods use):
/// n_init capped at the budget, liar auto = the best observation for sync batches and the kriging
/// believer for async, an explicit liar kept.
TEST(BoGpEngineOptionsTest, MapsTheUserOptionsAsDocumented) {
  BoGpOptions user;
  user.n_init = 30;
  user.mode = BoMode::kAsync;
  user.liar = BoLiar::kAuto;
  user.batch_size = 6;
  user.max_gp_points = 64;
  user.acquisition = BoAcquisition::kUcb;
  BayesianOptimizationOptions engine = bo_gp_engine_options(user, 12);
  EXPECT_EQ(engine.n_init, 12);
  EXPECT_FALSE(engine.synchronous);
  EXPECT_EQ(engine.liar, Liar::kKrigingBeliever);
  EXPECT_EQ(engine.batch_size, 6);
  EXPECT_EQ(engine.max_gp_points, 64);
  EXPECT_EQ(engine.acquisition, AcquisitionKind::kUcb);
  user.mode = BoMode::kSync;
  engine = bo_gp_engine_options(user, 100);
  EXPECT_EQ(engine.n_init, 30);
  EXPECT_TRUE(engine.synchronous);
  EXPECT_EQ(engine.liar, Liar::kBest);
  user.liar = BoLiar::kWorst;
  EXPECT_EQ(bo_gp_engine_options(user, 100).liar, Liar::kWorst);
}

}  // namespace
}  // namespace lorahpo
