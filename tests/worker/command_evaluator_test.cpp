#include "worker/command_evaluator.h"
#include "tests/support/scoped_env.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

/// Timeout of the timeout test, and how much later than it evaluate may return (the evaluator
/// sends SIGTERM, which ends a sleeping shell at once).
constexpr double kTimeoutSeconds = 0.3;
constexpr double kLatenessSeconds = 2.0;

using testing_support::ScopedEnv;

class CommandEvaluatorTest : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    root_ = fs::temp_directory_path() /
            ("lorahpo_command_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(root_);
    fs::create_directories(root_ / "config");
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(root_, ignored);
  }

  /// x (float), r (int), opt (category).
  static SearchSpace space() {
    Parameter x;
    x.name = "x";
    x.low = -5.0;
    x.high = -2.0;
    x.transform = Transform::kPow10;
    Parameter r;
    r.name = "r";
    r.type = ParamType::kInt;
    r.low = 1;
    r.high = 64;
    Parameter opt;
    opt.name = "opt";
    opt.type = ParamType::kCategorical;
    opt.choices = {"adamw", "lion"};
    return SearchSpace({x, r, opt});
  }

  /// An objective running `/bin/sh -c script sh extra...`.
  static CommandObjective shell(const std::string& script, std::vector<std::string> extra = {}) {
    CommandObjective objective;
    objective.argv = {"/bin/sh", "-c", script, "sh"};
    objective.argv.insert(objective.argv.end(), extra.begin(), extra.end());
    objective.timeout_seconds = 30.0;
    return objective;
  }

  std::string config_dir() const { return (root_ / "config").string(); }
  std::string trial_dir() const { return (root_ / "trials" / "000042").string(); }

  EvaluateMessage request() const {
    EvaluateMessage m;
    m.trial_id = 42;
    m.params = {3e-4, std::int64_t{16}, std::string("lion")};
    m.trial_dir = trial_dir();
    return m;
  }

  EvaluationOutcome run(CommandObjective objective) const {
    CommandEvaluator evaluator(std::move(objective), space(), config_dir());
    return evaluator.evaluate(request());
  }

  /// A file the child wrote in the trial directory.
  std::string trial_file(const std::string& name) const {
    std::ifstream in(fs::path(trial_dir()) / name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  fs::path root_;
};

const char* status_name(TrialStatus status) {
  return to_string(status);
}

/// `outcome` has `status` and its reason contains `fragment`.
void expect_outcome(const EvaluationOutcome& outcome, TrialStatus status,
                    const std::string& fragment) {
  EXPECT_EQ(outcome.status, status) << "got " << status_name(outcome.status) << " ("
                                    << outcome.reason << "), expected " << status_name(status);
  EXPECT_NE(outcome.reason.find(fragment), std::string::npos)
      << "reason '" << outcome.reason << "' does not mention '" << fragment << "'";
}

TEST_F(CommandEvaluatorTest, PlaceholdersAreSubstituted) {
  const auto outcome = run(shell(
      R"(printf '%s|%s|%s|%s|%s|%s\n' "$1" "$2" "$3" "$4" "$5" "$6" > args.txt; echo {x} {r} > inline.txt; echo 1.5)",
      {"{x}", "{r}", "{opt}", "{trial_dir}", "{trial_id}", "--dir={config_dir}/data"}));
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_EQ(outcome.score, 1.5);
  EXPECT_EQ(trial_file("args.txt"),
            "0.0003|16|lion|" + trial_dir() + "|42|--dir=" + config_dir() + "/data\n");
  EXPECT_EQ(trial_file("inline.txt"), "0.0003 16\n");
}

TEST_F(CommandEvaluatorTest, ChildRunsInTheTrialDirectoryItCreates) {
  ASSERT_FALSE(fs::exists(trial_dir()));
  const auto outcome = run(shell("pwd > where.txt; echo 0"));
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  ASSERT_TRUE(fs::is_directory(trial_dir()));
  std::string where = trial_file("where.txt");
  ASSERT_FALSE(where.empty());
  where.pop_back();
  EXPECT_EQ(fs::canonical(where), fs::canonical(trial_dir()));
}

TEST_F(CommandEvaluatorTest, StdoutAndStderrLogsInTheTrialDirectory) {
  const auto outcome = run(shell("echo progress; echo warning >&2; echo 0.25"));
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_EQ(outcome.score, 0.25);
  EXPECT_EQ(trial_file("stdout.log"), "progress\n0.25\n");
  EXPECT_EQ(trial_file("stderr.log"), "warning\n");
  ASSERT_TRUE(outcome.metrics.contains("seconds")) << outcome.metrics.dump();
  EXPECT_GE(outcome.metrics["seconds"].get<double>(), 0.0);
}

TEST_F(CommandEvaluatorTest, ScoreFromJsonFileAndPointer) {
  // Literal braces of the JSON are written {{ and }} in the template.
  auto objective = shell(
      R"(printf '{{"results": {{"task": {{"acc,none": %s, "stderr": NaN}}}}}}\n' 0.{r} > out.json)");
  objective.result = ResultSpec{"out.json", "/results/task/acc,none"};
  const auto outcome = run(objective);
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_EQ(outcome.score, 0.16);
}

TEST_F(CommandEvaluatorTest, ResultPathWithPlaceholders) {
  auto objective = shell(R"(echo '{{"score": 2.5}}' > "{trial_dir}/result_{trial_id}.json")");
  objective.result = ResultSpec{"{trial_dir}/result_{trial_id}.json", "/score"};
  const auto outcome = run(objective);
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_EQ(outcome.score, 2.5);
}

TEST_F(CommandEvaluatorTest, MissingResultFileFails) {
  auto objective = shell("echo 1");
  objective.result = ResultSpec{"out.json", "/score"};
  expect_outcome(run(objective), TrialStatus::kFailed, "not written");
}

TEST_F(CommandEvaluatorTest, NonNumericStdoutFails) {
  expect_outcome(run(shell("echo 0.5; echo done")), TrialStatus::kFailed, "not a number");
  expect_outcome(run(shell("echo nan")), TrialStatus::kFailed, "not finite");
  expect_outcome(run(shell("true")), TrialStatus::kFailed, "nothing");
}

TEST_F(CommandEvaluatorTest, NonZeroExitFailsWithTheLastStderrLine) {
  const auto outcome =
      run(shell("echo 0.9; echo 'loading model' >&2; echo 'CUDA out of memory' >&2; exit 3"));
  expect_outcome(outcome, TrialStatus::kFailed, "exited with code 3");
  EXPECT_NE(outcome.reason.find("CUDA out of memory"), std::string::npos) << outcome.reason;
  EXPECT_EQ(outcome.reason.find("loading model"), std::string::npos) << outcome.reason;
}

TEST_F(CommandEvaluatorTest, TimeoutFails) {
  auto objective = shell("echo 0.5; sleep 30");
  objective.timeout_seconds = kTimeoutSeconds;
  const auto start = std::chrono::steady_clock::now();
  const auto outcome = run(objective);
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  expect_outcome(outcome, TrialStatus::kFailed, "timed out");
  EXPECT_GE(elapsed, kTimeoutSeconds);
  EXPECT_LT(elapsed, kTimeoutSeconds + kLatenessSeconds) << "returned after " << elapsed << " s";
}

TEST_F(CommandEvaluatorTest, MissingProgramIsAnError) {
  CommandObjective objective;
  objective.argv = {"/nonexistent/lorahpo-train", "--r={r}"};
  const auto outcome = run(objective);
  expect_outcome(outcome, TrialStatus::kError, "No such file or directory");
  EXPECT_NE(outcome.reason.find("/nonexistent/lorahpo-train"), std::string::npos) << outcome.reason;
}

TEST_F(CommandEvaluatorTest, KilledBySignalIsAnError) {
  expect_outcome(run(shell("echo 0.5; kill -9 $$")), TrialStatus::kError, "signal 9");
}

TEST_F(CommandEvaluatorTest, UnknownPlaceholderInArgvIsAnError) {
  const auto outcome = run(shell("echo {learning_rate}"));
  EXPECT_EQ(outcome.status, TrialStatus::kError) << outcome.reason;
  EXPECT_NE(outcome.reason.find("learning_rate"), std::string::npos) << outcome.reason;
  EXPECT_FALSE(fs::exists(fs::path(trial_dir()) / "stdout.log")) << "the command ran";
}

TEST_F(CommandEvaluatorTest, TrialIdAndDirInTheEnvironment) {
  const auto outcome =
      run(shell(R"(echo "$LORAHPO_TRIAL_ID|$LORAHPO_TRIAL_DIR" > env.txt; echo 0)"));
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_EQ(trial_file("env.txt"), "42|" + trial_dir() + "\n");
}

TEST_F(CommandEvaluatorTest, AReCheckTellsTheCommandItsReplicate) {
  // The k-th re-check of a point (rechecks in campaign_config.h) must train with another seed.
  EvaluateMessage recheck = request();
  recheck.replicate = 2;
  CommandEvaluator evaluator(shell(R"(echo "{replicate}|$LORAHPO_REPLICATE" > env.txt; echo 0)"),
                             space(), config_dir());
  ASSERT_EQ(evaluator.evaluate(recheck).status, TrialStatus::kOk);
  EXPECT_EQ(trial_file("env.txt"), "2|2\n");
  ASSERT_EQ(evaluator.evaluate(request()).status, TrialStatus::kOk);
  EXPECT_EQ(trial_file("env.txt"), "0|0\n") << "a budget evaluation is replicate 0";
}

TEST_F(CommandEvaluatorTest, ObjectiveEnvIsPassedWithPlaceholdersExpanded) {
  auto objective = shell(R"(echo "$MY_LR|$MY_CACHE|$PLAIN" > env.txt; echo 0)");
  objective.env = {{"MY_LR", "{x}"}, {"MY_CACHE", "{trial_dir}/cache"}, {"PLAIN", "a b"}};
  const auto outcome = run(objective);
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_EQ(trial_file("env.txt"), "0.0003|" + trial_dir() + "/cache|a b\n");
}

TEST_F(CommandEvaluatorTest, LauncherVariablesAreNotInheritedButOthersAre) {
  const ScopedEnv rank("OMPI_COMM_WORLD_RANK", "3");
  const ScopedEnv pmix("PMIX_RANK", "3");
  const ScopedEnv slurm("SLURM_PROCID", "3");
  const ScopedEnv keep("LORAHPO_TEST_INHERITED", "yes");
  const auto outcome = run(shell("env > env.txt; echo 0"));
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  std::istringstream env(trial_file("env.txt"));
  bool inherited = false;
  bool has_path = false;
  for (std::string line; std::getline(env, line);) {
    for (const char* prefix : {"OMPI_", "PMIX_", "SLURM_"}) {
      EXPECT_NE(line.rfind(prefix, 0), 0u) << "the child sees " << line;
    }
    inherited = inherited || line == "LORAHPO_TEST_INHERITED=yes";
    has_path = has_path || line.rfind("PATH=", 0) == 0;
  }
  EXPECT_TRUE(inherited) << "the rest of the environment is not passed";
  if (std::getenv("PATH")) {
    EXPECT_TRUE(has_path) << "PATH not passed";
  }
}

TEST(TrialEnvironmentTest, EveryTrialVariableReplacesTheInheritedOne) {
  // glibc's getenv and Python's os.environ take the first of two entries: an appended
  // CUDA_VISIBLE_DEVICES would be ignored.
  const ScopedEnv cuda("CUDA_VISIBLE_DEVICES", "7");
  const ScopedEnv id("LORAHPO_TRIAL_ID", "999");
  const ScopedEnv dir("LORAHPO_TRIAL_DIR", "/elsewhere");
  const ScopedEnv user("HF_HOME", "/inherited");
  EvaluateMessage request;
  request.trial_id = 4;
  request.trial_dir = "/runs/x/trials/4";
  const auto env = trial_environment(request, {"CUDA_VISIBLE_DEVICES=0,1,2,3", "HF_HOME=/mine"});
  const auto entries = [&](const std::string& name) {
    std::vector<std::string> found;
    for (const auto& e : env) {
      if (e.rfind(name + "=", 0) == 0) found.push_back(e);
    }
    return found;
  };
  EXPECT_EQ(entries("CUDA_VISIBLE_DEVICES"),
            std::vector<std::string>{"CUDA_VISIBLE_DEVICES=0,1,2,3"});
  EXPECT_EQ(entries("LORAHPO_TRIAL_ID"), std::vector<std::string>{"LORAHPO_TRIAL_ID=4"});
  EXPECT_EQ(entries("LORAHPO_TRIAL_DIR"),
            std::vector<std::string>{"LORAHPO_TRIAL_DIR=/runs/x/trials/4"});
  EXPECT_EQ(entries("HF_HOME"), std::vector<std::string>{"HF_HOME=/mine"});
}

TEST(TrialEnvironmentTest, SetEntryReplacesEveryDuplicateAndOnlyThatName) {
  std::vector<std::string> env = {"A=1", "AB=2", "A=3", "B=4"};
  set_environment_entry(env, "A=5");
  EXPECT_EQ(env, (std::vector<std::string>{"AB=2", "B=4", "A=5"}));
}

TEST_F(CommandEvaluatorTest, TrialPlaceholders) {
  EXPECT_EQ(trial_placeholders(),
            (std::vector<std::string>{"trial_dir", "trial_id", "config_dir", "replicate"}));
}

TEST_F(CommandEvaluatorTest, MadeFromASetupMessage) {
  SetupMessage setup;
  setup.objective.kind = ObjectiveKind::kCommand;
  setup.objective.command = shell("echo {r}");
  setup.space = space();
  setup.config_dir = config_dir();
  const auto evaluator = make_evaluator(setup);
  ASSERT_NE(evaluator, nullptr);
  const auto outcome = evaluator->evaluate(request());
  ASSERT_EQ(outcome.status, TrialStatus::kOk) << outcome.reason;
  EXPECT_EQ(outcome.score, 16.0);
}

}  // namespace
}  // namespace lorahpo
