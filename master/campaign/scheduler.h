#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "common/campaign_config.h"
#include "common/clock.h"
#include "common/messages.h"
#include "common/transport.h"
#include "master/campaign/recommendation.h"
#include "master/journal/journal.h"
#include "master/journal/journal_reader.h"
#include "master/journal/trial_record.h"
#include "master/optimizers/optimizer.h"

namespace lorahpo {

struct SchedulerOptions {
  int budget = 50;
  Direction direction = Direction::kMaximize;
  std::string trials_dir;  ///< absolute; trial i runs in trials_dir/<i>
  FailurePolicy failures;
  WorkerPolicy workers;
  RecheckPolicy rechecks;
  std::string journal_path;  ///< for messages about a journal being replayed
};

/// Why a campaign's run ended.
enum class CampaignEnd {
  kBudget,       ///< every evaluation of the budget finished
  kSignal,       ///< stopped on SIGTERM, SIGINT or SIGUSR2: resumable
  kSetupBroken,  ///< the failure policy judged the setup itself broken
};

/// What a campaign produced.
struct CampaignOutcome {
  std::vector<TrialRecord> records;  ///< final evaluations, in the order they finished
  /// Re-checks in the idle tail (RecheckPolicy), finished or cancelled, in the order they ended:
  /// measurements of budget points that are not budget evaluations.
  std::vector<TrialRecord> rechecks;
  int rechecks_cancelled = 0;  ///< of them: cancelled (the budget ended, or a retry needed one)
  int approximated = 0;        ///< points scored without evaluation (BaMSOO)
  int retries = 0;             ///< infrastructure errors that were tried again
  int replayed = 0;            ///< final evaluations read back from the journal
  std::optional<TrialRecord> best;  ///< best observed score in the campaign's direction
  /// The recommended configuration (recommendation.h), set by run_campaign at the end.
  std::optional<Recommendation> recommended;
  double wall_seconds = 0.0;
  double busy_seconds = 0.0;  ///< sum over this run's evaluations (and finished re-checks) of
                              ///< their durations
  int workers = 0;
  std::vector<int> lost_workers;  ///< ranks given up as silent
  CampaignEnd end = CampaignEnd::kBudget;
  int signal = 0;       ///< kSignal: which
  std::string message;  ///< kSetupBroken: why
};

/// Keeps every worker busy (MPI-free: it only sees a Transport). The moment a worker is idle it
/// asks the optimizer for a point, journals the ask, sends the point, and records each result in
/// the journal before it tells the optimizer and takes the next decision. It retries
/// infrastructure errors, gives up on silent workers (their evaluation goes to another), stops
/// on a signal, and stops when the failure policy says the setup is broken. Once the whole
/// budget is asked, idle workers re-check the best points (RecheckPolicy) while budget
/// evaluations run; a re-check gives way to a budget evaluation that needs its worker and is
/// cancelled when the last budget evaluation ends.
class Scheduler {
 public:
  /// Every time the scheduler reads (silences, the stop grace, the records' and the journal's
  /// times, the elapsed time) comes from `clock`: the SystemClock, or the simulator's virtual
  /// clock, which advances while the scheduler waits in transport.receive().
  Scheduler(Transport& transport, const Clock& clock, Optimizer& optimizer,
            const SearchSpace& space, Journal& journal, SchedulerOptions options);

  /// Replays a journal (--resume): every ask and tell of the interrupted run, in their order, so
  /// the optimizer is where it was; finished evaluations are counted and never run again, the
  /// ones that were in flight are dispatched first by run(). Throws ConfigError for a line that
  /// does not fit, std::runtime_error when the optimizer does not propose what it proposed then.
  void replay(const std::vector<JournalLine>& lines);

  /// Sends the setup to every worker, runs the campaign to its budget (or a stop), then shuts
  /// the workers down. Throws std::runtime_error if the optimizer stalls (proposes nothing
  /// while nothing is running) or every worker is lost.
  CampaignOutcome run(const SetupMessage& setup);

 private:
  struct Trial {
    std::int64_t ticket = 0;
    std::vector<double> unit;
    std::vector<ParamValue> params;
    int attempt = 1;
    nlohmann::json annotation;
    std::optional<std::int64_t> recheck_of;  ///< a re-check: the evaluation it re-measures
    int replicate = 0;
    double sent_unix = 0.0;
  };

  void dispatch();
  void ask_optimizer();
  void send(std::int64_t trial_id, int worker);
  void journal_unevaluated(bool replaying);
  void start_rechecks();
  /// Every ok measurement of an evaluated point: its budget evaluation and its re-checks.
  struct PointTally {
    std::int64_t of = -1;  ///< its first ok budget evaluation
    double seconds = 0.0;  ///< how long that one took: what a re-check of it should take
    double sum = 0.0;
    int ok = 0;
    int running = 0;  ///< re-checks of it running (filled by recheck_target)
    double mean() const { return sum / ok; }
  };
  /// The tallies of the points with an ok budget evaluation, by unit point.
  std::map<std::vector<double>, PointTally> tally_points() const;
  /// The budget evaluation whose point the next re-check measures again, if any.
  std::optional<std::int64_t> recheck_target() const;
  void cancel_recheck(int worker, const std::string& reason);
  /// Re-checks give way: as many are cancelled as budget evaluations wait for a worker.
  void preempt_rechecks();
  void cancel_rechecks_at_end();
  bool budget_running() const;
  void on_result(int worker, const ResultMessage& result);
  void finish_recheck(TrialRecord record);
  void conclude(TrialRecord record);
  void finish(std::int64_t trial_id, TrialRecord record, bool replaying);
  void check_silent_workers();
  void stop_on_signal(int signal);
  std::optional<std::string> setup_broken() const;
  void log_progress(const TrialRecord& record) const;
  bool better(double a, double b) const;
  int running() const { return static_cast<int>(busy_.size()); }

  Transport& transport_;
  const Clock& clock_;
  Optimizer& optimizer_;
  const SearchSpace& space_;
  Journal& journal_;
  SchedulerOptions options_;

  std::map<std::int64_t, Trial> trials_;  ///< asked, not finished
  std::deque<std::int64_t> queue_;        ///< trials waiting for a worker
  std::set<int> idle_;
  std::map<int, std::int64_t> busy_;  ///< worker -> trial
  std::map<int, double> last_heard_;  ///< worker -> clock_.monotonic_seconds()
  std::set<int> lost_;
  std::set<int> faulty_;  ///< workers whose node reported a node fault: no more work
  /// Workers whose re-check was cancelled (journaled already): their answer is dropped.
  std::set<int> cancelling_;
  /// Re-checks started per budget evaluation (journaled "recheck" lines, cancelled ones too): the
  /// next one's replicate, so no seed is used twice for a point.
  std::map<std::int64_t, int> rechecks_started_;
  std::string last_node_fault_;
  std::int64_t next_trial_id_ = 0;
  int asked_ = 0;  ///< trials the optimizer proposed (retries not counted)
  /// The last ask proposed nothing (a synchronous optimizer waiting for its batch) with this
  /// many workers idle; cleared by the next tell. Asking again before a result or more idle
  /// workers would journal one empty ask per poll and heartbeat: thousands of lines an hour.
  std::optional<std::size_t> waiting_with_idle_;
  int finished_ = 0;  ///< final results (ok, failed, or error after the last retry)
  int failed_ = 0;    ///< final results that are not ok
  std::string last_failure_;
  CampaignOutcome outcome_;
  double start_seconds_ = 0.0;  ///< clock_.monotonic_seconds() at the start of run()
};

}  // namespace lorahpo
