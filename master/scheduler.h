#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/campaign_config.h"
#include "common/messages.h"
#include "common/transport.h"
#include "master/journal.h"
#include "master/optimizer.h"
#include "master/trial_record.h"

namespace lorahpo {

struct SchedulerOptions {
  int budget = 50;
  Direction direction = Direction::kMaximize;
  std::string trials_dir;  ///< absolute; trial i runs in trials_dir/<i>
};

/// What a finished campaign produced.
struct CampaignOutcome {
  std::vector<TrialRecord> records;  ///< evaluations, in the order they finished
  int approximated = 0;              ///< points scored without evaluation (BaMSOO)
  std::optional<TrialRecord> best;   ///< best ok record in the campaign's direction
  double wall_seconds = 0.0;
  int workers = 0;
};

/// Keeps every worker busy (MPI-free: it only sees a Transport). The moment a worker is idle it
/// asks the optimizer for a point, sends it, and records each result in the journal before it
/// tells the optimizer and takes the next decision.
class Scheduler {
 public:
  Scheduler(Transport& transport, Optimizer& optimizer, const SearchSpace& space, Journal& journal,
            SchedulerOptions options);

  /// Sends the setup to every worker, runs the campaign to its budget, then shuts the workers
  /// down. Throws std::runtime_error if the optimizer stalls (proposes nothing while nothing is
  /// running).
  CampaignOutcome run(const SetupMessage& setup);

 private:
  struct InFlight {
    std::int64_t ticket = 0;
    std::vector<double> unit;
    std::vector<ParamValue> params;
    int worker = 0;
  };

  void dispatch();
  void journal_unevaluated();
  void record(int worker, const ResultMessage& result);
  void log_progress(const TrialRecord& record) const;
  bool better(double a, double b) const;

  Transport& transport_;
  Optimizer& optimizer_;
  const SearchSpace& space_;
  Journal& journal_;
  SchedulerOptions options_;

  std::set<int> idle_;
  std::map<std::int64_t, InFlight> in_flight_;
  std::int64_t next_trial_id_ = 0;
  int dispatched_ = 0;
  CampaignOutcome outcome_;
  double start_unix_ = 0.0;
};

/// Seconds since the epoch, wall clock.
double unix_now();

}  // namespace lorahpo
