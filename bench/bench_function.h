#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "worker/test_function.h"

namespace lorahpo::bench {

/// The benchmark's functions: every builtin test function, plus lora_surrogate seen as the
/// minimization of -HellaSwag accuracy (noiseless) over the unit cube of the seed's search space,
/// whose "optimum" is the best of the 150 real runs: its regret is how far a campaign's best is
/// from the best real fine-tuning (negative when the surrogate is beaten).
std::unique_ptr<TestFunction> make_bench_function(const std::string& name, int dim);

/// A random translation and reflection of a test function's box, drawn per (function, seed) so
/// that no method meets the optimum on a grid point by construction (issue 15: SOO's first point
/// is the domain centre, its children the 1/6 and 5/6 points; Levy's optimum and Michalewicz's
/// centre coordinate sit on that grid). Axis i of the box [low_i, high_i], of width w_i, becomes
/// [low_i + s_i w_i, high_i + s_i w_i]; a point x' of the new box is the original point
/// x_i = x'_i, or, when flip_i, its mirror low'_i + high'_i - x'_i (the optimizer sees the
/// function upside down along that axis, so the tie-breaking order of a partition is randomized
/// too).
///
/// Discrete coordinates (issue 16's mixed functions): an integer axis moves by a whole number of
/// units (s_i w_i rounded, so its values stay integers) and may flip like any other; a
/// categorical axis does not move but its labels are shuffled: label k of the shifted function is
/// label permutation_i[k] of the original, so the optimum's label is not the first or the middle
/// one by construction either (SOO splits a categorical axis into its labels in order).
struct DomainShift {
  std::vector<double> offset;  ///< s_i, a fraction of the width, in [-kMaxShift, kMaxShift]
  std::vector<bool> flip;
  /// Categorical axes: the original index of each shifted label; empty for other axes.
  std::vector<std::vector<int>> permutation;
};

/// The largest |s_i|: a fifth of the width moves every grid point of SOO's first levels (spaced
/// 1/3, 1/9 of the width) by a continuous random amount while most of the original box stays in.
constexpr double kMaxShift = 0.2;
/// The known minimizer stays at least this fraction of the width from every face of the shifted
/// box, so it is strictly inside and no method can find it on the boundary.
constexpr double kOptimumMargin = 0.05;

/// The shift of `function` (named `label` on the command line, e.g. "levy5") for `seed`:
/// deterministic in (label, seed) and nothing else, so every method sees the same box at a given
/// (function, seed). Per axis: flip_i is a fair coin; s_i is uniform on [-kMaxShift, kMaxShift],
/// redrawn while the known minimizer optimum().argmin would fall within kOptimumMargin of a face
/// (so s_i is uniform on the admissible interval; an integer axis rounds it to whole units
/// first, a categorical axis draws a uniform permutation instead). The generator is std::mt19937_64
/// with its bits turned into doubles by hand, not std::uniform_real_distribution, whose output the
/// standard leaves to the library: the boxes are the same on every toolchain.
DomainShift draw_domain_shift(const TestFunction& function, const std::string& label,
                              std::uint64_t seed);

/// `function` on its shifted box. The minimum value is unchanged: each builtin test function's
/// published minimum is also its infimum over the whole shifted box, which reaches at most
/// kMaxShift of the width outside the published domain, so regrets stay exact and >= 0:
/// Branin, Rosenbrock, Levy, Ackley (sums of non-negative terms, or Branin's a(.)^2 + s(1-t)cos
/// whose minimum over R^2 is the published one), Styblinski-Tang (a separable quartic whose
/// minimum over R is the published one), Hartmann6 (a sum of negative Gaussian bumps centred in
/// [0, 1]^6, which only weaken away from the unit cube), Michalewicz (outside [0, pi], up to
/// 0.2 pi away, sin(x) < 0 makes each term >= 0 > its minimum). optimum() returns the image of
/// the known minimizer and the same value.
std::unique_ptr<TestFunction> shift_domain(std::unique_ptr<TestFunction> function,
                                           DomainShift shift);

}  // namespace lorahpo::bench
