#include "worker/litgpt_outcome.h"

#include <signal.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace lorahpo {
namespace {

namespace fs = std::filesystem;

// The log excerpts below are written from what upstream prints (versions in each comment); paths,
// PIDs and sizes are made up, the wording is upstream's.

/// litgpt v0.5.10–v0.5.13 finetune/lora.py fit(): one line per log_interval, via fabric.print.
std::string loss_line(long long iter, const std::string& loss) {
  return fmt::format(
      "Epoch 1 | iter {} step {} | loss train: {}, val: n/a | iter time: 412.37 ms (step)\n", iter,
      iter / 2, loss);
}

/// The start of a fine-tuning's stdout: setup() and fit() preamble, then finite losses up to
/// `last_finite` (every 10 iterations).
std::string healthy_stdout(long long last_finite) {
  std::string out =
      "{'checkpoint_dir': PosixPath('/data/checkpoints/meta-llama/Llama-3.2-3B'),\n"
      " 'devices': 4,\n"
      " 'precision': 'bf16-true'}\n"
      "Number of trainable parameters: 12,156,928\n"
      "Number of non-trainable parameters: 3,212,749,824\n"
      "The longest sequence length in the train data is 512, the model's maximum sequence length "
      "is 512 "
      "and context length is 131072\n"
      "Verifying settings ...\n";
  for (long long iter = 10; iter <= last_finite; iter += 10) {
    out += loss_line(iter, fmt::format("{:.3f}", 2.0 - static_cast<double>(iter) / 1000.0));
  }
  return out;
}

/// torch (>= 2.5) CUDA caching allocator's message, as raised in a backward pass.
std::string oom_traceback(const std::string& prefix, int gpu) {
  std::string text;
  for (const char* line : {
           "Traceback (most recent call last):",
           "  File \"/opt/venv/lib/python3.11/site-packages/litgpt/finetune/lora.py\", line 356, "
           "in fit",
           "    fabric.backward(loss / train.gradient_accumulation_iters(devices, num_nodes))",
           "  File \"/opt/venv/lib/python3.11/site-packages/torch/autograd/__init__.py\", line "
           "347, in backward",
           "    _engine_run_backward(",
       }) {
    text += prefix + line + "\n";
  }
  text +=
      prefix +
      fmt::format(
          "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 18.84 GiB. GPU {} has a "
          "total capacity of 39.38 GiB of which 276.56 MiB is free. Including non-PyTorch memory, "
          "this "
          "process has 38.99 GiB memory in use. Of the allocated memory 35.59 GiB is allocated by "
          "PyTorch, and 2.31 GiB is reserved by PyTorch but unallocated.\n",
          gpu);
  return text;
}

/// lightning/fabric/strategies/launchers/subprocess_script.py _ChildProcessObserver._run
/// (Lightning 2.6.5): rank_prefixed_message(..., rank=i + 1), then SIGKILL to all.
std::string observer_line(int rank, int code) {
  return fmt::format(
      "[rank: {}] Child process with PID {} terminated with code {}. Forcefully terminating all "
      "other processes "
      "to avoid zombies \xF0\x9F\xA7\x9F\n",
      rank, 4240 + rank, code);
}

/// ProcessGroupNCCL's watchdog on a rank stuck in an all-reduce (torch 2.5 wording, with the
/// "[rankN]:" prefix torch puts on an initialised rank's log lines).
std::string collective_timeout(int rank) {
  const std::string work =
      "WorkNCCL(SeqNum=1532, OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=1800000)";
  return fmt::format(
      "[rank{0}]:[E1218 20:27:21.426415540 ProcessGroupNCCL.cpp:629] [Rank {0}] Watchdog caught "
      "collective "
      "operation timeout: {1} ran for 1800083 milliseconds before timing out.\n"
      "[rank{0}]:[E1218 20:27:21.484959605 ProcessGroupNCCL.cpp:681] [Rank {0}] Some NCCL "
      "operations have failed "
      "or timed out. Due to the asynchronous nature of CUDA kernels, subsequent GPU operations "
      "might run on "
      "corrupted/incomplete data.\n"
      "[rank{0}]:[E1218 20:27:21.484966856 ProcessGroupNCCL.cpp:695] [Rank {0}] To avoid data "
      "inconsistency, we "
      "are taking the entire process down.\n"
      "terminate called after throwing an instance of 'c10::DistBackendError'\n"
      "  what():  [PG ID 0 PG GUID 0(default_pg) Rank {0}] Process group watchdog thread "
      "terminated with "
      "exception: [Rank {0}] Watchdog caught collective operation timeout: {1} ran for 1800083 "
      "milliseconds "
      "before timing out.\n",
      rank, work);
}

ChildExit exited(int code, double seconds = 600.0) {
  ChildExit exit;
  exit.kind = ChildExit::Kind::kExited;
  exit.exit_code = code;
  exit.seconds = seconds;
  return exit;
}

ChildExit signaled(int signal_number, double seconds = 600.0) {
  ChildExit exit;
  exit.kind = ChildExit::Kind::kSignaled;
  exit.signal = signal_number;
  exit.seconds = seconds;
  return exit;
}

ChildExit of_kind(ChildExit::Kind kind, double seconds = 600.0) {
  ChildExit exit;
  exit.kind = kind;
  exit.seconds = seconds;
  return exit;
}

std::optional<EvaluationOutcome> finetune(const ChildExit& exit, std::string out, std::string err,
                                          const LitgptOutcomeOptions& options = {}) {
  return classify_litgpt_stage({LitgptStage::kFinetune, exit, std::move(out), std::move(err)},
                               options);
}

/// Fails unless `outcome` has `status` and a reason holding `part`.
void expect_outcome(const std::optional<EvaluationOutcome>& outcome, TrialStatus status,
                    const std::string& part) {
  ASSERT_TRUE(outcome.has_value())
      << "expected " << to_string(status) << " '" << part << "', got: continue";
  EXPECT_EQ(outcome->status, status) << to_string(outcome->status) << ": " << outcome->reason;
  EXPECT_NE(outcome->reason.find(part), std::string::npos) << "reason: " << outcome->reason;
}

TEST(LitgptOutcome, CleanRunContinues) {
  EXPECT_FALSE(
      finetune(exited(0),
               healthy_stdout(200) + "Saving LoRA weights to 'out/final/lit_model.pth.lora'\n",
               "Seed set to 1337\n")
          .has_value());
  // lm_eval's own output on a clean evaluation.
  EXPECT_FALSE(
      classify_litgpt_stage({LitgptStage::kEvaluate, exited(0),
                             "|  Tasks  |Version|Filter|n-shot| Metric |   |Value |   |Stderr|\n"
                             "|hellaswag|      1|none  |     0|acc     |↑  |0.5523|±  |0.0050|\n",
                             ""})
          .has_value());
}

TEST(LitgptOutcome, OutOfMemoryOnRankZeroExitsOne) {
  // devices: 1, or rank 0 of several: the main process raises, Python exits 1.
  const auto outcome = finetune(exited(1), healthy_stdout(40), oom_traceback("", 0));
  expect_outcome(outcome, TrialStatus::kFailed, "finetune: out of memory (rank 0)");
  EXPECT_NE(outcome->reason.find("tried to allocate 18.84 GiB"), std::string::npos)
      << outcome->reason;
}

TEST(LitgptOutcome, OutOfMemoryOnAChildRankKillsTheMainProcess) {
  // Rank 2 raises; Lightning's observer sees its exit code 1 and SIGKILLs the main process: the
  // worker sees signal 9, yet the point itself is at fault, not the node.
  const std::string err =
      "Seed set to 1337\n" + oom_traceback("[rank2]: ", 2) + observer_line(2, 1);
  expect_outcome(finetune(signaled(SIGKILL), healthy_stdout(30), err), TrialStatus::kFailed,
                 "finetune: out of memory (rank 2)");
  // Without torch's rank prefix (older torch), the observer names the rank.
  expect_outcome(
      finetune(signaled(SIGKILL), healthy_stdout(30), oom_traceback("", 0) + observer_line(3, 1)),
      TrialStatus::kFailed, "out of memory (rank 3)");
  // With neither, torch's message names the device (local rank r runs on cuda:r).
  expect_outcome(finetune(signaled(SIGKILL), "", oom_traceback("", 1)), TrialStatus::kFailed,
                 "out of memory (rank 1)");
  // The older RuntimeError form (torch < 1.13) and torch.cuda.OutOfMemoryError are the same.
  expect_outcome(finetune(exited(1), "",
                          "RuntimeError: CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; "
                          "39.39 GiB total capacity)\n"),
                 TrialStatus::kFailed, "out of memory (rank 0)");
  expect_outcome(finetune(exited(1), "", "torch.cuda.OutOfMemoryError: CUDA out of memory.\n"),
                 TrialStatus::kFailed, "out of memory");
}

TEST(LitgptOutcome, OutOfMemoryFollowedByACollectiveTimeoutIsStillOutOfMemory) {
  // Rank 1 ran out of memory; the others waited in their all-reduce until NCCL's watchdog
  // aborted them (SIGABRT of the main process).
  const std::string err =
      oom_traceback("[rank1]: ", 1) + collective_timeout(0) + collective_timeout(2);
  expect_outcome(finetune(signaled(SIGABRT), healthy_stdout(50), err), TrialStatus::kFailed,
                 "out of memory (rank 1)");
}

TEST(LitgptOutcome, NanLossThenMultinomialCrash) {
  // litgpt >= 0.5.11: the loss went NaN at iteration 60; fit() kept training to the end of the
  // epoch, then rank 0's generate_example sampled from NaN probabilities.
  std::string out = healthy_stdout(50);
  for (long long iter = 60; iter <= 200; iter += 10) out += loss_line(iter, "nan");
  out +=
      "Below is an instruction that describes a task. Write a response that appropriately "
      "completes the request.\n";
  const std::string err =
      "Traceback (most recent call last):\n"
      "  File \"/opt/venv/lib/python3.11/site-packages/litgpt/finetune/lora.py\", line 343, in "
      "fit\n"
      "    generate_example(fabric, model, tokenizer, eval, data)\n"
      "  File \"/opt/venv/lib/python3.11/site-packages/litgpt/generate/base.py\", line 36, in "
      "multinomial_num_samples_1\n"
      "    return torch.multinomial(probs, num_samples=1)\n"
      "RuntimeError: probability tensor contains either `inf`, `nan` or element < 0\n";
  expect_outcome(finetune(exited(1), out, err), TrialStatus::kFailed,
                 "finetune: diverged at iteration 60 (loss train: nan)");
  // The crash before any non-finite loss was logged (log_interval longer than the divergence):
  // still a divergence, not a generic crash.
  expect_outcome(finetune(exited(1), healthy_stdout(50), err), TrialStatus::kFailed,
                 "finetune: diverged");
}

TEST(LitgptOutcome, NanLossThenCleanExit) {
  // litgpt <= 0.5.10 (no end-of-epoch generation) or generation skipped: exit 0 after a NaN run.
  std::string out = healthy_stdout(100);
  for (long long iter = 110; iter <= 300; iter += 10) out += loss_line(iter, "nan");
  out += "Saving LoRA weights to 'out/final/lit_model.pth.lora'\n";
  expect_outcome(finetune(exited(0), out, ""), TrialStatus::kFailed, "diverged at iteration 110");
  // inf, and a single non-finite line at the very end of the log.
  expect_outcome(finetune(exited(0), healthy_stdout(100) + loss_line(110, "inf"), ""),
                 TrialStatus::kFailed, "diverged at iteration 110 (loss train: inf)");
}

TEST(LitgptOutcome, TransientNonFiniteLossIsNotADivergence) {
  // Fewer than `consecutive` non-finite lines, then finite again: the run recovered.
  const std::string out =
      healthy_stdout(50) + loss_line(60, "nan") + loss_line(70, "1.712") + loss_line(80, "1.698");
  EXPECT_FALSE(finetune(exited(0), out, "").has_value());
  LitgptOutcomeOptions strict;
  strict.divergence_consecutive = 1;
  expect_outcome(finetune(exited(0), out, "", strict), TrialStatus::kFailed,
                 "diverged at iteration 60");
}

TEST(LitgptOutcome, DivergenceWinsOverTheWayTheRunEnded) {
  std::string out = healthy_stdout(20);
  for (long long iter = 30; iter <= 90; iter += 10) out += loss_line(iter, "nan");
  expect_outcome(finetune(of_kind(ChildExit::Kind::kTimedOut), out, ""), TrialStatus::kFailed,
                 "diverged at iteration 30");
  expect_outcome(finetune(signaled(SIGKILL), out, observer_line(1, 1)), TrialStatus::kFailed,
                 "diverged at iteration 30");
}

TEST(LitgptOutcome, CollectiveTimeoutIsAnInfrastructureError) {
  // The end-of-epoch deadlock (rank 0 in generate_example's all-gathers, ranks 1-3 in
  // all_reduce(token_counts)) or a sick fabric: NCCL aborts after Lightning's 30 min.
  const std::string err = collective_timeout(1) + collective_timeout(0);
  const auto outcome = finetune(signaled(SIGABRT), healthy_stdout(200), err);
  expect_outcome(outcome, TrialStatus::kError,
                 "finetune: collective timeout (NCCL watchdog) on rank 1: WorkNCCL(SeqNum=1532");
  EXPECT_NE(outcome->reason.find("OpType=ALLREDUCE"), std::string::npos) << outcome->reason;
  EXPECT_NE(outcome->reason.find("Timeout(ms)=1800000"), std::string::npos) << outcome->reason;
  // The main process SIGKILLed by Lightning after a child aborted: the same.
  expect_outcome(finetune(signaled(SIGKILL), healthy_stdout(200),
                          collective_timeout(2) + observer_line(2, -6)),
                 TrialStatus::kError, "collective timeout");
  // Only the DistBackendError's what() survived in the tail.
  expect_outcome(
      finetune(signaled(SIGABRT), "",
               "terminate called after throwing an instance of 'c10::DistBackendError'\n"),
      TrialStatus::kError, "collective failure (NCCL)");
}

TEST(LitgptOutcome, MissingCheckpointIsAnInfrastructureError) {
  // litgpt v0.5.13 utils.py check_valid_checkpoint_dir, verbose, then SystemExit(1).
  const std::string err =
      "checkpoint_dir '/data/checkpoints/meta-llama/Llama-3.2-3B' is missing the files: "
      "['lit_model.pth'].\n"
      "Find download instructions at https://github.com/Lightning-AI/litgpt/blob/main/tutorials\n"
      "\n"
      "See all download options by running:\n"
      " litgpt download\n";
  expect_outcome(
      finetune(exited(1), "", err), TrialStatus::kError,
      "finetune: missing checkpoint: checkpoint_dir '/data/checkpoints/meta-llama/Llama-3.2-3B' is "
      "missing the files: ['lit_model.pth'].");
  expect_outcome(finetune(exited(1), "",
                          "checkpoint_dir '/scratch/x' is not a checkpoint directory.\nFind "
                          "download instructions\n"),
                 TrialStatus::kError, "missing checkpoint");
  // raise_error=True: the FileNotFoundError form.
  expect_outcome(classify_litgpt_stage(
                     {LitgptStage::kEvaluate, exited(1), "",
                      "FileNotFoundError: checkpoint_dir '/w/out/final' is missing the files: "
                      "['lit_model.pth', 'model_config.yaml'].\n"}),
                 TrialStatus::kError, "evaluate: missing checkpoint");
}

TEST(LitgptOutcome, ExitKinds) {
  LitgptOutcomeOptions options;
  options.trial_timeout_seconds = 3600;
  expect_outcome(
      finetune(of_kind(ChildExit::Kind::kTimedOut, 3599.6), healthy_stdout(100), "", options),
      TrialStatus::kFailed, "finetune: timed out after 3600 s (the trial's budget is 3600 s)");
  expect_outcome(
      finetune(of_kind(ChildExit::Kind::kCancelled), healthy_stdout(100), oom_traceback("", 0)),
      TrialStatus::kError, "finetune: cancelled by rank 0");
  ChildExit spawn = of_kind(ChildExit::Kind::kSpawnFailed);
  spawn.error = "cannot execute: No such file or directory";
  expect_outcome(finetune(spawn, "", ""), TrialStatus::kError,
                 "finetune: cannot start: cannot execute: No such file");
  expect_outcome(finetune(signaled(SIGSEGV), "", "Fatal Python error: Segmentation fault\n"),
                 TrialStatus::kError,
                 "finetune: killed by signal 11 (SIGSEGV): Fatal Python error: Segmentation fault");
  expect_outcome(finetune(signaled(SIGKILL), healthy_stdout(100), ""), TrialStatus::kError,
                 "killed by signal 9 (SIGKILL)");
}

TEST(LitgptOutcome, StoppedEarlyByTheWatch) {
  ChildExit stopped = of_kind(ChildExit::Kind::kStopped, 95.0);
  stopped.stop_reason = "diverged at iteration 40 (loss train: nan)";
  const auto outcome = finetune(stopped, healthy_stdout(30), "");
  expect_outcome(outcome, TrialStatus::kFailed,
                 "finetune: diverged at iteration 40 (loss train: nan); stopped early");
  EXPECT_EQ(outcome->metrics.value("stopped_early", false), true) << outcome->metrics.dump();
}

TEST(LitgptOutcome, NonZeroExitQuotesTheException) {
  // The exception line, not a warning printed after it.
  const std::string err =
      "Traceback (most recent call last):\n"
      "  File \"/opt/venv/bin/litgpt\", line 8, in <module>\n"
      "ValueError: `lora_r` must be positive, got 0\n"
      "/usr/lib/python3.11/multiprocessing/resource_tracker.py:254: UserWarning: resource_tracker: "
      "leaked\n";
  expect_outcome(finetune(exited(1), healthy_stdout(10), err), TrialStatus::kFailed,
                 "finetune: exited with code 1: ValueError: `lora_r` must be positive, got 0");
  // jsonargparse's usage error: no exception line, the last line is quoted.
  expect_outcome(classify_litgpt_stage({LitgptStage::kEvaluate, exited(2), "",
                                        "usage: litgpt [-h] [--config CONFIG]\n"
                                        "error: Unrecognized arguments: --log_samples false\n"}),
                 TrialStatus::kFailed,
                 "evaluate: exited with code 2: error: Unrecognized arguments");
}

TEST(LitgptOutcome, ChildRankErrorIsThatRanksFailure) {
  // A child rank raised something other than OOM: Lightning SIGKILLed the main process. As rank
  // 0's exit 1 would be, a failure of the point, quoted.
  const std::string err =
      "[rank1]: Traceback (most recent call last):\n"
      "[rank1]: AssertionError: lora_alpha must be positive\n" +
      observer_line(1, 1);
  expect_outcome(
      finetune(signaled(SIGKILL), healthy_stdout(10), err), TrialStatus::kFailed,
      "finetune: rank 1 exited with code 1 (Lightning then killed the main process with signal 9 "
      "(SIGKILL)): AssertionError: lora_alpha must be positive");
}

TEST(LitgptOutcome, OutOfMemoryTextAfterACleanExitIsIgnored) {
  // A program that caught an OOM and carried on (lm_eval's automatic batch size search) succeeded.
  EXPECT_FALSE(classify_litgpt_stage(
                   {LitgptStage::kEvaluate, exited(0), "",
                    "Passed argument batch_size = auto. Detecting largest batch size\n"
                    "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 8.00 GiB.\n"
                    "Determined Largest batch size: 16\n"})
                   .has_value());
  // The evaluate stage has no training loss: "nan" in its output is not a divergence.
  EXPECT_FALSE(
      classify_litgpt_stage({LitgptStage::kEvaluate, exited(0), "|mmlu | acc_stderr | nan |\n", ""})
          .has_value());
}

TEST(LitgptOutcome, EvaluateOutOfMemory) {
  expect_outcome(
      classify_litgpt_stage({LitgptStage::kEvaluate, exited(1), "", oom_traceback("", 0)}),
      TrialStatus::kFailed, "evaluate: out of memory (rank 0)");
}

class ReadLogTailTest : public testing::Test {
 protected:
  void SetUp() override {
    path_ = fs::temp_directory_path() /
            ("lorahpo_log_tail_" +
             std::string(testing::UnitTest::GetInstance()->current_test_info()->name()));
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove(path_, ignored);
  }
  fs::path path_;
};

TEST_F(ReadLogTailTest, SmallFileWhole) {
  std::ofstream(path_, std::ios::binary) << "a\nb\nc";
  EXPECT_EQ(read_log_tail(path_.string()), "a\nb\nc");
  EXPECT_EQ(read_log_tail((path_.string() + ".missing")), "");
}

TEST_F(ReadLogTailTest, LargeFileFromALineStart) {
  {
    std::ofstream file(path_, std::ios::binary);
    for (int i = 0; i < 1000; ++i) file << "line " << i << "\n";
  }
  const std::string tail = read_log_tail(path_.string(), 100);
  EXPECT_LE(tail.size(), 100u);
  EXPECT_EQ(tail.rfind("line ", 0), 0u) << tail;  // starts at a whole line
  EXPECT_EQ(tail.substr(tail.size() - 9), "line 999\n");
}

TEST_F(ReadLogTailTest, ClassifiesFromTheTailOfAHugeLog) {
  // A long healthy stdout, then the divergence: the default tail (4 MiB) still holds it.
  {
    std::ofstream file(path_, std::ios::binary);
    for (long long iter = 1; iter <= 60000; ++iter) file << loss_line(iter, "1.500");
    for (long long iter = 60001; iter <= 60003; ++iter) file << loss_line(iter, "nan");
  }
  ASSERT_GT(fs::file_size(path_), kLogTailBytes);
  const std::string tail = read_log_tail(path_.string());
  EXPECT_LE(tail.size(), kLogTailBytes);
  expect_outcome(finetune(exited(0), tail, ""), TrialStatus::kFailed,
                 "diverged at iteration 60001");
}

}  // namespace
}  // namespace lorahpo
