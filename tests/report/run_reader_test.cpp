#include "report/run_reader.h"

#include <cmath>
#include <filesystem>
#include <sstream>

#include <gtest/gtest.h>

#include "report/report_error.h"
#include "tests/report/run_fixture.h"

namespace lorahpo::report {
namespace {

namespace fs = std::filesystem;
using testing::ReportTest;
using testing::trial_line;

constexpr double kTimeTol = 1e-6;

TEST(ParseJournal, ReadsTrialsAndSkipsEvents) {
  std::istringstream in(
      R"({"event":"campaign","name":"lora","optimizer":"soo","budget":7,"direction":"minimize","workers":3})"
      "\n"
      R"({"event":"ask","n":2})"
      "\n"
      R"({"event":"something_new","x":[1,2]})"
      "\n" +
      trial_line(0, "ok", "0.5", 1, 0, 10, R"({"lr":0.001,"precision":"bf16-true"})",
                 R"(,"metrics":{"mmlu_acc":0.4},"optimizer":{"depth":2})") +
      "\n" + R"({"event":"resume"})" + "\n" +
      trial_line(1, "error", "null", 2, 0, 3, R"({"lr":0.01,"precision":"16-mixed"})",
                 R"(,"attempt":1,"retried":true)") +
      "\n" +
      trial_line(1, "failed", "null", 2, 3, 5, R"({"lr":0.01,"precision":"16-mixed"})",
                 R"(,"attempt":2)") +
      "\n");
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
  write(dir / "config.yaml",
        "campaign: {name: from_config, budget: 9, direction: minimize}\noptimizer: {name: lhs}\n");
  RunData run = read_run(dir.string());
  EXPECT_EQ(run.metadata.name, "from_config");
  EXPECT_EQ(run.metadata.optimizer, "lhs");
  EXPECT_EQ(*run.metadata.budget, 9);
  EXPECT_EQ(run.metadata.direction, Direction::kMinimize);

  write(
      dir / "summary.json",
      R"({"campaign":"from_summary","optimizer":"bo_gp","direction":"maximize","budget":50,"workers":4,"wall_seconds":12.5})");
  run = read_run(dir.string());
  EXPECT_EQ(run.metadata.name, "from_summary");
  EXPECT_EQ(run.metadata.direction, Direction::kMaximize);
  EXPECT_EQ(*run.metadata.workers, 4);
  EXPECT_DOUBLE_EQ(*run.metadata.wall_seconds, 12.5);

  const auto with_header = make_run(
      "header",
      {R"({"event":"campaign","name":"from_header","optimizer":"soo","budget":7,"direction":"minimize","workers":2})",
       trial});
  write(
      with_header / "summary.json",
      R"({"campaign":"from_summary","optimizer":"bo_gp","direction":"maximize","workers":4,"wall_seconds":3})");
  run = read_run(with_header.string());
  EXPECT_EQ(run.metadata.name, "from_header");
  EXPECT_EQ(run.metadata.optimizer, "soo");
  EXPECT_EQ(run.metadata.direction, Direction::kMinimize);
  EXPECT_EQ(*run.metadata.workers, 2);
  EXPECT_DOUBLE_EQ(*run.metadata.wall_seconds, 3.0);  // only summary.json knows it
}

TEST_F(ReportTest, TheHeadersIdentityGivesOptimizerDirectionAndSpace) {
  // As master/campaign.cpp writes it: the optimizer and direction only inside "identity".
  const auto dir = make_run(
      "identity",
      {R"({"event":"campaign","name":"lora_soo","created":"2026-01-01T00:00:00Z","budget":50,"optimizer_budget":50,"workers":3,"identity":{"space":[{"name":"learning_rate","type":"float","low":-10,"high":-1,"transform":"pow10"},{"name":"lora_r","type":"int","low":2,"high":512},{"name":"precision","type":"categorical","choices":["bf16-true","16-mixed"]}],"objective":{"kind":"builtin"},"optimizer":{"name":"bamsoo","k":3},"direction":"minimize","seed":1}})",
       trial_line(0, "ok", "0.5", 1, 0, 10,
                  R"({"learning_rate":0.001,"lora_r":8,"precision":"16-mixed"})")});
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
  const auto dir = make_run(
      "space", {trial_line(0, "ok", "0.5", 1, 0, 10,
                           R"({"learning_rate":0.001,"lora_r":8,"precision":"16-mixed"})")});
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

// The checked-in format-1 journal (tests/fixtures/journal/, written by lorahpo 0.1.0 before the
// header carried "format"), alone in a run directory: everything the report shows comes from it.
TEST_F(ReportTest, ReadsTheFormat1FixtureWithoutItsConfig) {
  const fs::path fixture =
      fs::path(LORAHPO_SOURCE_DIR) / "tests/fixtures/journal/format1_command_resumed/journal.jsonl";
  const auto dir = make_run("format1", {});
  fs::copy_file(fixture, dir / "journal.jsonl", fs::copy_options::overwrite_existing);
  const RunData run = read_run(dir.string());
  EXPECT_EQ(run.metadata.name, "command_e2e");
  EXPECT_EQ(run.metadata.optimizer, "lhs");
  EXPECT_EQ(run.metadata.direction, Direction::kMaximize);
  EXPECT_EQ(*run.metadata.budget, 20);
  EXPECT_EQ(*run.metadata.workers, 2);
  EXPECT_EQ(run.resumes, 1);
  EXPECT_EQ(run.skipped_lines, 0);
  ASSERT_EQ(run.trials.size(), 20u);
  int ok = 0, failed = 0;
  for (const TrialEntry& t : run.trials) {
    EXPECT_TRUE(t.is_final_evaluation());
    EXPECT_TRUE(t.start_unix && t.end_unix);
    ok += t.state == TrialState::kOk;
    failed += t.state == TrialState::kFailed;
  }
  EXPECT_EQ(ok, 2);
  EXPECT_EQ(failed, 18);
  // The search space of the header, in its order, with its kinds (no config.yaml here).
  ASSERT_EQ(run.parameters.size(), 3u);
  EXPECT_EQ(run.parameters[0].name, "learning_rate");
  EXPECT_TRUE(run.parameters[0].log_scale);
  EXPECT_EQ(run.parameters[1].name, "lora_r");
  EXPECT_FALSE(run.parameters[1].log_scale || run.parameters[1].categorical);
  EXPECT_EQ(run.parameters[2].name, "mode");
  EXPECT_TRUE(run.parameters[2].categorical);
  EXPECT_EQ(run.parameters[2].choices,
            (std::vector<std::string>{"ok", "exit1", "hang", "nofile", "nokey"}));
}

TEST_F(ReportTest, TheHeadersSpaceWinsOverConfigYaml) {
  // config.yaml is the user's file; the header is what the campaign ran with.
  const auto dir = make_run(
      "space_header",
      {R"({"event":"campaign","format":1,"name":"c","identity":{"space":[{"name":"x","type":"categorical","choices":["a","b"]}]}})",
       trial_line(0, "ok", "0.5", 1, 0, 10, R"({"x":"b"})")});
  write(dir / "config.yaml",
        "search_space:\n  x: {type: float, low: -3, high: 0, transform: pow10}\n");
  const RunData run = read_run(dir.string());
  ASSERT_EQ(run.parameters.size(), 1u);
  EXPECT_TRUE(run.parameters[0].categorical);
  EXPECT_FALSE(run.parameters[0].log_scale);
}

TEST_F(ReportTest, TheLastResumeGivesTheBudgetAndWorkers) {
  const auto dir =
      make_run("raised",
               {R"({"event":"campaign","name":"c","budget":10,"workers":2})",
                trial_line(0, "ok", "0.5", 1, 0, 10, R"({"lr":0.001})"),
                R"({"event":"resume","time":"2026-01-01T01:00:00.000Z","budget":30,"workers":4})",
                R"({"event":"resume","time":"2026-01-01T02:00:00.000Z","budget":40,"workers":3})"});
  const RunData run = read_run(dir.string());
  EXPECT_EQ(run.resumes, 2);
  EXPECT_EQ(*run.metadata.budget, 40);
  EXPECT_EQ(*run.metadata.workers, 3);
}

TEST_F(ReportTest, AJournalOfAnotherFormatIsRefusedInOneLine) {
  const auto dir =
      make_run("format2", {R"({"event":"campaign","format":2,"lorahpo":"9.0.0","name":"c"})",
                           trial_line(0, "ok", "0.5", 1, 0, 10, R"({"lr":0.001})")});
  try {
    read_run(dir.string());
    FAIL() << "a format-2 journal was read";
  } catch (const ReportError& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find((dir / "journal.jsonl").string() + ":1: format is 2"), std::string::npos)
        << message;
    EXPECT_NE(message.find("reads journal format 1 only"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos);
  }
}

TEST(RunLabel, IsTheLastPathComponent) {
  EXPECT_EQ(run_label("/tmp/runs/a-1/"), "a-1");
  EXPECT_EQ(run_label("/tmp/runs/b"), "b");
}

}  // namespace
}  // namespace lorahpo::report
