#include "worker/worker_loop.h"

#include <unistd.h>

#include <chrono>
#include <memory>

#include <spdlog/spdlog.h>

#include "worker/evaluator.h"

namespace lorahpo {
namespace {

std::string host_name() {
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) != 0) return "unknown";
  return name;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

void run_worker(Transport& transport) {
  constexpr int kMaster = 0;
  const std::string host = host_name();
  std::unique_ptr<Evaluator> evaluator;
  std::string setup_error = "no setup received";

  while (true) {
    auto envelope = transport.receive(std::chrono::milliseconds(1000));
    if (!envelope) continue;
    switch (envelope->tag) {
      case MessageTag::kShutdown:
        return;
      case MessageTag::kSetup:
        try {
          evaluator = make_evaluator(decode<SetupMessage>(envelope->payload));
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
        if (!evaluator) {
          outcome = EvaluationOutcome::error(setup_error);
        } else {
          try {
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
        break;
      }
      case MessageTag::kResult:
        spdlog::warn("worker {}: unexpected message from rank {}", transport.rank(),
                     envelope->source);
        break;
    }
  }
}

}  // namespace lorahpo
