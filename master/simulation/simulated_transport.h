#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include "common/clock.h"
#include "common/messages.h"
#include "common/transport.h"
#include "worker/evaluator.h"

namespace lorahpo {

/// How the simulated workers and the virtual clock behave.
struct SimulatedTransportOptions {
  int workers = 1;
  /// Unix time of virtual second 0: the times workers report are epoch_unix + virtual seconds.
  double epoch_unix = 0.0;
  /// lora_surrogate: simulated seconds per hour of the real run's training time (3600: real
  /// time, 52-68 minutes an evaluation; the config's objective.time_scale reproduces a
  /// `lorahpo run` with that time_scale).
  double training_time_scale = 3600.0;
  /// When set, every evaluation lasts this many virtual seconds (overrides the cost models).
  std::optional<double> eval_seconds;
  /// Seconds a worker needs after its setup before it can evaluate (a real worker builds its
  /// evaluator: lora_surrogate fits its GP, about a second); its first evaluation starts no
  /// earlier than the setup's virtual time plus this.
  double setup_seconds = 0.0;
  /// Factor on the master's measured compute time before it is added to the virtual clock
  /// (1: as measured on this machine; 0: a master that takes no time).
  double master_time_scale = 1.0;
  /// The master's clock, monotonic seconds; empty: std::chrono::steady_clock. Tests inject one.
  std::function<double()> master_clock;
  /// Ranks that go silent (a crashed node, a hung MPI rank) from the given virtual second on:
  /// no heartbeat, result or answer of theirs is delivered after it.
  std::map<int, double> silent_from;
};

/// What the virtual clock was spent on.
struct SimulationStats {
  double master_seconds = 0.0;        ///< master compute added to the virtual clock, in total
  double max_decision_seconds = 0.0;  ///< the longest interval between two receive() calls
  int decisions = 0;                  ///< receive() calls (each follows one decision)
  int evaluations = 0;                ///< kEvaluate messages evaluated
  int results = 0;                    ///< results delivered to rank 0
  int heartbeats = 0;                 ///< heartbeats delivered to rank 0
  double busy_seconds = 0.0;          ///< sum of the delivered evaluations' durations
};

/// Rank 0's side of a campaign whose P workers are simulated on a virtual clock, in process
/// (the discrete-event simulation behind `lorahpo simulate`).
///
/// - kSetup to worker w builds w's evaluator with make_evaluator, as a real worker does, but
///   with the builtin's sleeps removed (time_scale 0, no cost model): nothing waits.
/// - kEvaluate to worker w evaluates the point at once and schedules its ResultMessage at
///   t_end = t_now + d, where d is the evaluation's simulated duration: eval_seconds if set,
///   else the builtin's cost model seconds plus, for lora_surrogate,
///   train_minutes / 60 * training_time_scale. The result's start_unix/end_unix are
///   epoch_unix + t_now and epoch_unix + t_end (t_now is the worker's ready time instead when
///   that is later: setup_seconds after its setup).
/// - While it evaluates, a worker sends a heartbeat every setup.heartbeat_seconds of virtual
///   time, the first one heartbeat_seconds after its evaluation started, as a real worker
///   (worker/worker_loop.cpp, WorkerWatch::cancelled) does, so the scheduler's silent-worker
///   check runs as in a real campaign. A rank in silent_from sends nothing after its time.
/// - receive() returns the pending message (result or heartbeat) with the smallest time (ties
///   in the order they were scheduled) and advances the virtual clock to it; with nothing
///   pending it returns nullopt after advancing the clock by `timeout`: waiting is where
///   virtual time passes.
/// - The master's compute is charged: the real time that passes between the return of one
///   receive() and the next send() or receive() call (the optimizer's ask and tell, the
///   journal), times master_time_scale, is added to the virtual clock. The evaluations
///   themselves are not charged. So a slow optimizer shows up as idle workers.
/// - kCancel answers the running evaluation with an error at once ("cancelled by rank 0");
///   kShutdown ends a worker.
/// - It is the campaign's Clock too: monotonic_seconds() is virtual_seconds(), unix_seconds()
///   is epoch_unix + virtual_seconds(), so the scheduler's deadlines, silences, records and
///   journal times are all virtual.
/// Single-threaded: one caller, the scheduler.
class SimulatedTransport final : public Transport, public Clock {
 public:
  explicit SimulatedTransport(SimulatedTransportOptions options);
  ~SimulatedTransport() override;

  int rank() const override { return 0; }
  int size() const override { return options_.workers + 1; }
  void send(int destination, MessageTag tag, std::string_view payload) override;
  std::optional<Envelope> receive(std::chrono::milliseconds timeout) override;
  /// virtual_seconds().
  double monotonic_seconds() const override;
  /// epoch_unix + virtual_seconds().
  double unix_seconds() const override;

  /// Virtual seconds since the start, including the master time not charged yet.
  double virtual_seconds() const;
  const SimulationStats& stats() const { return stats_; }

 private:
  struct Worker;
  /// A message a worker will send: its evaluation's result, or a heartbeat during it.
  struct Pending {
    double end = 0.0;         ///< virtual seconds
    std::uint64_t order = 0;  ///< ties: first scheduled, first delivered
    int worker = 0;
    std::uint64_t evaluation = 0;  ///< the `order` of the result it belongs to
    bool heartbeat = false;
    bool operator>(const Pending& other) const {
      return end != other.end ? end > other.end : order > other.order;
    }
  };

  double clock() const;
  /// Adds the master's real time since the last mark to the virtual clock.
  void charge_master_time();
  void mark() { mark_ = clock(); }
  void setup(Worker& worker, const std::string& payload);
  void evaluate(int rank, Worker& worker, const std::string& payload);
  void cancel(int rank, Worker& worker);
  void schedule(int rank, Worker& worker, ResultMessage result, double seconds);
  /// The worker's next heartbeat, heartbeat_seconds after `from`, unless its result comes first.
  void schedule_heartbeat(int rank, Worker& worker, double from);
  /// The message `next` stands for; a heartbeat schedules the one after it.
  std::optional<Envelope> deliver(const Pending& next, Worker& worker);

  SimulatedTransportOptions options_;
  std::vector<std::unique_ptr<Worker>> workers_;  ///< index rank - 1
  std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
  std::uint64_t next_order_ = 0;
  double now_ = 0.0;              ///< virtual seconds
  double mark_ = 0.0;             ///< master clock at the last charge
  double decision_ = 0.0;         ///< master seconds charged since the last decision ended
  bool after_heartbeat_ = false;  ///< the last receive() delivered a heartbeat: no decision
  SimulationStats stats_;
};

}  // namespace lorahpo
