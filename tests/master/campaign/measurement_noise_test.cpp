// The campaign's measurement noise: the replicates' pooled spread, and which noise the
// recommendation's GP is given.

#include "master/campaign/measurement_noise.h"

#include <cmath>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

TrialRecord measured(std::int64_t id, double x, double score) {
  TrialRecord r;
  r.id = id;
  r.status = TrialStatus::kOk;
  r.score = score;
  r.unit = {x};
  return r;
}

/// A LitGPT measurement with lm_eval's standard error beside the score, as results.json has it.
TrialRecord litgpt_measured(std::int64_t id, double x, double score, double stderr_) {
  TrialRecord r = measured(id, x, score);
  r.metrics = {{"hellaswag", {{"acc_norm,none", score}, {"acc_norm_stderr,none", stderr_}}}};
  return r;
}

CampaignConfig litgpt_config() {
  CampaignConfig config;
  config.objective.kind = ObjectiveKind::kLitgpt;
  config.objective.litgpt.objective = MetricSpec{"hellaswag", "acc_norm,none"};
  return config;
}

/// n points measured once each, then `repeats` of point 0.1 (one degree of freedom each),
/// alternating 0.70 + d and 0.70 - d about a first measurement of 0.70.
std::vector<TrialRecord> with_repeats(int repeats, double d, double stderr_ = 0.0044) {
  std::vector<TrialRecord> records;
  for (int i = 0; i < 10; ++i) records.push_back(litgpt_measured(i, 0.05 * i + 0.2, 0.6, stderr_));
  records.push_back(litgpt_measured(10, 0.1, 0.70, stderr_));
  for (int k = 1; k <= repeats; ++k) {
    TrialRecord r = litgpt_measured(10 + k, 0.1, k % 2 ? 0.70 + d : 0.70 - d, stderr_);
    r.recheck_of = 10;
    r.replicate = k;
    records.push_back(r);
  }
  return records;
}

TEST(ReplicateSpread, PoolsTheSquaresAboutEachPointsOwnMean) {
  // Point A: 0.70, 0.72 (squares 2e-4 about 0.71); point B: 0.60, 0.63, 0.66 (18e-4 about 0.63);
  // point C once. The landscape (A above B) does not enter: s^2 = 20e-4 / (1 + 2).
  const std::vector<TrialRecord> records = {measured(0, 0.1, 0.70), measured(1, 0.1, 0.72),
                                            measured(2, 0.5, 0.60), measured(3, 0.5, 0.63),
                                            measured(4, 0.5, 0.66), measured(5, 0.9, 0.50)};
  const auto spread = replicate_spread(records);
  ASSERT_TRUE(spread);
  EXPECT_EQ(spread->degrees_of_freedom, 3);
  EXPECT_EQ(spread->points, 2);
  EXPECT_NEAR(spread->sd, std::sqrt(20e-4 / 3.0), 1e-12);
}

TEST(ReplicateSpread, CountsOnlyOkResultsOfThePoint) {
  std::vector<TrialRecord> records = {measured(0, 0.1, 0.70), measured(1, 0.3, 0.50)};
  TrialRecord failed = measured(2, 0.1, 0.0);
  failed.status = TrialStatus::kFailed;
  failed.score.reset();
  TrialRecord retried = measured(3, 0.1, 0.10);
  retried.retried = true;
  records.push_back(failed);
  records.push_back(retried);
  EXPECT_FALSE(replicate_spread(records)) << "no point has two ok measurements";
  records.push_back(measured(4, 0.1, 0.74));
  const auto spread = replicate_spread(records);
  ASSERT_TRUE(spread);
  EXPECT_EQ(spread->degrees_of_freedom, 1);
  EXPECT_NEAR(spread->sd, std::sqrt(2 * 0.02 * 0.02), 1e-12);  // 0.70 and 0.74 about 0.72
}

TEST(MeasurementNoise, LitgptTakesTheReplicatesOnceTheyHaveEnoughDegreesOfFreedom) {
  const CampaignConfig config = litgpt_config();
  // Four re-checks: four degrees of freedom, too few; lm_eval's standard error.
  MeasurementNoise noise = measurement_noise(config, with_repeats(4, 0.001));
  EXPECT_EQ(noise.source, NoiseSource::kLmEvalStderr);
  ASSERT_TRUE(noise.sd);
  EXPECT_DOUBLE_EQ(*noise.sd, 0.0044);
  ASSERT_TRUE(noise.replicates);
  EXPECT_EQ(noise.replicates->degrees_of_freedom, 4);
  // Five: the replicates' spread, here far below the standard error.
  noise = measurement_noise(config, with_repeats(kMinReplicateDegreesOfFreedom, 0.001));
  EXPECT_EQ(noise.source, NoiseSource::kReplicates);
  ASSERT_TRUE(noise.sd);
  EXPECT_NEAR(*noise.sd, noise.replicates->sd, 0.0);
  EXPECT_GT(*noise.sd, 0.0005);
  EXPECT_LT(*noise.sd, 0.0015);
}

TEST(MeasurementNoise, LitgptStderrIsTheMedianOverTheEvaluations) {
  std::vector<TrialRecord> records;
  const double errors[] = {0.004, 0.0045, 0.005};
  for (int i = 0; i < 3; ++i) records.push_back(litgpt_measured(i, 0.1 * i, 0.6, errors[i]));
  TrialRecord no_stderr = measured(3, 0.9, 0.6);
  no_stderr.metrics = {{"hellaswag", {{"acc_norm,none", 0.6}, {"acc_norm_stderr,none", "N/A"}}}};
  records.push_back(no_stderr);
  const MeasurementNoise noise = measurement_noise(litgpt_config(), records);
  EXPECT_EQ(noise.source, NoiseSource::kLmEvalStderr);
  ASSERT_TRUE(noise.sd);
  EXPECT_DOUBLE_EQ(*noise.sd, 0.0045);
  EXPECT_FALSE(noise.replicates);
}

TEST(MeasurementNoise, ABuiltinsNoiseIsKnownExactly) {
  CampaignConfig config;
  config.objective.kind = ObjectiveKind::kBuiltin;
  config.objective.builtin.noise_sd = 0.0044;
  const MeasurementNoise noise = measurement_noise(config, with_repeats(8, 0.01));
  EXPECT_EQ(noise.source, NoiseSource::kObjective);
  ASSERT_TRUE(noise.sd);
  EXPECT_DOUBLE_EQ(*noise.sd, 0.0044);
  ASSERT_TRUE(noise.replicates) << "reported beside it";
  EXPECT_EQ(noise.replicates->degrees_of_freedom, 8);
}

TEST(MeasurementNoise, ACommandLearnsItUnlessItWasMeasuredAgain) {
  CampaignConfig config;
  config.objective.kind = ObjectiveKind::kCommand;
  MeasurementNoise noise = measurement_noise(config, with_repeats(0, 0.0));
  EXPECT_EQ(noise.source, NoiseSource::kLearned);
  EXPECT_FALSE(noise.sd);
  EXPECT_FALSE(noise.replicates);
  noise = measurement_noise(config, with_repeats(6, 0.02));
  EXPECT_EQ(noise.source, NoiseSource::kReplicates);
  ASSERT_TRUE(noise.sd);
  EXPECT_NEAR(*noise.sd, noise.replicates->sd, 0.0);
}

TEST(MeasurementNoise, JsonSaysTheSourceAndTheReplicates) {
  CampaignConfig config;
  config.objective.kind = ObjectiveKind::kCommand;
  nlohmann::ordered_json json = to_json(measurement_noise(config, with_repeats(0, 0.0)));
  EXPECT_TRUE(json["sd"].is_null());
  EXPECT_EQ(json["source"], "learned");
  EXPECT_TRUE(json["replicates"].is_null());
  json = to_json(measurement_noise(config, with_repeats(6, 0.02)));
  EXPECT_EQ(json["source"], "replicates");
  EXPECT_EQ(json["replicates"]["degrees_of_freedom"], 6);
  EXPECT_EQ(json["replicates"]["points"], 1);
  EXPECT_DOUBLE_EQ(json["sd"].get<double>(), json["replicates"]["sd"].get<double>());
}

}  // namespace
}  // namespace lorahpo
