#pragma once

namespace lorahpo {

/// Lets a long evaluation stay in touch with rank 0 without threads: whatever waits (the child
/// process loop, a simulated cost's sleep) polls the watch a few times a second. The worker loop
/// installs one that sends heartbeats and notices a cancel; tests install their own.
class EvaluationWatch {
 public:
  virtual ~EvaluationWatch() = default;
  /// Called often while an evaluation waits; true when the evaluation must be given up.
  virtual bool cancelled() = 0;
};

/// Installs `watch` for the current thread for the lifetime of this object.
class ScopedEvaluationWatch {
 public:
  explicit ScopedEvaluationWatch(EvaluationWatch& watch);
  ~ScopedEvaluationWatch();
  ScopedEvaluationWatch(const ScopedEvaluationWatch&) = delete;
  ScopedEvaluationWatch& operator=(const ScopedEvaluationWatch&) = delete;

 private:
  EvaluationWatch* previous_;
};

/// Polls the installed watch; false when none is installed.
bool evaluation_cancelled();

/// Sleeps `seconds` in slices, polling the watch; returns false if cancelled before the end.
bool sleep_unless_cancelled(double seconds);

}  // namespace lorahpo
