#include "master/campaign/campaign_identity.h"

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

nlohmann::ordered_json optimizer_identity(const OptimizerConfig& optimizer, int batch_size) {
  CampaignConfig config;
  config.optimizer = optimizer;
  return campaign_identity(config, batch_size)["optimizer"];
}

TEST(CampaignIdentity, BoGpOptionsAreWrittenByTheirYamlNames) {
  OptimizerConfig o;
  o.bo_gp.mode = BoMode::kSync;
  o.bo_gp.liar = BoLiar::kKrigingBeliever;
  const auto identity = optimizer_identity(o, 7);
  EXPECT_EQ(identity.dump(), R"({"name":"bo_gp","n_init":10,"mode":"sync","batch_size":7,)"
                             R"("acquisition":"log_ei","liar":"kriging_believer"})");
}

TEST(CampaignIdentity, MaxGpPointsEntersOnlyWhenChanged) {
  // Journals written before the option existed must keep their identity.
  OptimizerConfig o;
  EXPECT_FALSE(optimizer_identity(o, 1).contains("max_gp_points"));
  o.bo_gp.max_gp_points = 256;
  EXPECT_EQ(optimizer_identity(o, 1).at("max_gp_points"), 256);
}

TEST(CampaignIdentity, SooBamsooAndSamplers) {
  OptimizerConfig o;
  o.kind = OptimizerKind::kBamsoo;
  o.bamsoo.eta = 0.25;
  EXPECT_EQ(optimizer_identity(o, 4).dump(),
            R"({"name":"bamsoo","k":3,"depth_exponent":0.5,"eta":0.25,"batch_size":4})");
  o.kind = OptimizerKind::kSoo;
  EXPECT_EQ(optimizer_identity(o, 4).dump(),
            R"({"name":"soo","k":3,"depth_exponent":0.5,"batch_size":4})");
  o.kind = OptimizerKind::kRandom;
  EXPECT_EQ(optimizer_identity(o, 4).dump(), R"({"name":"random"})");
}

// `parallel` is in the identity only when it is not the default sweep: journals written before
// the option existed ran sweeps and resume as they ran; a campaign cannot switch strategy.
TEST(CampaignIdentity, AParallelStrategyOtherThanTheSweepIsPartOfIt) {
  OptimizerConfig o;
  o.kind = OptimizerKind::kSoo;
  o.soo.parallel = PartitionParallel::kAsync;
  EXPECT_EQ(optimizer_identity(o, 4).dump(),
            R"({"name":"soo","k":3,"depth_exponent":0.5,"parallel":"async","batch_size":4})");
  o.kind = OptimizerKind::kBamsoo;
  o.bamsoo.soo.parallel = PartitionParallel::kWide;
  OptimizerConfig sweep = o;
  sweep.bamsoo.soo.parallel = PartitionParallel::kSweep;
  const auto differences =
      identity_differences(optimizer_identity(sweep, 4), optimizer_identity(o, 4));
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_NE(differences[0].find("parallel"), std::string::npos) << differences[0];
}

TEST(CampaignIdentity, AnotherOptionValueIsADifference) {
  OptimizerConfig a;
  OptimizerConfig b;
  b.bo_gp.acquisition = BoAcquisition::kUcb;
  const auto differences = identity_differences(optimizer_identity(a, 1), optimizer_identity(b, 1));
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences[0], R"(acquisition: "log_ei" -> "ucb")");
}

// The surrogate's metric decides the score: a campaign on acc (what lora_surrogate scored before
// `metric` existed) does not resume as one on acc_norm, and the default is spelt out.
TEST(CampaignIdentity, TheSurrogatesMetricIsPartOfIt) {
  CampaignConfig config;
  config.objective.kind = ObjectiveKind::kBuiltin;
  config.objective.builtin.function = "lora_surrogate";
  const auto by_default = campaign_identity(config, 1)["objective"];
  EXPECT_EQ(by_default.at("metric"), "acc_norm");
  config.objective.builtin.metric = "acc";
  const auto differences =
      identity_differences(by_default, campaign_identity(config, 1)["objective"]);
  ASSERT_EQ(differences.size(), 1u);
  EXPECT_EQ(differences[0], R"(metric: "acc_norm" -> "acc")");
  config.objective.builtin.function = "branin";
  EXPECT_FALSE(campaign_identity(config, 1)["objective"].contains("metric"));
}

}  // namespace
}  // namespace lorahpo
