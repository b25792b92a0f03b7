#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "worker/loss_divergence.h"

namespace lorahpo {

/// Follows a file that another process appends to (a child's stdout log): each poll reads only
/// the bytes added since the last one and hands over the complete lines; a partial last line waits
/// for its end. Memory stays bounded whatever the file's size: at most `max_line_bytes` of a line
/// are kept (the rest of an overlong line is dropped), and one poll reads at most
/// `max_bytes_per_poll` (the rest on the next poll). '\r' ends a line as '\n' does (tqdm redraws
/// its progress bars with '\r'). A file that shrank (truncated, recreated) is read again from the
/// start; a file that does not exist yet is simply empty.
class LogFollower {
 public:
  static constexpr std::size_t kMaxLineBytes = 64 * 1024;
  static constexpr std::size_t kMaxBytesPerPoll = 4 * 1024 * 1024;

  explicit LogFollower(std::string path, std::size_t max_line_bytes = kMaxLineBytes,
                       std::size_t max_bytes_per_poll = kMaxBytesPerPoll);

  /// Calls `on_line` for each line completed since the last poll; returns the bytes read.
  std::size_t poll(const std::function<void(std::string_view)>& on_line);

  const std::string& path() const { return path_; }
  std::size_t offset() const { return offset_; }

 private:
  std::string path_;
  std::size_t max_line_bytes_;
  std::size_t max_bytes_per_poll_;
  std::size_t offset_ = 0;
  std::string partial_;    ///< the unfinished last line (at most max_line_bytes_)
  bool skipping_ = false;  ///< inside an overlong line: drop bytes until its end
};

/// Watches a running fine-tuning's logs for a diverged loss (LitGPT's per-iteration line, see
/// loss_divergence.h; fabric.print writes it to stdout, stderr is watched as well in case a
/// launcher merges them): poll() returns the reason to stop, "diverged at iteration N (loss train:
/// nan)", once `stop.consecutive` logged losses in a row are NaN or infinite.
///
/// The child must write its lines when it prints them: Python block-buffers a stdout redirected to
/// a file (8 KiB, ~90 loss lines), so the trial environment sets PYTHONUNBUFFERED=1.
class TrainingLogWatch {
 public:
  TrainingLogWatch(const std::vector<std::string>& paths, DivergenceStop stop);

  /// Reads what the logs gained; the reason once diverged (and on every later call).
  std::optional<std::string> poll();

 private:
  struct Followed {
    LogFollower follower;
    LossDivergence divergence;
  };
  std::vector<Followed> logs_;
  std::optional<std::string> reason_;
};

/// A ChildSpec::stop_check that watches these logs (see TrainingLogWatch); an empty function when
/// `stop.enabled` is false.
std::function<std::optional<std::string>()> divergence_stop_check(
    const std::vector<std::string>& paths, DivergenceStop stop);

}  // namespace lorahpo
