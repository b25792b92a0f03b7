#include "worker/evaluation_watch.h"

#include <algorithm>
#include <chrono>
#include <thread>

namespace lorahpo {
namespace {

thread_local EvaluationWatch* current_watch = nullptr;

}  // namespace

ScopedEvaluationWatch::ScopedEvaluationWatch(EvaluationWatch& watch) : previous_(current_watch) {
  current_watch = &watch;
}

ScopedEvaluationWatch::~ScopedEvaluationWatch() {
  current_watch = previous_;
}

bool evaluation_cancelled() {
  return current_watch != nullptr && current_watch->cancelled();
}

bool sleep_unless_cancelled(double seconds) {
  using Clock = std::chrono::steady_clock;
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  while (true) {
    if (evaluation_cancelled()) return false;
    const auto now = Clock::now();
    if (now >= end) return true;
    std::this_thread::sleep_for(
        std::min<Clock::duration>(end - now, std::chrono::milliseconds(50)));
  }
}

}  // namespace lorahpo
