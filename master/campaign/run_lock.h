#pragma once

#include <string>

namespace lorahpo {

/// An exclusive lock on a run directory for as long as this object lives: two masters appending
/// to one journal (a resubmitted job while the old one still runs, a typo in --resume) would
/// interleave two campaigns. flock(2) on RUN_DIR/.lock: released by the kernel when the process
/// dies, kill -9 included, so a killed campaign never leaves a stale lock; Linux NFS clients map
/// it to a POSIX lock, which shared home directories of clusters honour.
class RunLock {
 public:
  /// Throws ConfigError naming the directory and, when known, the holder's host and pid.
  explicit RunLock(const std::string& run_dir);
  ~RunLock();
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace lorahpo
