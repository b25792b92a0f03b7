#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace lorahpo {

/// A point proposed by an optimizer; the ticket identifies it when its result comes back.
struct Suggestion {
  std::int64_t ticket = 0;
  std::vector<double> unit;  ///< in [0,1]^d
};

/// A point the optimizer scored without an evaluation (BaMSOO's GP bound), for the journal.
struct UnevaluatedPoint {
  std::vector<double> unit;
  nlohmann::json details;  ///< e.g. mu, sigma, lcb, ucb
};

/// An optimizer is a pure ask/tell state machine on the unit cube (STYLE.md, after libcmaes):
/// it never touches MPI, files, processes or clocks, so it is tested in-process and proposes
/// the same points whatever the number of workers. It MAXIMIZES: the scheduler negates scores
/// of a minimized objective.
class Optimizer {
 public:
  virtual ~Optimizer() = default;
  virtual std::string name() const = 0;
  /// Up to n new points; fewer, possibly none, when the algorithm waits for pending results
  /// (a synchronous batch).
  virtual std::vector<Suggestion> ask(int n) = 0;
  /// The result of a suggestion: the value to maximize, or nullopt when the evaluation failed.
  virtual void tell(std::int64_t ticket, std::optional<double> value) = 0;
  /// Points scored without evaluation since the last call (none for most optimizers).
  virtual std::vector<UnevaluatedPoint> take_unevaluated() { return {}; }
  /// What the optimizer knows of a pending suggestion, for the journal and reports (SOO: the
  /// depth of its cell in the tree); null when nothing.
  virtual nlohmann::json annotation(std::int64_t /*ticket*/) const { return nullptr; }
};

}  // namespace lorahpo
