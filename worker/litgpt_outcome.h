#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "worker/child_process.h"
#include "worker/evaluator.h"
#include "worker/loss_divergence.h"

namespace lorahpo {

/// The two child processes of a LitGPT trial (worker/litgpt_evaluator.h).
enum class LitgptStage { kFinetune, kEvaluate };
const char* to_string(LitgptStage stage);  ///< "finetune", "evaluate"

/// How one stage ended: the child's exit and what it wrote (the whole logs or their tails, see
/// read_log_tail).
struct LitgptStageEnd {
  LitgptStage stage = LitgptStage::kFinetune;
  ChildExit exit;
  std::string out_log;  ///< stdout: fabric.print (loss lines) and Python's print
  std::string err_log;  ///< stderr: tracebacks, torch/NCCL and Lightning's logging
};

struct LitgptOutcomeOptions {
  /// Logged non-finite losses in a row that make a divergence (DivergenceStop::consecutive). A log
  /// that ends inside a non-finite run is a divergence whatever its length.
  int divergence_consecutive = DivergenceStop{}.consecutive;
  /// The trial's whole budget, only for the timeout's message; <= 0: not mentioned.
  double trial_timeout_seconds = 0.0;
};

/// The outcome of one LitGPT stage: nullopt when the caller proceeds (a clean exit without a
/// diverged loss), else the trial's outcome, reason prefixed with the stage. Pure: the same
/// inputs give the same outcome, nothing is read or written.
///
/// The logs are read first, then the exit, because the exit alone misleads on a multi-GPU node:
///   1. spawn failure -> error; cancel by rank 0 -> error; stopped by the training-log watch
///      (ChildExit::kStopped, worker/training_log_watch.h) -> failed with the watch's reason,
///      metrics.stopped_early = true (the caller adds `seconds` and `gpus`:
///      common/gpu_time_saved.h).
///   2. (finetune only) a diverged loss (LossDivergence over the logged `loss train:` values) ->
///   failed
///      "diverged at iteration N", whatever the exit: 0 (fit() has no NaN check), or 1 from the
///      end-of-epoch generate_example sampling NaN probabilities ("probability tensor contains
///      either `inf`, `nan` or element < 0", torch.multinomial via litgpt/generate/base.py
///      multinomial_num_samples_1, v0.5.11+); that crash alone (no loss line logged yet) is a
///      divergence too.
///   3. CUDA out of memory (torch.OutOfMemoryError / torch.cuda.OutOfMemoryError / "CUDA out of
///      memory" / "CUDA error: out of memory") on any unclean exit -> failed "out of memory
///      (rank N)": exit 1 when rank 0 raised it; SIGKILL when a child rank raised it, because
///      Lightning's _ChildProcessObserver (lightning/fabric/strategies/launchers/
///      subprocess_script.py, Lightning 2.1–2.6.5) SIGKILLs the main process as soon as a child
///      exits non-zero; or a collective timeout on the survivors that followed.
///   4. an NCCL collective timeout or watchdog abort (ProcessGroupNCCL's "Watchdog caught
///      collective operation timeout", c10::DistBackendError, "Some NCCL operations have failed
///      or timed out") -> error: the node or the fabric, another node may succeed.
///   5. a missing base checkpoint (litgpt/utils.py check_valid_checkpoint_dir: "checkpoint_dir
///      '...' is missing the files" / "is not a checkpoint directory", then exit 1; or a
///      FileNotFoundError about lit_model.pth) -> error "missing checkpoint".
///   6. from the exit: timed out -> failed; killed by a signal -> error "killed by signal N
///      (NAME)" — except a main process killed by Lightning's observer after child rank N exited
///      with code C > 0, which is that rank's failure (as exit C of rank 0 would be); non-zero
///      exit -> failed with the last exception line of stderr (else its last line); exit 0 ->
///      nullopt.
std::optional<EvaluationOutcome> classify_litgpt_stage(const LitgptStageEnd& end,
                                                       const LitgptOutcomeOptions& options = {});

/// Logs can be gigabytes (tqdm bars, NCCL_DEBUG): classification reads at most this much of
/// each, from the end.
constexpr std::size_t kLogTailBytes = std::size_t{4} << 20;

/// The last `max_bytes` of a file, starting after a line break when cut; empty when unreadable.
std::string read_log_tail(const std::string& path, std::size_t max_bytes = kLogTailBytes);

}  // namespace lorahpo
