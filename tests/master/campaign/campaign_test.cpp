#include "master/campaign/campaign.h"

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

TrialRecord record(TrialStatus status, const char* metrics, bool retried = false) {
  TrialRecord r;
  r.status = status;
  r.metrics = nlohmann::json::parse(metrics);
  r.retried = retried;
  return r;
}

TEST(CampaignGpuTimeSaved, CountsFinalStoppedTrialsAgainstTheOkMedian) {
  CampaignConfig config;
  config.objective.kind = ObjectiveKind::kLitgpt;
  config.objective.litgpt.timeout_seconds = 10800;
  const std::vector<TrialRecord> records = {
      record(TrialStatus::kOk, R"({"seconds":3000,"gpus":4})"),
      record(TrialStatus::kFailed, R"({"seconds":200,"gpus":4,"stopped_early":true})"),
      record(TrialStatus::kOk, R"({"seconds":3400,"gpus":4})"),
      // A retried attempt is no result; an approximated point never ran.
      record(TrialStatus::kError, R"({"seconds":10,"gpus":4,"stopped_early":true})",
             /*retried=*/true),
      record(TrialStatus::kApproximated, R"({"seconds":1})"),
      record(TrialStatus::kFailed,
             R"({"seconds":3000,"gpus":4})"),  // failed otherwise: not counted
  };
  const GpuTimeSaved saved = campaign_gpu_time_saved(config, records);
  EXPECT_EQ(saved.stopped_early, 1);
  EXPECT_DOUBLE_EQ(*saved.reference_seconds, 3200.0);  // median of 3000 and 3400
  EXPECT_DOUBLE_EQ(saved.gpu_seconds, (3200.0 - 200.0) * 4);
}

TEST(CampaignGpuTimeSaved, FallsBackToTheObjectiveTimeout) {
  CampaignConfig config;
  config.objective.kind = ObjectiveKind::kLitgpt;
  config.objective.litgpt.timeout_seconds = 7200;
  const GpuTimeSaved saved = campaign_gpu_time_saved(
      config, {record(TrialStatus::kFailed, R"({"seconds":600,"gpus":4,"stopped_early":true})")});
  EXPECT_EQ(saved.reference_from, "trial timeout");
  EXPECT_DOUBLE_EQ(saved.gpu_seconds, 6600.0 * 4);
  config.objective.kind = ObjectiveKind::kCommand;
  config.objective.command.timeout_seconds = 100;
  EXPECT_EQ(trial_timeout_seconds(config.objective), std::optional<double>(100.0));
  config.objective.kind = ObjectiveKind::kBuiltin;
  EXPECT_FALSE(trial_timeout_seconds(config.objective).has_value());
}

}  // namespace
}  // namespace lorahpo
