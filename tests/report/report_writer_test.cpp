#include "report/report_writer.h"

#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>

#include <gtest/gtest.h>

#include "report/report_error.h"
#include "report/run_analysis.h"
#include "report/run_reader.h"
#include "tests/report/run_fixture.h"
#include "tests/report/xml_check.h"

namespace lorahpo::report {
namespace {

using testing::check_xml;
namespace fs = std::filesystem;
using testing::ReportTest;
using testing::trial_line;

/// A SOO-like run of 2 workers: 6 final evaluations (4 ok, 1 failed, 1 error), a retried error,
/// an approximated point, a torn last line.
std::vector<std::string> fixture_lines() {
  const auto params = [](double lr, int r) {
    return fmt::format(R"({{"learning_rate":{},"lora_r":{}}})", lr, r);
  };
  const auto extra = [](double mmlu, int depth) {
    return fmt::format(
        R"(,"metrics":{{"hellaswag_acc":0.5,"mmlu_acc":{}}},"optimizer":{{"depth":{}}})", mmlu,
        depth);
  };
  return {
      R"({"event":"campaign","name":"fixture","optimizer":"soo","budget":6,"direction":"maximize","workers":2})",
      R"({"event":"ask","n":2})",
      trial_line(0, "ok", "0.50", 1, 0, 10, params(1e-4, 8), extra(0.40, 0)),
      trial_line(1, "error", "null", 2, 0, 2, params(1e-3, 64), R"(,"attempt":1,"retried":true)"),
      trial_line(1, "ok", "0.55", 2, 2, 12, params(1e-3, 64), extra(0.44, 1) + R"(,"attempt":2)"),
      trial_line(2, "failed", "null", 1, 10, 15, params(1e-1, 512), R"(,"optimizer":{"depth":1})"),
      R"({"id":3,"status":"approximated","score":null,"reason":"","params":{"learning_rate":1e-6,"lora_r":2},"unit":[],"worker":0,"host":"","start":"2026-01-01T00:00:15Z","end":"2026-01-01T00:00:15Z","duration":0,"metrics":{"mu":0.3,"lcb":0.2,"depth":2}})",
      trial_line(4, "ok", "0.61", 1, 15, 25, params(3e-4, 16), extra(0.47, 2)),
      trial_line(5, "ok", "0.58", 2, 12, 24, params(2e-4, 32), extra(0.45, 2)),
      trial_line(6, "error", "null", 2, 24, 25, params(5e-5, 4), R"(,"attempt":2)"),
  };
}

TEST_F(ReportTest, WritesReportAndWellFormedFigures) {
  const auto dir = make_run("soo-run", fixture_lines(), R"({"id":7,"status":"ok","sco)");
  write(dir / "summary.json",
        R"({"campaign":"fixture","wall_seconds":26.0,"workers":2,"recommended":{"id":5,)"
        R"("params":{"learning_rate":0.0002,"lora_r":32},"rule":"gp_posterior_mean",)"
        R"("posterior_mean":0.593,"posterior_sd":0.011,"measurements":2,"observed_mean":0.585,)"
        R"("noise":{"sd":0.0021,"source":"replicates",)"
        R"("replicates":{"sd":0.0021,"degrees_of_freedom":6,"points":3}}}})");
  const RunData run = read_run(dir.string());
  EXPECT_EQ(run.skipped_lines, 1);

  const ReportFiles files = write_report(run, (dir / "report").string());
  std::vector<std::string> names;
  for (const auto& f : files.figures) names.push_back(fs::path(f).filename().string());
  EXPECT_EQ(names,
            (std::vector<std::string>{"score_per_evaluation.svg", "parameters_over_iterations.svg",
                                      "score_by_parameter.svg", "validation_vs_test.svg",
                                      "worker_timeline.svg", "tree_depth.svg"}));
  for (const auto& f : files.figures) {
    const auto check = check_xml(read(f));
    EXPECT_TRUE(check.ok) << f << ": " << check.error;
  }

  // Score per evaluation: 4 ok points (3 circles, the best a square) + legend; the failure and the
  // final error on the bottom edge; the retried attempt nowhere.
  const auto score = check_xml(read(dir / "report" / "score_per_evaluation.svg"));
  EXPECT_EQ(score.elements.at("circle"), 3 + 1);
  EXPECT_EQ(score.elements.at("path"), 1 + 1);
  EXPECT_EQ(score.elements.at("polygon"), 1 + 1);
  // Timeline: every attempt a bar (7), background, frame, legend swatches (ok, failed, error,
  // error (retried)).
  const auto timeline = check_xml(read(dir / "report" / "worker_timeline.svg"));
  EXPECT_EQ(timeline.elements.at("rect"), 7 + 2 + 4);
  // Busy 10 + 2 + 10 + 5 + 10 + 12 + 1 = 50 s of 2 workers x 25 s.
  EXPECT_NE(read(dir / "report" / "worker_timeline.svg").find("U = 100.0 %"), std::string::npos);
  // One panel per parameter.
  const auto params = check_xml(read(dir / "report" / "parameters_over_iterations.svg"));
  EXPECT_EQ(params.elements.at("g"), 2);

  const std::string md = read(files.markdown);
  EXPECT_NE(md.find("# Report: fixture"), std::string::npos);
  EXPECT_NE(md.find("| optimizer | soo |"), std::string::npos);
  EXPECT_NE(md.find("| budget | 6 |"), std::string::npos);
  EXPECT_NE(md.find("6 (4 ok, 1 failed, 1 error)"), std::string::npos);
  EXPECT_NE(md.find("| retried attempts | 1"), std::string::npos);
  EXPECT_NE(md.find("| approximated points | 1"), std::string::npos);
  EXPECT_NE(md.find("100.0 % = 50.0 s busy / (2 workers x 25.0 s makespan)"), std::string::npos);
  EXPECT_NE(md.find("| wall time | 26.0 s |"), std::string::npos);
  EXPECT_NE(md.find("Pearson r = "), std::string::npos);
  EXPECT_NE(md.find("Evaluation #4: score **0.61**, found at evaluation 4 of 6"),
            std::string::npos);
  // The recommendation (summary.json) comes first, then the best observed score, labelled so.
  const auto recommended = md.find("## Recommended configuration");
  ASSERT_NE(recommended, std::string::npos) << md;
  EXPECT_LT(recommended, md.find("## Best observed score")) << md;
  EXPECT_NE(md.find("Evaluation #5: the evaluated point with the best GP posterior mean, **0.593 ± "
                    "0.011** (observed mean 0.585 over 2 measurement(s))"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("The GP's measurement noise: sd 0.0021 (the spread of repeated measurements). "
                    "Repeated measurements (re-checks) scatter by sd 0.0021 over 3 point(s), 6 "
                    "degree(s) of freedom."),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| lora_r | 32 |"), std::string::npos) << md;
  EXPECT_NE(md.find("| 1 | 4 | 0.61 | 0.47 | 0.0003 | 16 |"), std::string::npos);
  EXPECT_NE(md.find("CUDA out of memory"), std::string::npos);
  EXPECT_NE(md.find("error (retried)"), std::string::npos);
  EXPECT_NE(md.find("1 unparsable line(s) ignored"), std::string::npos);
  EXPECT_NE(md.find("](tree_depth.svg)"), std::string::npos);
}

TEST_F(ReportTest, WithoutAModelOnlyTheReplicatesSpreadIsReported) {
  const auto dir = make_run("few", {trial_line(0, "ok", "0.5", 1, 0, 1, R"({"x1":1.0})"),
                                    trial_line(1, "ok", "0.6", 1, 1, 2, R"({"x1":2.0})")});
  write(dir / "summary.json",
        R"({"campaign":"few","recommended":{"id":1,"params":{"x1":2.0},)"
        R"("rule":"best_observed_mean","posterior_mean":null,"posterior_sd":null,)"
        R"("measurements":2,"observed_mean":0.61,"noise":{"sd":0.004,"source":"lm_eval_stderr",)"
        R"("replicates":{"sd":0.01,"degrees_of_freedom":1,"points":1}}}})");
  const std::string md =
      read(write_report(read_run(dir.string()), (root_ / "out").string()).markdown);
  EXPECT_NE(md.find("the best observed mean, **0.61** over 2 measurement(s)"), std::string::npos)
      << md;
  EXPECT_EQ(md.find("The GP"), std::string::npos) << md;
  EXPECT_NE(md.find("Repeated measurements (re-checks) scatter by sd 0.01 over 1 point(s), 1 "
                    "degree(s) of freedom."),
            std::string::npos)
      << md;
}

TEST_F(ReportTest, MinimizingRunWithoutTestMetricOrDepths) {
  const auto dir = make_run(
      "min",
      {R"({"event":"campaign","name":"branin","optimizer":"lhs","budget":3,"direction":"minimize","workers":1})",
       trial_line(0, "ok", "5.0", 1, 0, 1, R"({"x1":1.0})"),
       trial_line(1, "ok", "0.4", 1, 1, 2, R"({"x1":2.0})"),
       trial_line(2, "ok", "3.0", 1, 2, 3, R"({"x1":3.0})")});
  const ReportFiles files = write_report(read_run(dir.string()), (root_ / "out").string());
  EXPECT_EQ(files.figures.size(), 4u);  // no validation/test, no depth
  const std::string md = read(files.markdown);
  EXPECT_NE(md.find("score **0.4**"), std::string::npos);
  EXPECT_EQ(md.find("Pearson"), std::string::npos);
  EXPECT_NE(md.find("## Failures\n\nNone."), std::string::npos);
}

TEST_F(ReportTest, CountsTheGpuTimeSavedByEarlyStops) {
  // ok trials of 3000, 3600 and 4000 s (median 3600 s); two diverged trials stopped after 120 and
  // 300 s on 4 GPUs: (3480 + 3300) x 4 = 27120 GPU-seconds = 7.53 GPU-hours. The retried attempt
  // is no result and does not count.
  const auto metrics = [](double seconds, bool stopped) {
    return fmt::format(R"(,"metrics":{{"seconds":{},"gpus":4{}}})", seconds,
                       stopped ? R"(,"stopped_early":true)" : "");
  };
  const std::string params = R"({"learning_rate":0.001})";
  const auto dir = make_run(
      "stops",
      {R"({"event":"campaign","name":"stops","optimizer":"lhs","budget":5,"direction":"maximize","workers":2})",
       trial_line(0, "ok", "0.5", 1, 0, 3000, params, metrics(3000, false)),
       trial_line(1, "failed", "null", 2, 0, 120, params, metrics(120, true)),
       trial_line(2, "ok", "0.6", 2, 120, 3720, params, metrics(3600, false)),
       trial_line(3, "error", "null", 1, 3000, 3010, params,
                  metrics(10, true) + R"(,"retried":true)"),
       trial_line(3, "failed", "null", 1, 3010, 3310, params,
                  metrics(300, true) + R"(,"attempt":2)"),
       trial_line(4, "ok", "0.7", 1, 3310, 7310, params, metrics(4000, false))});
  const RunData run = read_run(dir.string());
  const RunAnalysis analysis = analyze_run(run);
  EXPECT_EQ(analysis.gpu_time_saved.stopped_early, 2);
  EXPECT_DOUBLE_EQ(analysis.gpu_time_saved.gpu_seconds, 27120.0);
  const std::string md = read(write_report(run, (root_ / "out").string()).markdown);
  EXPECT_NE(md.find("| GPU time saved by early stops | 7.53 GPU-hours: 2 diverged evaluation(s) "
                    "stopped early, "
                    "each counted against 3600 s (median of 3 ok trials) |"),
            std::string::npos)
      << md;

  // Nothing ok: the reference is config.yaml's objective.timeout.
  const auto none_ok =
      make_run("none-ok", {trial_line(0, "failed", "null", 1, 0, 600, params, metrics(600, true))});
  write(none_ok / "config.yaml",
        "campaign: {name: none-ok, budget: 1}\nobjective: {kind: litgpt, timeout: 10800}\n");
  const std::string none_md =
      read(write_report(read_run(none_ok.string()), (root_ / "out2").string()).markdown);
  EXPECT_NE(none_md.find("| GPU time saved by early stops | 11.33 GPU-hours: 1 diverged "
                         "evaluation(s) stopped early, "
                         "each counted against 10800 s (trial timeout) |"),
            std::string::npos)
      << none_md;
  // No early stop: no row.
  const std::string plain =
      read(write_report(
               read_run(make_run("plain", {trial_line(0, "ok", "0.5", 1, 0, 10, params)}).string()),
               (root_ / "out3").string())
               .markdown);
  EXPECT_EQ(plain.find("GPU time saved"), std::string::npos);
}

TEST_F(ReportTest, ComparisonOverlaysTheRuns) {
  const auto a = make_run("run-a", fixture_lines());
  const auto b = make_run("run-b", {trial_line(0, "ok", "0.40", 1, 0, 1, R"({"x":1})"),
                                    trial_line(1, "ok", "0.62", 1, 1, 2, R"({"x":2})"),
                                    trial_line(2, "ok", "0.621", 1, 2, 3, R"({"x":3})")});
  const ReportFiles files =
      write_comparison({read_run(a.string()), read_run(b.string())}, (root_ / "cmp").string());
  const auto check = check_xml(read(root_ / "cmp" / "compare.svg"));
  ASSERT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.elements.at("polyline"), 2 + 2);  // two curves + two legend samples
  const std::string svg = read(root_ / "cmp" / "compare.svg");
  EXPECT_NE(svg.find(">run-a</text>"), std::string::npos);
  EXPECT_NE(svg.find(">run-b</text>"), std::string::npos);
  const std::string md = read(files.markdown);
  // run-a: best 0.61 first reached at evaluation 4; run-b: 0.62 is within 0.002 of 0.621 at 2.
  EXPECT_NE(md.find("| run-a | fixture | soo | maximize | 6 (4/1/1) | 0.61 | 4 |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 0.621 | 2 |"), std::string::npos) << md;
}

TEST_F(ReportTest, UnwritableOutputIsAReportError) {
  const auto dir = make_run("r", {trial_line(0, "ok", "0.5", 1, 0, 1, R"({"x":1})")});
  write(root_ / "file", "x");
  EXPECT_THROW(write_report(read_run(dir.string()), (root_ / "file" / "sub").string()),
               ReportError);
}

/// Runs `lorahpo ARGS`, returns the exit status and stderr.
struct CliResult {
  int status;
  std::string err;
};

class ReportCliTest : public ReportTest {
 protected:
  CliResult lorahpo(const std::string& args) const {
    const fs::path err = root_ / "stderr.txt";
    const std::string command =
        fmt::format("'{}' {} >/dev/null 2>'{}'", LORAHPO_BINARY, args, err.string());
    const int raw = std::system(command.c_str());
    return {WIFEXITED(raw) ? WEXITSTATUS(raw) : -1, read(err)};
  }
};

TEST_F(ReportCliTest, ErrorsAreOneLineAndExitTwo) {
  for (const std::string& args :
       {fmt::format("report '{}'", (root_ / "missing").string()),
        fmt::format("report '{}'", make_run("empty", {}).string()),
        fmt::format("report --compare '{}'", make_run("one", {}).string())}) {
    const CliResult r = lorahpo(args);
    EXPECT_EQ(r.status, 2) << args;
    EXPECT_EQ(r.err.rfind("error: ", 0), 0u) << r.err;
    EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
  }
}

TEST_F(ReportCliTest, WritesIntoRunDirReportByDefault) {
  const auto dir = make_run("cli", fixture_lines());
  EXPECT_EQ(lorahpo(fmt::format("report '{}'", dir.string())).status, 0);
  EXPECT_TRUE(fs::exists(dir / "report" / "report.md"));
  EXPECT_TRUE(fs::exists(dir / "report" / "worker_timeline.svg"));
  const auto out = root_ / "cmp";
  EXPECT_EQ(lorahpo(fmt::format("report --compare '{}' '{}' --out '{}'", dir.string(), dir.string(),
                                out.string()))
                .status,
            0);
  EXPECT_TRUE(fs::exists(out / "compare.md"));
}

}  // namespace
}  // namespace lorahpo::report
