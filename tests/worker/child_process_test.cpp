#include "worker/child_process.h"
#include "tests/support/scoped_env.h"
#include "worker/evaluation_watch.h"
#include "worker/training_log_watch.h"

#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

/// Timeout and grace period of the timeout tests: short, so the suite stays fast.
constexpr double kTimeoutSeconds = 0.5;
constexpr double kGraceSeconds = 0.5;
/// How late run_child may return after timeout + grace on a loaded 2-core CI machine.
constexpr double kLatenessSeconds = 1.0;
/// How long a killed process may take to disappear from the process table.
constexpr auto kDeathPatience = std::chrono::seconds(2);

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// True when `pid` no longer runs: gone from the process table, or a zombie waiting for a
/// parent (a reparented grandchild's reaper may be slow, or absent in a container).
bool process_gone(pid_t pid) {
  if (kill(pid, 0) != 0 && errno == ESRCH) return true;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string content;
  if (!stat || !std::getline(stat, content)) return true;
  const std::size_t close = content.rfind(')');
  if (close == std::string::npos || close + 2 >= content.size()) return false;
  const char state = content[close + 2];
  return state == 'Z' || state == 'X';
}

bool wait_until_gone(pid_t pid) {
  const auto deadline = Clock::now() + kDeathPatience;
  while (Clock::now() < deadline) {
    if (process_gone(pid)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return process_gone(pid);
}

class ChildProcessTest : public testing::Test {
 protected:
  void SetUp() override {
    const auto* info = testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           ("lorahpo_child_" + std::to_string(getpid()) + "_" + info->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    for (pid_t pid : strays_) {
      if (!process_gone(pid)) kill(pid, SIGKILL);  // only the processes this test started
    }
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }

  /// /bin/sh -c script, in the test directory, with this process's cleaned environment.
  ChildSpec shell(const std::string& script) const {
    ChildSpec spec;
    spec.argv = {"/bin/sh", "-c", script};
    spec.working_dir = dir_.string();
    spec.environment = clean_environment();
    spec.stdout_path = (dir_ / "stdout.log").string();
    spec.stderr_path = (dir_ / "stderr.log").string();
    spec.timeout_seconds = 30.0;  // a safety net: no test here should come near it
    spec.kill_grace_seconds = kGraceSeconds;
    return spec;
  }

  std::string read(const std::string& name) const {
    std::ifstream in(dir_ / name, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

  /// The pid the script wrote into `name`; remembered so TearDown can clean up after a failure.
  pid_t read_pid(const std::string& name) {
    const std::string text = read(name);
    const pid_t pid = static_cast<pid_t>(std::atoi(text.c_str()));
    if (pid > 0) strays_.push_back(pid);
    return pid;
  }

  fs::path dir_;
  std::vector<pid_t> strays_;
};

const char* kind_name(ChildExit::Kind kind) {
  switch (kind) {
    case ChildExit::Kind::kExited:
      return "exited";
    case ChildExit::Kind::kSignaled:
      return "signaled";
    case ChildExit::Kind::kTimedOut:
      return "timed out";
    case ChildExit::Kind::kSpawnFailed:
      return "spawn failed";
    case ChildExit::Kind::kCancelled:
      return "cancelled";
    case ChildExit::Kind::kStopped:
      return "stopped";
  }
  return "?";
}

/// Says "cancel" once `after` has passed, counting its polls.
class CancelAfter : public EvaluationWatch {
 public:
  explicit CancelAfter(std::chrono::milliseconds after)
      : deadline_(std::chrono::steady_clock::now() + after) {}
  bool cancelled() override {
    ++polls;
    return std::chrono::steady_clock::now() >= deadline_;
  }
  int polls = 0;

 private:
  std::chrono::steady_clock::time_point deadline_;
};

TEST_F(ChildProcessTest, CancelKillsTheGroupWithoutWaitingForTheTimeout) {
  // The child and a grandchild both sleep 30 s; the watch cancels after 0.3 s.
  CancelAfter watch(std::chrono::milliseconds(300));
  ScopedEvaluationWatch installed(watch);
  ChildSpec spec = shell("sleep 30 & echo $! > grandchild.pid; sleep 30");
  const auto start = std::chrono::steady_clock::now();
  const ChildExit exit = run_child(spec);
  EXPECT_EQ(exit.kind, ChildExit::Kind::kCancelled);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
  EXPECT_GT(watch.polls, 3);  // polled while waiting, not once
  std::ifstream pid_file(dir_ / "grandchild.pid");
  pid_t grandchild = 0;
  ASSERT_TRUE(pid_file >> grandchild);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  // Gone, or a zombie waiting for a reaper (a container's PID 1 may not reap): not running.
  std::ifstream stat("/proc/" + std::to_string(grandchild) + "/stat");
  std::string pid_text, command, state;
  if (stat >> pid_text >> command >> state) {
    EXPECT_EQ(state, "Z") << "the grandchild outlived the cancel";
  }
}

TEST_F(ChildProcessTest, StopCheckStopsADivergedTrainingEarly) {
  // A stand-in for LitGPT's fit() (v0.5.13 finetune/lora.py: one loss line per iteration, no NaN
  // check): finite losses, then NaN ones 0.2 s apart; after the third it would train on for
  // minutes. A background process in its group must die with it.
  const char* script =
      "sleep 300 & echo $! > grandchild.pid; "
      "for i in 1 2 3; do echo \"Epoch 1 | iter $i step $i | loss train: 2.31$i, val: n/a | iter "
      "time: 9.00 ms\"; done; "
      "for i in 4 5 6; do if [ $i = 6 ]; then date +%s.%N > third_nan.time; fi; "
      "echo \"Epoch 1 | iter $i step $i | loss train: nan, val: n/a | iter time: 9.00 ms\"; sleep "
      "0.2; done; "
      "sleep 300";
  ChildSpec spec = shell(script);
  spec.stop_check =
      divergence_stop_check({spec.stdout_path, spec.stderr_path}, DivergenceStop{true, 3});
  const ChildExit exit = run_child(spec);
  const double returned =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();

  EXPECT_EQ(exit.kind, ChildExit::Kind::kStopped) << kind_name(exit.kind);
  EXPECT_EQ(exit.stop_reason, "diverged at iteration 4 (loss train: nan)");
  double third_nan = 0;
  std::ifstream(dir_ / "third_nan.time") >> third_nan;
  ASSERT_GT(third_nan, 0) << "the script did not get to its third NaN line";
  // Polled every 0.25 s; the group dies on SIGTERM at once (grace 0.5 s): well within 2 s.
  EXPECT_LT(returned - third_nan, 2.0)
      << "stopped " << returned - third_nan << " s after the third NaN line";
  const pid_t grandchild = read_pid("grandchild.pid");
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(wait_until_gone(grandchild)) << "grandchild " << grandchild << " survived";
}

TEST_F(ChildProcessTest, StopCheckThatNeverFiresChangesNothing) {
  int polls = 0;
  ChildSpec spec = shell("sleep 0.6; exit 3");
  spec.stop_check = [&polls]() -> std::optional<std::string> {
    ++polls;
    return std::nullopt;
  };
  spec.stop_check_interval_seconds = 0.1;
  const ChildExit exit = run_child(spec);
  EXPECT_EQ(exit.kind, ChildExit::Kind::kExited) << kind_name(exit.kind);
  EXPECT_EQ(exit.exit_code, 3);
  EXPECT_GE(polls, 3);  // polled while it ran
  EXPECT_TRUE(exit.stop_reason.empty());
}

TEST(EvaluationWatch, SleepReturnsEarlyWhenCancelled) {
  EXPECT_TRUE(sleep_unless_cancelled(0.05));  // no watch installed: sleeps it all
  CancelAfter watch(std::chrono::milliseconds(100));
  ScopedEvaluationWatch installed(watch);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(sleep_unless_cancelled(30.0));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
}

TEST_F(ChildProcessTest, ExitCodes) {
  for (int code : {0, 1, 3, 42, 255}) {
    const ChildExit exit = run_child(shell("exit " + std::to_string(code)));
    EXPECT_EQ(exit.kind, ChildExit::Kind::kExited) << kind_name(exit.kind) << " " << exit.error;
    EXPECT_EQ(exit.exit_code, code);
  }
}

TEST_F(ChildProcessTest, QuickChildDoesNotWaitForTheTimeout) {
  const auto start = Clock::now();
  const ChildExit exit = run_child(shell("true"));
  const double elapsed = seconds_since(start);
  EXPECT_EQ(exit.kind, ChildExit::Kind::kExited);
  EXPECT_LT(elapsed, kLatenessSeconds) << "a child that exits at once took " << elapsed << " s";
  EXPECT_GE(exit.seconds, 0.0);
  EXPECT_LE(exit.seconds, elapsed);
}

TEST_F(ChildProcessTest, StdoutAndStderrGoToTheirFiles) {
  const ChildExit exit = run_child(shell("echo to-out; echo to-err >&2; printf 'no newline'"));
  ASSERT_EQ(exit.kind, ChildExit::Kind::kExited) << kind_name(exit.kind) << " " << exit.error;
  EXPECT_EQ(read("stdout.log"), "to-out\nno newline");
  EXPECT_EQ(read("stderr.log"), "to-err\n");
}

TEST_F(ChildProcessTest, OutputFilesAreTruncated) {
  std::ofstream(dir_ / "stdout.log") << "stale output of an earlier run\n";
  ASSERT_EQ(run_child(shell("echo fresh")).exit_code, 0);
  EXPECT_EQ(read("stdout.log"), "fresh\n");
}

TEST_F(ChildProcessTest, RunsInTheWorkingDirectory) {
  fs::create_directories(dir_ / "trial");
  ChildSpec spec = shell("pwd; echo here > marker.txt");
  spec.working_dir = (dir_ / "trial").string();
  ASSERT_EQ(run_child(spec).exit_code, 0);
  std::string printed = read("stdout.log");
  ASSERT_FALSE(printed.empty());
  printed.pop_back();  // the newline
  EXPECT_EQ(fs::canonical(printed), fs::canonical(dir_ / "trial"));
  EXPECT_TRUE(fs::exists(dir_ / "trial" / "marker.txt"));
}

TEST_F(ChildProcessTest, EnvironmentIsExactlyTheOneGiven) {
  ChildSpec spec = shell("echo \"$GREETING|${HOME-unset}\"");
  spec.environment = {"GREETING=hello world", "PATH=/usr/bin:/bin"};
  ASSERT_EQ(run_child(spec).exit_code, 0);
  EXPECT_EQ(read("stdout.log"), "hello world|unset\n");
}

TEST_F(ChildProcessTest, StdinIsEmpty) {
  // cat on an inherited terminal or pipe would block until the timeout.
  ChildSpec spec = shell("cat; echo eof");
  spec.timeout_seconds = 10.0;
  const ChildExit exit = run_child(spec);
  EXPECT_EQ(exit.kind, ChildExit::Kind::kExited) << kind_name(exit.kind);
  EXPECT_EQ(read("stdout.log"), "eof\n");
}

TEST_F(ChildProcessTest, TimeoutKillsChildAndGrandchild) {
  ChildSpec spec = shell("sleep 300 & echo $! > grandchild.pid; wait");
  spec.timeout_seconds = kTimeoutSeconds;
  const auto start = Clock::now();
  const ChildExit exit = run_child(spec);
  const double elapsed = seconds_since(start);

  EXPECT_EQ(exit.kind, ChildExit::Kind::kTimedOut) << kind_name(exit.kind);
  EXPECT_GE(elapsed, kTimeoutSeconds);
  EXPECT_LT(elapsed, kTimeoutSeconds + kGraceSeconds + kLatenessSeconds)
      << "timeout of " << kTimeoutSeconds << " s honored only after " << elapsed << " s";
  EXPECT_GE(exit.seconds, kTimeoutSeconds);

  const pid_t grandchild = read_pid("grandchild.pid");
  ASSERT_GT(grandchild, 0) << "the script did not record its background process";
  EXPECT_TRUE(wait_until_gone(grandchild)) << "grandchild " << grandchild << " survived";
}

TEST_F(ChildProcessTest, TimeoutEscalatesToSigkill) {
  // The shell and its background sleep ignore SIGTERM: only SIGKILL after the grace ends them.
  ChildSpec spec = shell("trap '' TERM; sleep 300 & echo $! > grandchild.pid; wait; wait");
  spec.timeout_seconds = kTimeoutSeconds;
  const auto start = Clock::now();
  const ChildExit exit = run_child(spec);
  const double elapsed = seconds_since(start);

  EXPECT_EQ(exit.kind, ChildExit::Kind::kTimedOut) << kind_name(exit.kind);
  EXPECT_GE(elapsed, kTimeoutSeconds + kGraceSeconds) << "SIGKILL sent before the grace ended";
  EXPECT_LT(elapsed, kTimeoutSeconds + kGraceSeconds + kLatenessSeconds) << elapsed << " s";
  const pid_t grandchild = read_pid("grandchild.pid");
  ASSERT_GT(grandchild, 0);
  EXPECT_TRUE(wait_until_gone(grandchild)) << "grandchild " << grandchild << " survived";
}

TEST_F(ChildProcessTest, LeftoverBackgroundProcessIsKilledAfterNormalExit) {
  const ChildExit exit = run_child(shell("sleep 300 & echo $! > leftover.pid; exit 0"));
  EXPECT_EQ(exit.kind, ChildExit::Kind::kExited) << kind_name(exit.kind);
  EXPECT_EQ(exit.exit_code, 0);
  const pid_t leftover = read_pid("leftover.pid");
  ASSERT_GT(leftover, 0);
  EXPECT_TRUE(wait_until_gone(leftover)) << "background process " << leftover << " survived";
}

TEST_F(ChildProcessTest, MissingProgramIsASpawnFailure) {
  ChildSpec spec = shell("");
  spec.argv = {"/nonexistent/lorahpo-no-such-program", "--flag"};
  const ChildExit exit = run_child(spec);
  EXPECT_EQ(exit.kind, ChildExit::Kind::kSpawnFailed) << kind_name(exit.kind);
  EXPECT_NE(exit.error.find(std::strerror(ENOENT)), std::string::npos) << exit.error;
}

TEST_F(ChildProcessTest, ProgramNotInPathIsASpawnFailure) {
  ChildSpec spec = shell("");
  spec.argv = {"lorahpo-no-such-program-in-path"};
  const ChildExit exit = run_child(spec);
  EXPECT_EQ(exit.kind, ChildExit::Kind::kSpawnFailed) << kind_name(exit.kind);
  EXPECT_NE(exit.error.find(std::strerror(ENOENT)), std::string::npos) << exit.error;
}

TEST_F(ChildProcessTest, NonExecutableFileIsASpawnFailure) {
  const fs::path script = dir_ / "not_executable.sh";
  std::ofstream(script) << "#!/bin/sh\necho hi\n";
  fs::permissions(script, fs::perms::owner_read | fs::perms::owner_write);
  ChildSpec spec = shell("");
  spec.argv = {script.string()};
  const ChildExit exit = run_child(spec);
  EXPECT_EQ(exit.kind, ChildExit::Kind::kSpawnFailed) << kind_name(exit.kind);
  // No execute bit at all: EACCES even for root.
  EXPECT_NE(exit.error.find(std::strerror(EACCES)), std::string::npos) << exit.error;
}

TEST_F(ChildProcessTest, MissingWorkingDirectoryIsASpawnFailure) {
  ChildSpec spec = shell("echo never");
  spec.working_dir = (dir_ / "no" / "such" / "dir").string();
  const ChildExit exit = run_child(spec);
  EXPECT_EQ(exit.kind, ChildExit::Kind::kSpawnFailed) << kind_name(exit.kind);
  EXPECT_NE(exit.error.find(std::strerror(ENOENT)), std::string::npos) << exit.error;
}

TEST_F(ChildProcessTest, EmptyArgvIsASpawnFailure) {
  ChildSpec spec = shell("");
  spec.argv.clear();
  EXPECT_EQ(run_child(spec).kind, ChildExit::Kind::kSpawnFailed);
}

TEST_F(ChildProcessTest, KilledBySignal) {
  // (No core-dumping signal: a core_pattern handler could make the test slow.)
  for (int sig : {SIGKILL, SIGTERM, SIGUSR1}) {
    const ChildExit exit = run_child(shell("kill -" + std::to_string(sig) + " $$; sleep 5"));
    EXPECT_EQ(exit.kind, ChildExit::Kind::kSignaled)
        << "signal " << sig << ": " << kind_name(exit.kind);
    EXPECT_EQ(exit.signal, sig);
  }
}

using testing_support::ScopedEnv;

TEST(CleanEnvironmentTest, DropsLauncherVariablesKeepsTheRest) {
  const ScopedEnv e1("OMPI_COMM_WORLD_RANK", "3");
  const ScopedEnv e2("PMIX_RANK", "3");
  const ScopedEnv e3("SLURM_JOB_ID", "12345");
  const ScopedEnv e4("ORTE_HNP_URI", "x");
  const ScopedEnv e5("OPAL_PREFIX", "/opt/ompi");
  const ScopedEnv e6("PMI_RANK", "3");
  const ScopedEnv e7("LORAHPO_TEST_KEEP", "kept");
  const ScopedEnv e8("MY_OMPI_LOOKALIKE", "kept too");  // only prefixes are dropped

  const std::vector<std::string> env = clean_environment();
  const auto has_prefix = [&](const std::string& prefix) {
    return std::any_of(env.begin(), env.end(),
                       [&](const std::string& e) { return e.rfind(prefix, 0) == 0; });
  };
  for (const char* dropped : {"OMPI_", "PMIX_", "SLURM_", "ORTE_", "OPAL_", "PMI_"}) {
    EXPECT_FALSE(has_prefix(dropped)) << dropped << "* kept";
  }
  const auto contains = [&](const std::string& entry) {
    return std::find(env.begin(), env.end(), entry) != env.end();
  };
  EXPECT_TRUE(contains("LORAHPO_TEST_KEEP=kept"));
  EXPECT_TRUE(contains("MY_OMPI_LOOKALIKE=kept too"));
  if (const char* path = std::getenv("PATH")) {
    EXPECT_TRUE(contains(std::string("PATH=") + path)) << "PATH dropped";
  }
}

class LastLineTest : public ChildProcessTest {
 protected:
  std::string last_line(const std::string& contents) {
    const std::string path = (dir_ / "file.txt").string();
    std::ofstream(path, std::ios::binary) << contents;
    return last_line_of(path);
  }
};

TEST_F(LastLineTest, LastNonEmptyLine) {
  EXPECT_EQ(last_line("first\nsecond\nthird\n"), "third");
  EXPECT_EQ(last_line("first\nlast"), "last");
  EXPECT_EQ(last_line("only"), "only");
  EXPECT_EQ(last_line("a\nb\n\n\n  \n"), "b");
  EXPECT_EQ(last_line("windows\r\nline\r\n"), "line");
  EXPECT_EQ(last_line("error: it broke  \n"), "error: it broke");
}

TEST_F(LastLineTest, EmptyWhenNothing) {
  EXPECT_EQ(last_line(""), "");
  EXPECT_EQ(last_line("\n\n \t\n"), "");
  EXPECT_EQ(last_line_of((dir_ / "missing.txt").string()), "");
}

TEST_F(LastLineTest, DirectoryHasNoLines) {
  // A directory opens as a stream on Linux, but its size is not a byte count: on ext4 the end
  // seeks to a huge hash offset (reads then fail), on tmpfs the seek fails (tellg() == -1).
  // Neither is a text file with a last line.
  fs::create_directories(dir_ / "sub");
  std::string line;
  try {
    line = last_line_of((dir_ / "sub").string());
  } catch (const std::exception& e) {
    FAIL() << "threw: " << e.what();
  }
  EXPECT_EQ(line.size(), 0u) << "returned " << line.size() << " bytes, the first of value "
                             << (line.empty() ? 0 : static_cast<int>(line[0]));
}

TEST_F(LastLineTest, LongFile) {
  std::string contents;
  for (int i = 0; i < 20000; ++i) contents += "line " + std::to_string(i) + "\n";
  ASSERT_GT(contents.size(), 65536u);
  EXPECT_EQ(last_line(contents), "line 19999");
}

}  // namespace
}  // namespace lorahpo
