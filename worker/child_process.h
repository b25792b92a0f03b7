#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace lorahpo {

/// What to run: argv[0] is looked up in PATH when it has no '/'; no shell is involved.
struct ChildSpec {
  std::vector<std::string> argv;
  std::string working_dir;
  std::vector<std::string> environment;  ///< "KEY=value" entries: the child's whole environment
  std::string stdout_path;
  std::string stderr_path;
  double timeout_seconds = 0.0;     ///< <= 0: no timeout
  double kill_grace_seconds = 5.0;  ///< between SIGTERM and SIGKILL on timeout, cancel or stop
  /// Optional watch of the running child (e.g. worker/training_log_watch.h on its logs), polled
  /// every `stop_check_interval_seconds` while it runs: a reason stops the child as a timeout
  /// does (the group gets SIGTERM, then SIGKILL after the grace) and ends it as kStopped.
  std::function<std::optional<std::string>()> stop_check;
  double stop_check_interval_seconds = 0.25;
};

/// How the child ended.
struct ChildExit {
  /// kCancelled: the evaluation watch asked to give up (worker/evaluation_watch.h).
  /// kStopped: ChildSpec::stop_check gave a reason to stop the child.
  enum class Kind { kExited, kSignaled, kTimedOut, kSpawnFailed, kCancelled, kStopped };
  Kind kind = Kind::kExited;
  int exit_code = 0;        ///< kExited
  int signal = 0;           ///< kSignaled
  std::string error;        ///< kSpawnFailed: why exec failed
  std::string stop_reason;  ///< kStopped: what stop_check said
  double seconds = 0.0;
};

/// Runs the child in a process group of its own, stdout and stderr to files. On timeout, cancel
/// or a stop_check reason the whole group gets SIGTERM, then SIGKILL after the grace period; when
/// the child ends, whatever it left running in its group is killed too, so no training process
/// outlives its evaluation. (NOMAD 4 popen()s a shell string with neither timeout nor group
/// cleanup: not that.)
ChildExit run_child(const ChildSpec& spec);

/// This process's environment without the variables of MPI launchers and schedulers (OMPI_*,
/// PMIX_*, ORTE_*, OPAL_*, SLURM_*, PMI_*): a child that sees them believes it is an MPI rank
/// (Lightning then takes the rank for its own and never starts its own GPU processes).
std::vector<std::string> clean_environment();

/// Last non-empty line of a text file (at most the last 64 KiB are read); empty if none.
std::string last_line_of(const std::string& path);

}  // namespace lorahpo
