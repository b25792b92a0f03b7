#include "worker/worker_loop.h"

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <memory>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "common/stop_signal.h"
#include "worker/evaluation_watch.h"
#include "worker/evaluator.h"

namespace lorahpo {
namespace {

constexpr int kMaster = 0;

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

/// While an evaluation runs: a heartbeat to rank 0 every `heartbeat_seconds`, and a look at
/// the mailbox for a cancel or a shutdown. A SIGTERM or SIGINT reaching the worker itself (the
/// job is being torn down) cancels too, so no training process outlives its worker.
class WorkerWatch : public EvaluationWatch {
 public:
  WorkerWatch(Transport& transport, std::int64_t trial_id, double heartbeat_seconds)
      : transport_(transport),
        trial_id_(std::to_string(trial_id)),
        period_(std::chrono::duration_cast<Clock::duration>(
            std::chrono::duration<double>(heartbeat_seconds))),
        last_beat_(Clock::now()) {}

  bool cancelled() override {
    if (cancel_) return true;
    const auto now = Clock::now();
    if (now - last_beat_ >= period_) {
      transport_.send(kMaster, MessageTag::kHeartbeat, trial_id_);
      last_beat_ = now;
    }
    while (auto envelope = transport_.receive(std::chrono::milliseconds(0))) {
      if (envelope->tag == MessageTag::kCancel) {
        cancel_ = true;
      } else if (envelope->tag == MessageTag::kShutdown) {
        cancel_ = shutdown_ = true;
      } else {
        spdlog::warn("worker {}: message with tag {} during an evaluation ignored",
                     transport_.rank(), static_cast<int>(envelope->tag));
      }
    }
    const int signal = stop_signal();
    if (signal == SIGTERM || signal == SIGINT) cancel_ = true;
    return cancel_;
  }

  bool shutdown() const { return shutdown_; }

 private:
  using Clock = std::chrono::steady_clock;
  Transport& transport_;
  std::string trial_id_;
  Clock::duration period_;
  Clock::time_point last_beat_;
  bool cancel_ = false;
  bool shutdown_ = false;
};

/// A trial directory left by an earlier attempt (a retry, a resumed campaign) is kept, renamed
/// <id>.attempt-<k>, so that its logs survive and the new attempt starts clean.
void set_aside_earlier_attempt(const std::string& trial_dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (trial_dir.empty() || !fs::exists(trial_dir, ec) || fs::is_empty(trial_dir, ec)) return;
  for (int k = 1; k < 1000; ++k) {
    const std::string target = fmt::format("{}.attempt-{}", trial_dir, k);
    if (fs::exists(target, ec)) continue;
    fs::rename(trial_dir, target, ec);
    if (ec) spdlog::warn("cannot rename {} to {}: {}", trial_dir, target, ec.message());
    return;
  }
}

}  // namespace

void run_worker(Transport& transport) {
  const std::string host = host_name();
  std::unique_ptr<Evaluator> evaluator;
  std::string setup_error = "no setup received";
  double heartbeat_seconds = 10.0;

  while (true) {
    auto envelope = transport.receive(std::chrono::milliseconds(1000));
    if (!envelope) continue;
    switch (envelope->tag) {
      case MessageTag::kShutdown:
        return;
      case MessageTag::kSetup:
        try {
          const auto setup = decode<SetupMessage>(envelope->payload);
          heartbeat_seconds = setup.heartbeat_seconds;
          evaluator = make_evaluator(setup);
        } catch (const std::exception& e) {
          // Answer every job with this error rather than dying: rank 0 decides what to do.
          evaluator.reset();
          setup_error = e.what();
          spdlog::error("worker {}: setup failed: {}", transport.rank(), setup_error);
        }
        break;
      case MessageTag::kEvaluate: {
        const auto request = decode<EvaluateMessage>(envelope->payload);
        ResultMessage result;
        result.trial_id = request.trial_id;
        result.host = host;
        result.start_unix = unix_now();
        EvaluationOutcome outcome;
        WorkerWatch watch(transport, request.trial_id, heartbeat_seconds);
        if (!evaluator) {
          outcome = EvaluationOutcome::error(setup_error);
        } else {
          ScopedEvaluationWatch installed(watch);
          try {
            set_aside_earlier_attempt(request.trial_dir);
            outcome = evaluator->evaluate(request);
          } catch (const std::exception& e) {
            outcome = EvaluationOutcome::error(e.what());
          }
        }
        result.end_unix = unix_now();
        result.status = outcome.status;
        result.score = outcome.score;
        result.reason = outcome.reason;
        result.metrics_json = outcome.metrics.dump();
        transport.send(kMaster, MessageTag::kResult, encode(result));
        if (watch.shutdown()) return;
        break;
      }
      case MessageTag::kCancel:  // the evaluation it meant has ended already
        break;
      default:
        spdlog::warn("worker {}: unexpected message with tag {} from rank {}", transport.rank(),
                     static_cast<int>(envelope->tag), envelope->source);
        break;
    }
  }
}

}  // namespace lorahpo
