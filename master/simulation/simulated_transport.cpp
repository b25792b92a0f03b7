#include "master/simulation/simulated_transport.h"

#include <algorithm>
#include <chrono>
#include <stdexcept>

#include <fmt/format.h>

#include "worker/builtin_objective.h"

namespace lorahpo {

/// One simulated worker rank.
struct SimulatedTransport::Worker {
  std::unique_ptr<Evaluator> evaluator;
  std::string setup_error = "no setup received";
  SetupMessage setup;  ///< as sent: its cost model gives the durations
  double ready = 0.0;  ///< virtual time its setup is done
  bool shut_down = false;
  std::optional<std::uint64_t> running;  ///< the order of its pending result
  ResultMessage result;                  ///< the pending result
  double result_end = 0.0;               ///< virtual time of the pending result
  double heartbeat_seconds = 10.0;       ///< SetupMessage::heartbeat_seconds
  std::optional<double> silent_from;     ///< SimulatedTransportOptions::silent_from
};

SimulatedTransport::SimulatedTransport(SimulatedTransportOptions options)
    : options_(std::move(options)) {
  if (options_.workers < 1) throw std::invalid_argument("a simulation needs at least one worker");
  if (!options_.master_clock) {
    options_.master_clock = [] {
      return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
    };
  }
  for (int w = 0; w < options_.workers; ++w) workers_.push_back(std::make_unique<Worker>());
  for (const auto& [rank, seconds] : options_.silent_from) {
    if (rank < 1 || rank > options_.workers) {
      throw std::out_of_range(fmt::format("silent_from: no simulated worker rank {}", rank));
    }
    workers_[static_cast<std::size_t>(rank - 1)]->silent_from = seconds;
  }
  mark();
}

SimulatedTransport::~SimulatedTransport() = default;

double SimulatedTransport::clock() const {
  return options_.master_clock();
}

double SimulatedTransport::virtual_seconds() const {
  return now_ + std::max(0.0, clock() - mark_) * options_.master_time_scale;
}

double SimulatedTransport::monotonic_seconds() const {
  return virtual_seconds();
}

double SimulatedTransport::unix_seconds() const {
  return options_.epoch_unix + virtual_seconds();
}

void SimulatedTransport::charge_master_time() {
  const double seconds = std::max(0.0, clock() - mark_) * options_.master_time_scale;
  now_ += seconds;
  decision_ += seconds;
  stats_.master_seconds += seconds;
  mark();
}

void SimulatedTransport::send(int destination, MessageTag tag, std::string_view payload) {
  if (destination < 1 || destination > options_.workers) {
    throw std::out_of_range(fmt::format("no simulated worker rank {}", destination));
  }
  charge_master_time();
  Worker& worker = *workers_[static_cast<std::size_t>(destination - 1)];
  if (!worker.shut_down) {
    switch (tag) {
      case MessageTag::kSetup:
        setup(worker, std::string(payload));
        break;
      case MessageTag::kEvaluate:
        evaluate(destination, worker, std::string(payload));
        break;
      case MessageTag::kCancel:
        cancel(destination, worker);
        break;
      case MessageTag::kShutdown:
        worker.shut_down = true;
        worker.running.reset();
        break;
      default:
        break;  // a worker ignores what it does not expect
    }
  }
  mark();  // the workers' own time is not the master's
}

void SimulatedTransport::setup(Worker& worker, const std::string& payload) {
  worker.evaluator.reset();
  worker.ready = now_ + options_.setup_seconds;
  try {
    worker.setup = decode<SetupMessage>(payload);
    worker.heartbeat_seconds = worker.setup.heartbeat_seconds;
    if (worker.setup.objective.kind != ObjectiveKind::kBuiltin) {
      throw std::invalid_argument("the simulator evaluates builtin objectives only");
    }
    SetupMessage instant = worker.setup;
    instant.objective.builtin.time_scale = 0.0;  // the virtual clock stands for the sleeps
    instant.objective.builtin.cost = CostModel{};
    worker.evaluator = make_evaluator(instant);
  } catch (const std::exception& e) {
    worker.setup_error = e.what();
  }
}

void SimulatedTransport::evaluate(int rank, Worker& worker, const std::string& payload) {
  const auto request = decode<EvaluateMessage>(payload);
  ResultMessage result;
  result.trial_id = request.trial_id;
  result.host = "simulated";
  EvaluationOutcome outcome;
  double seconds = 0.0;
  if (!worker.evaluator) {
    outcome = EvaluationOutcome::error(worker.setup_error);
  } else {
    try {
      outcome = worker.evaluator->evaluate(request);
      if (options_.eval_seconds) {
        seconds = *options_.eval_seconds;
      } else {
        const BuiltinObjective& builtin = worker.setup.objective.builtin;
        seconds = simulated_cost_seconds(builtin.cost, worker.setup.space, request.params);
        const auto minutes = outcome.metrics.find("train_minutes");
        if (minutes != outcome.metrics.end() && minutes->is_number()) {
          seconds += minutes->get<double>() / 60.0 * options_.training_time_scale;
        }
      }
      seconds = std::max(0.0, seconds);
      outcome.metrics["simulated_seconds"] = seconds;
    } catch (const std::exception& e) {
      outcome = EvaluationOutcome::error(e.what());
      seconds = 0.0;
    }
  }
  result.status = outcome.status;
  result.score = outcome.score;
  result.reason = outcome.reason;
  result.metrics_json = outcome.metrics.dump();
  ++stats_.evaluations;
  const double start = std::max(now_, worker.ready);
  schedule(rank, worker, std::move(result), start - now_ + seconds);
  worker.result.start_unix = std::max(worker.result.start_unix, options_.epoch_unix + worker.ready);
  schedule_heartbeat(rank, worker, start);
}

void SimulatedTransport::cancel(int rank, Worker& worker) {
  if (!worker.running) return;            // the evaluation it meant has ended already
  ResultMessage& result = worker.result;  // answered now, from the time it started
  result.status = TrialStatus::kError;
  result.score = 0.0;
  result.reason = "cancelled by rank 0";
  result.metrics_json = "{}";
  result.end_unix = options_.epoch_unix + now_;
  worker.running = next_order_;
  worker.result_end = now_;
  pending_.push(Pending{now_, next_order_, rank, next_order_, false});
  ++next_order_;
}

void SimulatedTransport::schedule(int rank, Worker& worker, ResultMessage result, double seconds) {
  result.start_unix = options_.epoch_unix + now_;
  result.end_unix = result.start_unix + seconds;
  worker.result = std::move(result);
  worker.running = next_order_;
  worker.result_end = now_ + seconds;
  pending_.push(Pending{now_ + seconds, next_order_, rank, next_order_, false});
  ++next_order_;
}

void SimulatedTransport::schedule_heartbeat(int rank, Worker& worker, double from) {
  if (!worker.running || !(worker.heartbeat_seconds > 0.0)) return;
  const double at = from + worker.heartbeat_seconds;
  if (at >= worker.result_end) return;  // the result says it is alive
  pending_.push(Pending{at, next_order_, rank, *worker.running, true});
  ++next_order_;
}

std::optional<Envelope> SimulatedTransport::receive(std::chrono::milliseconds timeout) {
  charge_master_time();
  if (!after_heartbeat_) {  // a heartbeat asks for no decision: the one before goes on
    stats_.max_decision_seconds = std::max(stats_.max_decision_seconds, decision_);
    decision_ = 0.0;
    ++stats_.decisions;
  }
  after_heartbeat_ = false;
  while (!pending_.empty()) {
    const Pending next = pending_.top();
    pending_.pop();
    Worker& worker = *workers_[static_cast<std::size_t>(next.worker - 1)];
    if (worker.running != next.evaluation) continue;  // cancelled or shut down meanwhile
    if (worker.silent_from && next.end > *worker.silent_from) continue;  // says nothing more
    now_ = std::max(now_, next.end);
    std::optional<Envelope> envelope = deliver(next, worker);
    mark();
    return envelope;
  }
  now_ += std::chrono::duration<double>(timeout).count();  // a real receive waits that long
  mark();
  return std::nullopt;
}

std::optional<Envelope> SimulatedTransport::deliver(const Pending& next, Worker& worker) {
  if (next.heartbeat) {
    ++stats_.heartbeats;
    after_heartbeat_ = true;
    schedule_heartbeat(next.worker, worker, next.end);
    // The payload a real worker sends: its evaluation's id (worker_loop.cpp, WorkerWatch).
    return Envelope{next.worker, MessageTag::kHeartbeat, std::to_string(worker.result.trial_id)};
  }
  worker.running.reset();
  ++stats_.results;
  stats_.busy_seconds += worker.result.end_unix - worker.result.start_unix;
  return Envelope{next.worker, MessageTag::kResult, encode(worker.result)};
}

}  // namespace lorahpo
