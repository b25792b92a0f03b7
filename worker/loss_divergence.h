#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace lorahpo {

/// One logged training iteration of LitGPT. litgpt v0.5.10–v0.5.13 `finetune/lora.py` fit()
/// prints, every `train.log_interval` iterations, through `fabric.print` (rank 0 only, to stdout):
///   Epoch {epoch + 1} | iter {iter_num} step {step_count} | loss train: {loss:.3f}, val:
///   {val_loss} | iter time: {ms:.2f} ms[ (step)]
/// The loss is torchmetrics' RunningMean over the last gradient-accumulation window; Python's
/// `{:.3f}` writes a non-finite loss as `nan`, `inf` or `-inf`.
struct IterationLoss {
  long long iteration = 0;  ///< `iter N` (micro-batch iterations, not optimizer steps)
  double loss = 0.0;        ///< may be NaN or infinite
};

/// Parses one line of LitGPT's training output; nullopt when it is not an iteration line. Tolerant
/// of what surrounds the two fields (a `[rank0]:` prefix, a missing `Epoch`/`step`, other
/// separators): it needs `iter <digits>` before `loss train: <number>` on the same line.
std::optional<IterationLoss> parse_iteration_line(std::string_view line);

/// The early stop of a diverged fine-tuning (objective.stop_on_divergence, wired in
/// master/config_loader.cpp as `objective.stop_on_divergence: {enabled: true, after_iterations:
/// 3}`): once `consecutive` logged iterations in a row have a NaN or infinite loss, the training is
/// killed and the point recorded `failed` "diverged at iteration N". LitGPT's fit() has no NaN
/// check of its own: a diverged run otherwise trains to the end of its epochs.
struct DivergenceStop {
  bool enabled = true;
  int consecutive = 3;  ///< >= 1
};

/// Counts consecutive non-finite logged losses. A finite loss resets the count: one NaN from a
/// single batch is not yet a divergence (AdamW's state may still be finite when the loss is a
/// RunningMean of several micro-batches), K in a row is.
class LossDivergence {
 public:
  explicit LossDivergence(int consecutive = DivergenceStop{}.consecutive);

  /// Feeds one logged iteration; true once `consecutive` non-finite losses came in a row (and
  /// stays true).
  bool add(const IterationLoss& point);
  /// Feeds one line of output (ignored unless it is an iteration line).
  bool add_line(std::string_view line);

  bool diverged() const { return diverged_; }
  /// The first iteration of the current (or, once diverged, the triggering) non-finite run.
  std::optional<long long> first_nonfinite_iteration() const { return run_start_; }
  /// The latest logged loss was not finite (the log ends inside a non-finite run).
  bool ends_nonfinite() const { return run_length_ > 0; }
  /// "diverged at iteration N (loss train: nan)"; empty until something non-finite was seen.
  std::string reason() const;

 private:
  int consecutive_;
  int run_length_ = 0;
  std::optional<long long> run_start_;
  double run_first_loss_ = 0.0;
  bool diverged_ = false;
};

}  // namespace lorahpo
