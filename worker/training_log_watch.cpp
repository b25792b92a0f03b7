#include "worker/training_log_watch.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>

namespace lorahpo {

LogFollower::LogFollower(std::string path, std::size_t max_line_bytes,
                         std::size_t max_bytes_per_poll)
    : path_(std::move(path)),
      max_line_bytes_(std::max<std::size_t>(max_line_bytes, 1)),
      max_bytes_per_poll_(std::max<std::size_t>(max_bytes_per_poll, 1)) {}

std::size_t LogFollower::poll(const std::function<void(std::string_view)>& on_line) {
  const int fd = open(path_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;  // not created yet (or gone): nothing new
  struct stat info {};
  if (fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    close(fd);
    return 0;
  }
  const auto size = static_cast<std::size_t>(info.st_size);
  if (size < offset_) {
    // Truncated or replaced: a new run of the program, read it from its start.
    offset_ = 0;
    partial_.clear();
    skipping_ = false;
  }

  const auto emit = [&] {
    if (!partial_.empty()) on_line(partial_);
    partial_.clear();
  };
  char buffer[64 * 1024];
  std::size_t total = 0;
  while (total < max_bytes_per_poll_) {
    const std::size_t want = std::min(sizeof buffer, max_bytes_per_poll_ - total);
    const ssize_t got = pread(fd, buffer, want, static_cast<off_t>(offset_));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    const auto n = static_cast<std::size_t>(got);
    offset_ += n;
    total += n;
    std::size_t begin = 0;
    while (begin < n) {
      const char* hit =
          std::find_if(buffer + begin, buffer + n, [](char c) { return c == '\n' || c == '\r'; });
      const auto end = static_cast<std::size_t>(hit - buffer);
      if (!skipping_) {
        const std::size_t room = max_line_bytes_ - partial_.size();
        const std::size_t take = std::min(room, end - begin);
        partial_.append(buffer + begin, take);
        if (take < end - begin) {
          // An overlong line: what fits is the line, the rest of it is dropped.
          emit();
          skipping_ = true;
        }
      }
      if (end == n) break;  // the line goes on in the next read
      if (skipping_) {
        skipping_ = false;
      } else {
        emit();
      }
      begin = end + 1;
    }
  }
  close(fd);
  return total;
}

TrainingLogWatch::TrainingLogWatch(const std::vector<std::string>& paths, DivergenceStop stop) {
  for (const std::string& path : paths)
    logs_.push_back({LogFollower(path), LossDivergence(stop.consecutive)});
}

std::optional<std::string> TrainingLogWatch::poll() {
  if (reason_) return reason_;
  for (Followed& log : logs_) {
    log.follower.poll([&](std::string_view line) { log.divergence.add_line(line); });
    if (log.divergence.diverged()) {
      reason_ = log.divergence.reason();
      break;
    }
  }
  return reason_;
}

std::function<std::optional<std::string>()> divergence_stop_check(
    const std::vector<std::string>& paths, DivergenceStop stop) {
  if (!stop.enabled) return {};
  // std::function copies its target: the watch's state lives behind a shared pointer.
  auto watch = std::make_shared<TrainingLogWatch>(paths, stop);
  return [watch] { return watch->poll(); };
}

}  // namespace lorahpo
