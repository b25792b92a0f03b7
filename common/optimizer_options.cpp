#include "common/optimizer_options.h"

namespace lorahpo {

const char* to_string(OptimizerKind kind) {
  switch (kind) {
    case OptimizerKind::kBoGp:
      return "bo_gp";
    case OptimizerKind::kSoo:
      return "soo";
    case OptimizerKind::kBamsoo:
      return "bamsoo";
    case OptimizerKind::kLhs:
      return "lhs";
    case OptimizerKind::kRandom:
      return "random";
  }
  return "?";
}

const std::vector<std::string>& optimizer_names() {
  static const std::vector<std::string> kNames = {"bo_gp", "soo", "bamsoo", "lhs", "random"};
  return kNames;
}

std::optional<OptimizerKind> optimizer_kind(const std::string& name) {
  for (const auto kind : {OptimizerKind::kBoGp, OptimizerKind::kSoo, OptimizerKind::kBamsoo,
                          OptimizerKind::kLhs, OptimizerKind::kRandom}) {
    if (name == to_string(kind)) return kind;
  }
  return std::nullopt;
}

// Labels in alphabetical order: messages list them so.
const std::vector<Choice<BoMode>>& bo_modes() {
  static const std::vector<Choice<BoMode>> kModes = {{"async", BoMode::kAsync},
                                                     {"sync", BoMode::kSync}};
  return kModes;
}

const std::vector<Choice<BoAcquisition>>& bo_acquisitions() {
  static const std::vector<Choice<BoAcquisition>> kAcquisitions = {
      {"log_ei", BoAcquisition::kLogEi}, {"ucb", BoAcquisition::kUcb}};
  return kAcquisitions;
}

const std::vector<Choice<BoLiar>>& bo_liars() {
  static const std::vector<Choice<BoLiar>> kLiars = {{"auto", BoLiar::kAuto},
                                                     {"best", BoLiar::kBest},
                                                     {"kriging_believer", BoLiar::kKrigingBeliever},
                                                     {"mean", BoLiar::kMean},
                                                     {"worst", BoLiar::kWorst}};
  return kLiars;
}

const std::vector<Choice<PartitionParallel>>& partition_parallel_strategies() {
  static const std::vector<Choice<PartitionParallel>> kStrategies = {
      {"async", PartitionParallel::kAsync},
      {"sweep", PartitionParallel::kSweep},
      {"wide", PartitionParallel::kWide}};
  return kStrategies;
}

void BoGpOptions::visit(OptionVisitor& v) {
  v.integer("n_init", n_init, {0, 100000, ""}, InIdentity::kAlways);
  visit_choice(v, "mode", mode, bo_modes());
  v.integer("batch_size", batch_size, {0, 100000, " (0: one per worker)"}, InIdentity::kAlways);
  visit_choice(v, "acquisition", acquisition, bo_acquisitions());
  visit_choice(v, "liar", liar, bo_liars());
  // In the identity only when changed: journals written before the option existed keep theirs.
  v.integer("max_gp_points", max_gp_points, {16, 100000, " (no bound)", true},
            InIdentity::kWhenChanged);
}

void SooOptions::visit(OptionVisitor& v) {
  v.integer("k", k, {2, 16, ""}, InIdentity::kAlways);
  NumberRange exponent;
  exponent.low = 0.0;
  exponent.high = 1.0;
  exponent.low_open = true;
  v.number("depth_exponent", depth_exponent, exponent, InIdentity::kAlways);
  // In the identity only when changed: journals written before the option existed ran sweeps.
  visit_choice(v, "parallel", parallel, partition_parallel_strategies(), InIdentity::kWhenChanged);
}

void BamsooOptions::visit(OptionVisitor& v) {
  soo.visit(v);
  NumberRange range;
  range.low = 0.0;
  range.high = 1.0;
  range.low_open = true;
  range.high_open = true;
  v.number("eta", eta, range, InIdentity::kAlways);
}

void OptimizerConfig::visit(OptionVisitor& v) {
  switch (kind) {
    case OptimizerKind::kBoGp:
      bo_gp.visit(v);
      return;
    case OptimizerKind::kSoo:
      soo.visit(v);
      return;
    case OptimizerKind::kBamsoo:
      bamsoo.visit(v);
      return;
    case OptimizerKind::kLhs:
    case OptimizerKind::kRandom:
      return;
  }
}

}  // namespace lorahpo
