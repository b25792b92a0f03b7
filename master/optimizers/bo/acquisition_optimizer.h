#pragma once

#include <functional>
#include <optional>
#include <random>
#include <vector>

#include "master/optimizers/bo/acquisition.h"
#include "master/optimizers/bo/gp_features.h"

namespace lorahpo {

struct AcquisitionSearchOptions {
  int random_candidates = 1000;  ///< uniform in the cube
  int local_candidates = 200;    ///< Gaussian perturbations of the incumbents
  int gradient_starts = 5;       ///< best candidates refined by L-BFGS
  int max_evaluations = 60;      ///< per L-BFGS run
  /// A box [lower, upper] of the unit cube to search instead of the whole cube (a trust region,
  /// Eriksson et al. 2019); empty: the cube. Bounds only the continuous coordinates.
  std::vector<double> lower;
  std::vector<double> upper;
};

/// Maximizes an acquisition function over the unit cube: scores many random candidates plus
/// perturbations of the best observed points (BoTorch's initialization heuristic concentrates
/// starts there too), refines the best few with bounded L-BFGS (NLopt) over the continuous
/// relaxation of floats and integers, categoricals held at each start's value, then snaps the
/// results to what a worker would run. Returns the best snapped point for which `is_duplicate`
/// is false, or nullopt if every candidate is a duplicate.
std::optional<std::vector<double>> maximize_acquisition(
    const Acquisition& acquisition, const GpFeatureMap& features,
    const std::vector<std::vector<double>>& incumbents,
    const std::function<bool(const std::vector<double>&)>& is_duplicate, std::mt19937_64& rng,
    const AcquisitionSearchOptions& options = {});

}  // namespace lorahpo
