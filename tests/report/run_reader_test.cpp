#include "report/run_reader.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "report/report_error.h"
#include "report/timestamp.h"
#include "tests/report/run_fixture.h"

namespace lorahpo::report {
namespace {

namespace fs = std::filesystem;
using testing::ReportTest;
using testing::trial_line;

constexpr double kTimeTol = 1e-6;

TEST(Timestamp, ParsesTheJournalsIso8601Form) {
  EXPECT_NEAR(*parse_iso8601_utc("1970-01-01T00:00:00Z"), 0.0, kTimeTol);
  EXPECT_NEAR(*parse_iso8601_utc("1970-01-02T00:00:01.5Z"), 86401.5, kTimeTol);
  // 2026-11-26 is day 20783 of the Unix epoch.
  EXPECT_NEAR(*parse_iso8601_utc("2026-11-26T20:18:03.123Z"), 20783 * 86400.0 + 20 * 3600 + 18 * 60 + 3.123,
              kTimeTol);
  EXPECT_NEAR(*parse_iso8601_utc("2026-11-26T20:18:03+00:00"), *parse_iso8601_utc("2026-11-26T20:18:03Z"), kTimeTol);
  EXPECT_FALSE(parse_iso8601_utc(""));
  EXPECT_FALSE(parse_iso8601_utc("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601_utc("2026-11-26T20:18:03+02:00"));
  EXPECT_FALSE(parse_iso8601_utc("yesterday"));
}

TEST(Timestamp, GregorianLeapYearsAndDaysBeforeTheEpoch) {
  // Day numbers from Python's datetime.date(...) - date(1970, 1, 1).
  EXPECT_NEAR(*parse_iso8601_utc("2000-03-01T00:00:00Z"), 11017 * 86400.0, kTimeTol);  // 400-year leap
  EXPECT_NEAR(*parse_iso8601_utc("2024-02-29T00:00:00Z"), 19782 * 86400.0, kTimeTol);
  EXPECT_NEAR(*parse_iso8601_utc("2100-03-01T00:00:00Z"), 47541 * 86400.0, kTimeTol);  // 2100 is no leap year
  EXPECT_NEAR(*parse_iso8601_utc("1969-12-31T23:59:59Z"), -1.0, kTimeTol);
  EXPECT_FALSE(parse_iso8601_utc("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601_utc("2100-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601_utc("2026-04-31T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601_utc("2026-00-10T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601_utc("2026-01-00T00:00:00Z"));
}

TEST(ParseJournal, ReadsTrialsAndSkipsEvents) {
  std::istringstream in(
      R"({"event":"campaign","name":"lora","optimizer":"soo","budget":7,"direction":"minimize","workers":3})"
      "\n" R"({"event":"ask","n":2})"
      "\n" R"({"event":"something_new","x":[1,2]})"
      "\n" +
      trial_line(0, "ok", "0.5", 1, 0, 10, R"({"lr":0.001,"precision":"bf16-true"})",
                 R"(,"metrics":{"mmlu_acc":0.4},"optimizer":{"depth":2})") +
      "\n" + R"({"event":"resume"})" + "\n" +
      trial_line(1, "error", "null", 2, 0, 3, R"({"lr":0.01,"precision":"16-mixed"})", R"(,"attempt":1,"retried":true)") +
      "\n" + trial_line(1, "failed", "null", 2, 3, 5, R"({"lr":0.01,"precision":"16-mixed"})", R"(,"attempt":2)") + "\n");
  const JournalContents c = parse_journal(in);
  ASSERT_EQ(c.trials.size(), 3u);
  EXPECT_EQ(c.skipped_lines, 0);
  EXPECT_EQ(c.resumes, 1);
  ASSERT_TRUE(c.header);
  EXPECT_EQ((*c.header)["optimizer"], "soo");

  const TrialEntry& first = c.trials[0];
  EXPECT_EQ(first.state, TrialState::kOk);
  ASSERT_TRUE(first.score);
  EXPECT_DOUBLE_EQ(*first.score, 0.5);
  EXPECT_EQ(first.worker, 1);
  EXPECT_EQ(first.host, "node1");
  ASSERT_TRUE(first.start_unix && first.end_unix);
  EXPECT_NEAR(*first.end_unix - *first.start_unix, 10.0, kTimeTol);
  ASSERT_TRUE(first.depth);
  EXPECT_EQ(*first.depth, 2);
  EXPECT_EQ(first.params["precision"], "bf16-true");
  EXPECT_TRUE(first.is_final_evaluation());

  EXPECT_TRUE(c.trials[1].retried);
  EXPECT_FALSE(c.trials[1].is_final_evaluation());
  EXPECT_FALSE(c.trials[1].score);
  EXPECT_EQ(c.trials[2].attempt, 2);
  EXPECT_TRUE(c.trials[2].is_final_evaluation());
  EXPECT_EQ(c.trials[2].reason, "exit status 1: CUDA out of memory");
}

TEST(ParseJournal, IgnoresATornLastLine) {
  const std::string good = trial_line(0, "ok", "0.5", 1, 0, 10, R"({"lr":0.001})");
  std::istringstream in(good + "\n" + good.substr(0, good.size() / 2));
  const JournalContents c = parse_journal(in);
  EXPECT_EQ(c.trials.size(), 1u);
  EXPECT_EQ(c.skipped_lines, 1);
}

TEST(ParseJournal, ApproximatedPointsTakeTheirDepthFromTheirMetrics) {
  std::istringstream in(
      R"({"id":4,"status":"approximated","score":null,"reason":"","params":{"x":1},"unit":[0.5],"worker":0,"host":"","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:00Z","duration":0,"metrics":{"mu":0.5,"lcb":0.4,"depth":3}})");
  const JournalContents c = parse_journal(in);
  ASSERT_EQ(c.trials.size(), 1u);
  EXPECT_EQ(c.trials[0].state, TrialState::kApproximated);
  EXPECT_FALSE(c.trials[0].is_final_evaluation());
  ASSERT_TRUE(c.trials[0].depth);
  EXPECT_EQ(*c.trials[0].depth, 3);
}

TEST_F(ReportTest, MissingDirectoryJournalOrTrialsAreReportErrors) {
  EXPECT_THROW(read_run((root_ / "nope").string()), ReportError);
  fs::create_directories(root_ / "empty");
  EXPECT_THROW(read_run((root_ / "empty").string()), ReportError);
  const auto blank = make_run("blank", {});
  EXPECT_THROW(read_run(blank.string()), ReportError);
  const auto events_only = make_run("events", {R"({"event":"campaign","name":"x"})"});
  EXPECT_THROW(read_run(events_only.string()), ReportError);
}

TEST_F(ReportTest, MetadataComesFromTheHeaderThenSummaryThenConfig) {
  const std::string trial = trial_line(0, "ok", "0.5", 1, 0, 10, R"({"lr":0.001})");
  const auto dir = make_run("meta", {trial});
  write(dir / "config.yaml", "campaign: {name: from_config, budget: 9, direction: minimize}\noptimizer: {name: lhs}\n");
  RunData run = read_run(dir.string());
  EXPECT_EQ(run.metadata.name, "from_config");
  EXPECT_EQ(run.metadata.optimizer, "lhs");
  EXPECT_EQ(*run.metadata.budget, 9);
  EXPECT_EQ(run.metadata.direction, Direction::kMinimize);

  write(dir / "summary.json", R"({"campaign":"from_summary","optimizer":"bo_gp","direction":"maximize","budget":50,"workers":4,"wall_seconds":12.5})");
  run = read_run(dir.string());
  EXPECT_EQ(run.metadata.name, "from_summary");
  EXPECT_EQ(run.metadata.direction, Direction::kMaximize);
  EXPECT_EQ(*run.metadata.workers, 4);
  EXPECT_DOUBLE_EQ(*run.metadata.wall_seconds, 12.5);

  const auto with_header = make_run("header", {R"({"event":"campaign","name":"from_header","optimizer":"soo","budget":7,"direction":"minimize","workers":2})", trial});
  write(with_header / "summary.json", R"({"campaign":"from_summary","optimizer":"bo_gp","direction":"maximize","workers":4,"wall_seconds":3})");
  run = read_run(with_header.string());
  EXPECT_EQ(run.metadata.name, "from_header");
  EXPECT_EQ(run.metadata.optimizer, "soo");
  EXPECT_EQ(run.metadata.direction, Direction::kMinimize);
  EXPECT_EQ(*run.metadata.workers, 2);
  EXPECT_DOUBLE_EQ(*run.metadata.wall_seconds, 3.0);  // only summary.json knows it
}

TEST_F(ReportTest, TheHeadersIdentityGivesOptimizerDirectionAndSpace) {
  // As master/campaign.cpp writes it: the optimizer and direction only inside "identity".
  const auto dir = make_run("identity", {
      R"({"event":"campaign","name":"lora_soo","created":"2026-01-01T00:00:00Z","budget":50,"optimizer_budget":50,"workers":3,"identity":{"space":[{"name":"learning_rate","type":"float","low":-10,"high":-1,"transform":"pow10"},{"name":"lora_r","type":"int","low":2,"high":512},{"name":"precision","type":"categorical","choices":["bf16-true","16-mixed"]}],"objective":{"kind":"builtin"},"optimizer":{"name":"bamsoo","k":3},"direction":"minimize","seed":1}})",
      trial_line(0, "ok", "0.5", 1, 0, 10, R"({"learning_rate":0.001,"lora_r":8,"precision":"16-mixed"})")});
  const RunData run = read_run(dir.string());
  EXPECT_EQ(run.metadata.name, "lora_soo");
  EXPECT_EQ(run.metadata.optimizer, "bamsoo");
  EXPECT_EQ(run.metadata.direction, Direction::kMinimize);
  EXPECT_EQ(*run.metadata.budget, 50);
  EXPECT_EQ(*run.metadata.workers, 3);
  ASSERT_EQ(run.parameters.size(), 3u);
  EXPECT_TRUE(run.parameters[0].log_scale);
  EXPECT_FALSE(run.parameters[1].log_scale);
  EXPECT_TRUE(run.parameters[2].categorical);
  EXPECT_EQ(run.parameters[2].choices, (std::vector<std::string>{"bf16-true", "16-mixed"}));
}

TEST_F(ReportTest, ParametersFromConfigSearchSpace) {
  const auto dir = make_run("space", {trial_line(0, "ok", "0.5", 1, 0, 10, R"({"learning_rate":0.001,"lora_r":8,"precision":"16-mixed"})")});
  write(dir / "config.yaml", R"(campaign: {name: c, budget: 5}
search_space:
  learning_rate: {type: float, low: -10, high: -1, transform: pow10}
  lora_r: {type: int, low: 2, high: 512}
  precision: {type: categorical, choices: [bf16-true, 16-mixed]}
)");
  const RunData run = read_run(dir.string());
  ASSERT_EQ(run.parameters.size(), 3u);
  EXPECT_TRUE(run.parameters[0].log_scale);
  EXPECT_FALSE(run.parameters[1].log_scale);
  EXPECT_FALSE(run.parameters[1].categorical);
  EXPECT_TRUE(run.parameters[2].categorical);
  EXPECT_EQ(run.parameters[2].choices, (std::vector<std::string>{"bf16-true", "16-mixed"}));
}

TEST_F(ReportTest, InfersPow10ParametersFromTheUnitCoordinates) {
  // A builtin's own space is not in config.yaml: learning_rate = 10^(-10 + 9u), dropout = 0.5 u.
  std::vector<std::string> lines;
  for (int i = 0; i < 6; ++i) {
    const double u0 = 0.13 + 0.15 * i, u1 = 0.9 - 0.14 * i;
    lines.push_back(fmt::format(
        R"({{"id":{},"status":"ok","score":0.5,"reason":"","params":{{"learning_rate":{},"lora_dropout":{}}},"unit":[{},{}],"worker":1,"host":"h","start":"2026-01-01T00:00:00Z","end":"2026-01-01T00:00:01Z","duration":1,"metrics":{{}}}})",
        i, std::pow(10.0, -10.0 + 9.0 * u0), 0.5 * u1, u0, u1));
  }
  const RunData run = read_run(make_run("infer", lines).string());
  ASSERT_EQ(run.parameters.size(), 2u);
  EXPECT_EQ(run.parameters[0].name, "learning_rate");
  EXPECT_TRUE(run.parameters[0].log_scale);
  EXPECT_FALSE(run.parameters[1].log_scale);
}

TEST(RunLabel, IsTheLastPathComponent) {
  EXPECT_EQ(run_label("/tmp/runs/a-1/"), "a-1");
  EXPECT_EQ(run_label("/tmp/runs/b"), "b");
}

}  // namespace
}  // namespace lorahpo::report
