#pragma once

namespace lorahpo {

/// The campaign's time, as rank 0 sees it: the one seam between the scheduler and the clock.
/// The real clock reads the machine's clocks; the simulator's virtual clock
/// (master/simulation/simulated_transport.h) reads virtual seconds, so that deadlines, silences
/// and the times in records and the journal are all on one time line.
///
/// A Clock never sleeps. Waiting is a Transport's business: the scheduler waits only in
/// Transport::receive(timeout), which a real transport spends in real time and the simulator
/// spends by advancing its virtual clock (to the next simulated message, or by `timeout`).
class Clock {
 public:
  virtual ~Clock() = default;
  /// Seconds from an arbitrary origin, never going back: for deadlines, silences and durations.
  virtual double monotonic_seconds() const = 0;
  /// Seconds since the Unix epoch: for the times written in records and in the journal.
  virtual double unix_seconds() const = 0;
};

/// The machine's clocks: std::chrono::steady_clock and std::chrono::system_clock.
class SystemClock final : public Clock {
 public:
  double monotonic_seconds() const override;
  double unix_seconds() const override;
};

/// One SystemClock for whoever needs the real time (`lorahpo run`, tests).
const Clock& system_clock();

}  // namespace lorahpo
