#include "master/scheduler.h"

#include <chrono>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace lorahpo {
namespace {

constexpr int kMaster = 0;

std::string clock_text(double seconds) {
  const auto total = static_cast<long long>(seconds + 0.5);
  return fmt::format("{:02}:{:02}:{:02}", total / 3600, (total / 60) % 60, total % 60);
}

}  // namespace

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

Scheduler::Scheduler(Transport& transport, Optimizer& optimizer, const SearchSpace& space,
                     Journal& journal, SchedulerOptions options)
    : transport_(transport),
      optimizer_(optimizer),
      space_(space),
      journal_(journal),
      options_(std::move(options)) {}

bool Scheduler::better(double a, double b) const {
  return options_.direction == Direction::kMaximize ? a > b : a < b;
}

CampaignOutcome Scheduler::run(const SetupMessage& setup) {
  const int workers = transport_.size() - 1;
  if (workers < 1) throw std::runtime_error("no worker ranks");
  outcome_ = CampaignOutcome{};
  outcome_.workers = workers;
  start_unix_ = unix_now();

  const std::string setup_bytes = encode(setup);
  for (int w = 1; w <= workers; ++w) {
    transport_.send(w, MessageTag::kSetup, setup_bytes);
    idle_.insert(w);
  }

  int finished = 0;
  while (finished < options_.budget) {
    dispatch();
    if (in_flight_.empty()) {
      throw std::runtime_error(fmt::format(
          "optimizer {} proposed no point while no evaluation is running ({} of {} done)",
          optimizer_.name(), finished, options_.budget));
    }
    const auto envelope = transport_.receive(std::chrono::milliseconds(1000));
    if (!envelope) continue;
    if (envelope->tag != MessageTag::kResult) {
      spdlog::warn("ignoring message with tag {} from rank {}", static_cast<int>(envelope->tag),
                   envelope->source);
      continue;
    }
    record(envelope->source, decode<ResultMessage>(envelope->payload));
    ++finished;
  }

  for (int w = 1; w <= workers; ++w) transport_.send(w, MessageTag::kShutdown, "");
  outcome_.wall_seconds = unix_now() - start_unix_;
  return outcome_;
}

void Scheduler::dispatch() {
  while (!idle_.empty() && dispatched_ < options_.budget) {
    const int wanted = std::min(static_cast<int>(idle_.size()), options_.budget - dispatched_);
    const std::vector<Suggestion> batch = optimizer_.ask(wanted);
    journal_unevaluated();
    if (batch.empty()) return;  // a synchronous optimizer waits for its batch
    for (const Suggestion& suggestion : batch) {
      if (idle_.empty() || dispatched_ >= options_.budget) {
        throw std::logic_error("optimizer returned more points than asked for");
      }
      const int worker = *idle_.begin();
      idle_.erase(idle_.begin());
      EvaluateMessage request;
      request.trial_id = next_trial_id_++;
      request.params = space_.to_user(suggestion.unit);
      request.trial_dir = fmt::format("{}/{}", options_.trials_dir, request.trial_id);
      transport_.send(worker, MessageTag::kEvaluate, encode(request));
      in_flight_[request.trial_id] =
          InFlight{suggestion.ticket, suggestion.unit, std::move(request.params), worker};
      ++dispatched_;
    }
  }
}

void Scheduler::journal_unevaluated() {
  for (UnevaluatedPoint& point : optimizer_.take_unevaluated()) {
    TrialRecord record;
    record.id = next_trial_id_++;
    record.status = TrialStatus::kApproximated;
    record.params = space_.to_user(point.unit);
    record.unit = std::move(point.unit);
    record.start_unix = record.end_unix = unix_now();
    record.metrics = std::move(point.details);
    journal_.append(record);
    ++outcome_.approximated;
  }
}

void Scheduler::record(int worker, const ResultMessage& result) {
  const auto it = in_flight_.find(result.trial_id);
  if (it == in_flight_.end()) {
    throw std::runtime_error(fmt::format("rank {} answered trial {}, which is not running", worker,
                                         result.trial_id));
  }
  InFlight job = std::move(it->second);
  in_flight_.erase(it);
  idle_.insert(worker);

  TrialRecord record;
  record.id = result.trial_id;
  record.status = result.status;
  if (result.status == TrialStatus::kOk) record.score = result.score;
  record.reason = result.reason;
  record.params = std::move(job.params);
  record.unit = std::move(job.unit);
  record.worker = worker;
  record.host = result.host;
  record.start_unix = result.start_unix;
  record.end_unix = result.end_unix;
  try {
    record.metrics = nlohmann::json::parse(result.metrics_json);
  } catch (const nlohmann::json::exception&) {
    record.metrics = nlohmann::json::object();
  }

  // The journal first: a decision is never taken on a result that could still be lost.
  journal_.append(record);
  if (record.score && (!outcome_.best || better(*record.score, *outcome_.best->score))) {
    outcome_.best = record;
  }
  outcome_.records.push_back(record);
  log_progress(record);

  std::optional<double> value;
  if (record.score) {
    value = options_.direction == Direction::kMaximize ? *record.score : -*record.score;
  }
  optimizer_.tell(job.ticket, value);
}

void Scheduler::log_progress(const TrialRecord& record) const {
  const int done = static_cast<int>(outcome_.records.size());
  const double elapsed = unix_now() - start_unix_;
  const double eta = elapsed / done * (options_.budget - done);
  const std::string result =
      record.score ? fmt::format("score {:.6g}", *record.score)
                   : fmt::format("{}: {}", to_string(record.status), record.reason);
  const std::string best =
      outcome_.best ? fmt::format("best {:.6g} (#{})", *outcome_.best->score, outcome_.best->id)
                    : std::string("best -");
  spdlog::info("[{}/{}] #{} {} | {} | worker {} {:.1f}s | elapsed {} ETA {}", done,
               options_.budget, record.id, result, best, record.worker,
               record.end_unix - record.start_unix, clock_text(elapsed), clock_text(eta));
}

}  // namespace lorahpo
