#include "worker/litgpt_outcome.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fstream>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "common/signal_name.h"

namespace lorahpo {
namespace {

/// Details quoted from a log are clipped to this length in a reason.
constexpr std::size_t kQuoteLimit = 300;

bool contains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

std::string_view trim(std::string_view text) {
  const std::size_t begin = text.find_first_not_of(" \t");
  if (begin == std::string_view::npos) return {};
  const std::size_t end = text.find_last_not_of(" \t");
  return text.substr(begin, end - begin + 1);
}

std::string clip(std::string_view text) {
  text = trim(text);
  if (text.size() <= kQuoteLimit) return std::string(text);
  return std::string(text.substr(0, kQuoteLimit)) + "...";
}

/// Lines split at '\n' and '\r' (tqdm redraws its bars with '\r').
std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find_first_of("\r\n", begin);
    if (end == std::string_view::npos) end = text.size();
    if (end > begin) lines.push_back(text.substr(begin, end - begin));
    begin = end + 1;
  }
  return lines;
}

std::optional<int> leading_int(std::string_view text) {
  std::size_t end = 0;
  while (end < text.size() && end < 9 && std::isdigit(static_cast<unsigned char>(text[end])) != 0)
    ++end;
  if (end == 0) return std::nullopt;
  return std::stoi(std::string(text.substr(0, end)));
}

/// A line as a rank wrote it. torch (2.3 and later, seen in real multi-GPU logs) prefixes what an
/// initialised rank writes with "[rankN]:", repeatedly for its C++ log lines
/// ("[rank1]:[E1218 20:27:21.43 ProcessGroupNCCL.cpp:629] ...").
struct RankedLine {
  std::optional<int> rank;
  std::string_view text;
};

RankedLine strip_rank_prefix(std::string_view line) {
  RankedLine ranked{std::nullopt, trim(line)};
  static constexpr std::string_view kPrefix = "[rank";
  if (ranked.text.substr(0, kPrefix.size()) != kPrefix) return ranked;
  std::string_view rest = ranked.text.substr(kPrefix.size());
  const auto rank = leading_int(rest);
  if (!rank) return ranked;
  const std::size_t close = rest.find("]:");
  if (close == std::string_view::npos || close > 10) return ranked;
  ranked.rank = rank;
  ranked.text = trim(rest.substr(close + 2));
  return ranked;
}

/// `[rank: N] Child process with PID P terminated with code C. Forcefully terminating all other
/// processes to avoid zombies` — Lightning's _ChildProcessObserver._run (lightning/fabric/
/// strategies/launchers/subprocess_script.py, 2.1–2.6.5), logged through the `lightning.fabric`
/// logger, whose StreamHandler writes to stderr; it then SIGKILLs every rank and the main process.
struct ObserverKill {
  int rank = -1;
  int code = 0;  ///< the child's return code: > 0 an exit code, < 0 minus a signal number
};

std::optional<ObserverKill> observer_kill(std::string_view line) {
  static constexpr std::string_view kChild = "Child process with PID";
  static constexpr std::string_view kCode = "terminated with code ";
  const std::size_t child_at = line.find(kChild);
  if (child_at == std::string_view::npos) return std::nullopt;
  const std::size_t code_at = line.find(kCode, child_at);
  if (code_at == std::string_view::npos) return std::nullopt;
  ObserverKill kill;
  std::string_view code = line.substr(code_at + kCode.size());
  const bool negative = !code.empty() && code.front() == '-';
  const auto value = leading_int(negative ? code.substr(1) : code);
  if (!value) return std::nullopt;
  kill.code = negative ? -*value : *value;
  static constexpr std::string_view kRank = "[rank: ";
  const std::size_t rank_at = line.rfind(kRank, child_at);
  if (rank_at != std::string_view::npos) {
    if (const auto rank = leading_int(line.substr(rank_at + kRank.size()))) kill.rank = *rank;
  }
  return kill;
}

/// torch.OutOfMemoryError (torch >= 2.5; torch.cuda.OutOfMemoryError before, an alias since),
/// its message "CUDA out of memory. Tried to allocate 1.96 GiB. GPU 1 has a total capacity of
/// ...", and the CUDA runtime's "CUDA error: out of memory" (cuBLAS/NCCL initialisation).
bool is_oom_line(std::string_view line) {
  return contains(line, "CUDA out of memory") || contains(line, "OutOfMemoryError") ||
         contains(line, "CUDA error: out of memory");
}

/// ProcessGroupNCCL's watchdog (torch/csrc/distributed/c10d/ProcessGroupNCCL.cpp checkTimeout /
/// ncclCommWatchdog): "[Rank 1] Watchdog caught collective operation timeout: WorkNCCL(SeqNum=1,
/// OpType=ALLREDUCE, NumelIn=1, NumelOut=1, Timeout(ms)=1800000) ran for 1800083 milliseconds
/// before timing out.", "Some NCCL operations have failed or timed out", then "terminate called
/// after throwing an instance of 'c10::DistBackendError'" (SIGABRT). Lightning keeps torch's
/// default 30 min collective timeout (lightning/fabric/plugins/collectives/torch_collective.py
/// default_pg_timeout).
bool is_collective_failure_line(std::string_view line) {
  return contains(line, "Watchdog caught collective operation timeout") ||
         contains(line, "DistBackendError") ||
         contains(line, "Some NCCL operations have failed or timed out") ||
         contains(line, "NCCL communicator was aborted") ||
         (contains(line, "ProcessGroupNCCL") &&
          (contains(line, "timeout") || contains(line, "timed out")));
}

/// litgpt/utils.py check_valid_checkpoint_dir (v0.5.10–v0.5.13) prints "checkpoint_dir '<abs>'
/// is missing the files: ['lit_model.pth', ...]." or "... is not a checkpoint directory." to
/// stderr, then raises SystemExit(1) (FileNotFoundError with the same text when raise_error).
bool is_missing_checkpoint_line(std::string_view line) {
  if (contains(line, "checkpoint_dir") &&
      (contains(line, "is missing the files") || contains(line, "is not a checkpoint directory"))) {
    return true;
  }
  return contains(line, "FileNotFoundError") &&
         (contains(line, "lit_model.pth") || contains(line, "checkpoint"));
}

/// "RuntimeError: probability tensor contains either `inf`, `nan` or element < 0": torch's
/// multinomial on the probabilities of a model whose weights went NaN.
bool is_nan_sampling_line(std::string_view line) {
  return contains(line, "probability tensor contains either");
}

/// A Python exception's last traceback line: "ValueError: ...", "torch.OutOfMemoryError: ...",
/// "KeyboardInterrupt".
bool is_exception_line(std::string_view text) {
  std::size_t end = 0;
  while (end < text.size() && (std::isalnum(static_cast<unsigned char>(text[end])) != 0 ||
                               text[end] == '_' || text[end] == '.')) {
    ++end;
  }
  if (end == 0 || std::isalpha(static_cast<unsigned char>(text[0])) == 0) return false;
  if (end < text.size() && text[end] != ':') return false;
  const std::string_view name = text.substr(0, end);
  for (std::string_view suffix : {"Error", "Exception", "Interrupt", "Exit"}) {
    if (name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix)
      return true;
  }
  return false;
}

/// What a log says, in one pass over its lines.
struct LogFindings {
  std::optional<RankedLine> oom;         ///< the first out-of-memory line
  std::optional<RankedLine> collective;  ///< the first collective failure line
  std::optional<std::string_view> checkpoint;
  std::optional<ObserverKill> observer;
  bool nan_sampling = false;
  std::optional<std::string_view> last_exception;
  std::optional<std::string_view> last_line;
};

void scan(std::string_view text, LogFindings& found) {
  for (std::string_view line : lines_of(text)) {
    const RankedLine ranked = strip_rank_prefix(line);
    if (ranked.text.empty()) continue;
    found.last_line = ranked.text;
    if (!found.oom && is_oom_line(ranked.text)) found.oom = ranked;
    if (!found.collective && is_collective_failure_line(ranked.text)) found.collective = ranked;
    if (!found.checkpoint && is_missing_checkpoint_line(ranked.text))
      found.checkpoint = ranked.text;
    if (!found.observer) found.observer = observer_kill(ranked.text);
    found.nan_sampling = found.nan_sampling || is_nan_sampling_line(ranked.text);
    if (is_exception_line(ranked.text)) found.last_exception = ranked.text;
  }
}

/// "Tried to allocate 18.84 GiB" from torch's OOM message, lower-cased first letter.
std::string allocation_of(std::string_view line) {
  static constexpr std::string_view kTried = "Tried to allocate ";
  const std::size_t at = line.find(kTried);
  if (at == std::string_view::npos) return {};
  std::string_view rest = line.substr(at + kTried.size());
  // "18.84 GiB. GPU 1 has ..." (torch >= 1.13) or "2.00 GiB (GPU 0; ..." (before).
  const std::size_t end =
      std::min({rest.find(". "), rest.find(" ("), rest.size(), std::size_t{32}});
  rest = rest.substr(0, end);
  return "tried to allocate " + std::string(trim(rest));
}

/// The rank that ran out of memory: the line's "[rankN]:" prefix; else the rank whose exit made
/// Lightning's observer kill the main process; else the device in torch's message ("GPU 1 has a
/// total capacity", Lightning puts local rank r on cuda:r, and a trial is one node); else rank 0
/// when the main process itself exited with the error.
std::optional<int> oom_rank(const RankedLine& line, const LogFindings& found,
                            const ChildExit& exit) {
  if (line.rank) return line.rank;
  if (found.observer && found.observer->rank >= 0) return found.observer->rank;
  static constexpr std::string_view kGpu = "GPU ";
  const std::size_t gpu_at = line.text.find(kGpu);
  if (gpu_at != std::string_view::npos &&
      contains(line.text.substr(gpu_at), "has a total capacity")) {
    if (const auto device = leading_int(line.text.substr(gpu_at + kGpu.size()))) return device;
  }
  if (exit.kind == ChildExit::Kind::kExited) return 0;
  return std::nullopt;
}

/// "WorkNCCL(SeqNum=1, OpType=ALLREDUCE, ..., Timeout(ms)=1800000)" when the line names it.
std::string collective_detail(std::string_view line) {
  const std::size_t at = line.find("WorkNCCL(");
  if (at == std::string_view::npos) return clip(line);
  std::size_t depth = 0;
  std::size_t end = at;
  for (; end < line.size(); ++end) {
    if (line[end] == '(') ++depth;
    if (line[end] == ')' && --depth == 0) break;
  }
  return clip(line.substr(at, std::min(end + 1, line.size()) - at));
}

/// "signal 9 (SIGKILL)"
std::string signal_text(int signal_number) {
  return fmt::format("signal {} ({})", signal_number, signal_name(signal_number));
}

std::string rank_suffix(std::optional<int> rank) {
  return rank ? fmt::format(" (rank {})", *rank) : std::string();
}

EvaluationOutcome stage_failed(const std::string& stage, const std::string& why) {
  return EvaluationOutcome::failed(stage + ": " + why);
}

EvaluationOutcome stage_error(const std::string& stage, const std::string& why) {
  return EvaluationOutcome::error(stage + ": " + why);
}

/// Step 1 of classify_litgpt_stage: the ends the logs cannot explain.
std::optional<EvaluationOutcome> unexplained_end(const std::string& stage, const ChildExit& exit) {
  switch (exit.kind) {
    case ChildExit::Kind::kSpawnFailed:
      return stage_error(stage, "cannot start: " + exit.error);
    case ChildExit::Kind::kCancelled:
      return stage_error(stage, "cancelled by rank 0 (process group killed)");
    case ChildExit::Kind::kStopped: {
      // The training-log watch saw the loss diverge and stopped the run (training_log_watch.h).
      EvaluationOutcome outcome =
          stage_failed(stage, exit.stop_reason + "; stopped early, process group killed");
      outcome.metrics["stopped_early"] = true;
      return outcome;
    }
    default:
      return std::nullopt;
  }
}

/// Step 2: divergence in the loss lines (fabric.print, stdout; stderr scanned too, harmlessly),
/// or, for a run that did not end cleanly, in the end-of-epoch generation.
std::optional<EvaluationOutcome> divergence(const std::string& stage, const LitgptStageEnd& end,
                                            const LogFindings& found, bool clean,
                                            const LitgptOutcomeOptions& options) {
  for (const std::string* log : {&end.out_log, &end.err_log}) {
    LossDivergence in_log(options.divergence_consecutive);
    for (std::string_view line : lines_of(*log)) in_log.add_line(line);
    if (in_log.diverged() || in_log.ends_nonfinite()) return stage_failed(stage, in_log.reason());
  }
  if (!clean && found.nan_sampling) {
    return stage_failed(stage,
                        "diverged: the end-of-epoch generation sampled from NaN/inf "
                        "probabilities (no non-finite loss logged before)");
  }
  return std::nullopt;
}

/// Step 6: the exit itself (timeout, signal or exit code), with the last exception or line.
EvaluationOutcome exit_outcome(const std::string& stage, const ChildExit& exit,
                               const LogFindings& found, const LitgptOutcomeOptions& options) {
  const std::optional<std::string_view> quoted =
      found.last_exception ? found.last_exception : found.last_line;
  const std::string detail = quoted ? ": " + clip(*quoted) : std::string();
  switch (exit.kind) {
    case ChildExit::Kind::kTimedOut: {
      std::string why = fmt::format("timed out after {} s", std::lround(exit.seconds));
      if (options.trial_timeout_seconds > 0) {
        why += fmt::format(" (the trial's budget is {} s)",
                           std::lround(options.trial_timeout_seconds));
      }
      return stage_failed(stage, why + "; process group killed");
    }
    case ChildExit::Kind::kSignaled:
      if (found.observer && found.observer->code > 0) {
        // Lightning killed the main process because a child rank exited with an error: that
        // rank's error, as it would be rank 0's.
        return stage_failed(
            stage,
            fmt::format(
                "rank {} exited with code {} (Lightning then killed the main process with {})",
                found.observer->rank, found.observer->code, signal_text(exit.signal)) +
                (found.last_exception ? ": " + clip(*found.last_exception) : std::string()));
      }
      return stage_error(stage, "killed by " + signal_text(exit.signal) + detail);
    case ChildExit::Kind::kExited:
      return stage_failed(stage, fmt::format("exited with code {}", exit.exit_code) + detail);
    default:
      break;
  }
  return stage_error(stage, "ended in an unknown way");
}

}  // namespace

const char* to_string(LitgptStage stage) {
  switch (stage) {
    case LitgptStage::kFinetune:
      return "finetune";
    case LitgptStage::kEvaluate:
      return "evaluate";
  }
  return "?";
}

std::optional<EvaluationOutcome> classify_litgpt_stage(const LitgptStageEnd& end,
                                                       const LitgptOutcomeOptions& options) {
  const std::string stage = to_string(end.stage);
  const ChildExit& exit = end.exit;
  const auto failed = [&](const std::string& why) { return stage_failed(stage, why); };
  const auto error = [&](const std::string& why) { return stage_error(stage, why); };

  // 1. What the logs cannot explain.
  if (auto outcome = unexplained_end(stage, exit)) return outcome;
  const bool clean = exit.kind == ChildExit::Kind::kExited && exit.exit_code == 0;

  LogFindings found;
  scan(end.out_log, found);
  found.last_exception.reset();  // tracebacks go to stderr: only its lines are quoted
  found.last_line.reset();
  scan(end.err_log, found);

  // 2. Divergence.
  if (end.stage == LitgptStage::kFinetune) {
    if (auto outcome = divergence(stage, end, found, clean, options)) return outcome;
  }
  if (clean) return std::nullopt;

  // 3. Out of memory, whoever died of it and however the main process ended.
  if (found.oom) {
    const std::string allocation = allocation_of(found.oom->text);
    return failed("out of memory" + rank_suffix(oom_rank(*found.oom, found, exit)) +
                  (allocation.empty() ? "" : ": " + allocation));
  }
  // 4. A collective that never completed: the node or its fabric.
  if (found.collective) {
    const bool timeout = contains(found.collective->text, "timeout") ||
                         contains(found.collective->text, "timed out");
    return error(
        std::string(timeout ? "collective timeout (NCCL watchdog)" : "collective failure (NCCL)") +
        (found.collective->rank ? fmt::format(" on rank {}", *found.collective->rank)
                                : std::string()) +
        ": " + collective_detail(found.collective->text));
  }
  // 5. The base model is not where the config says: the node's or the setup's problem.
  if (found.checkpoint) return error("missing checkpoint: " + clip(*found.checkpoint));

  // 6. The exit itself.
  return exit_outcome(stage, exit, found, options);
}

std::string read_log_tail(const std::string& path, std::size_t max_bytes) {
  struct stat info {};
  if (stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode)) return {};
  std::ifstream file(path, std::ios::binary);
  if (!file) return {};
  const auto size = static_cast<std::size_t>(info.st_size);
  const std::size_t from = size > max_bytes ? size - max_bytes : 0;
  file.seekg(static_cast<std::streamoff>(from));
  std::string tail(size - from, '\0');
  file.read(tail.data(), static_cast<std::streamsize>(tail.size()));
  tail.resize(static_cast<std::size_t>(std::max<std::streamsize>(file.gcount(), 0)));
  if (from > 0) {
    // Cut inside a line: drop its end, a fragment would be misread.
    const std::size_t newline = tail.find('\n');
    tail.erase(0, newline == std::string::npos ? tail.size() : newline + 1);
  }
  return tail;
}

}  // namespace lorahpo
