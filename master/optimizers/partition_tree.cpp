#include "master/optimizers/partition_tree.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace lorahpo {

PartitionTree::PartitionTree(int dim, int k) : dim_(dim), k_(k) {
  if (dim < 1) throw std::invalid_argument("a partition tree needs dim >= 1");
  if (k < 2) throw std::invalid_argument("a partition tree needs K >= 2");
  PartitionNode root;
  root.lower.assign(static_cast<std::size_t>(dim), 0.0);
  root.upper.assign(static_cast<std::size_t>(dim), 1.0);
  root.center.assign(static_cast<std::size_t>(dim), 0.5);
  nodes_.push_back(std::move(root));
}

namespace {

/// The first and one-past-last value a cell covers along a discrete coordinate of n values.
struct ValueRange {
  std::int64_t first;
  std::int64_t end;
};

ValueRange value_range(double lower, double upper, std::int64_t n) {
  const auto scale = static_cast<double>(n);
  return ValueRange{std::llround(lower * scale), std::llround(upper * scale)};
}

double value_centre(std::int64_t j, std::int64_t n) {
  return (static_cast<double>(j) + 0.5) / static_cast<double>(n);
}

}  // namespace

PartitionTree::PartitionTree(std::vector<std::int64_t> values, int k,
                             std::vector<std::int64_t> bins)
    : PartitionTree(static_cast<int>(values.size()), k) {
  if (!bins.empty() && bins.size() != values.size()) {
    throw std::invalid_argument("a partition tree needs one bin count per coordinate");
  }
  if (std::any_of(bins.begin(), bins.end(), [](std::int64_t b) { return b > 0; })) {
    bins_ = std::move(bins);
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (values[i] == 1 || values[i] < 0) {
      throw std::invalid_argument("a discrete coordinate of a partition tree needs >= 2 values");
    }
    // The root's centre is the middle value (lower one on an even count).
    if (values[i] > 0) nodes_[0].center[i] = value_centre((values[i] - 1) / 2, values[i]);
  }
  if (std::any_of(values.begin(), values.end(), [](std::int64_t v) { return v > 0; })) {
    values_ = std::move(values);
  }
}

int PartitionTree::split_dimension(int id) const {
  const PartitionNode& n = node(id);
  int best = -1;
  double longest = 0.0;
  for (int i = 0; i < dim_; ++i) {
    double side = n.upper[static_cast<std::size_t>(i)] - n.lower[static_cast<std::size_t>(i)];
    if (values(i) > 0) {
      const ValueRange r = value_range(n.lower[static_cast<std::size_t>(i)],
                                       n.upper[static_cast<std::size_t>(i)], values(i));
      if (r.end - r.first <= 1) side = 0.0;  // one value left: nothing to split
    } else if (!bins_.empty() && bins_[static_cast<std::size_t>(i)] > 0) {
      // Inside one bin of a continuously split integer: every point rounds to the same value.
      // (Faces within 1e-9 of a bin boundary count as on it.)
      const auto count = static_cast<double>(bins_[static_cast<std::size_t>(i)]);
      const double first = std::floor(n.lower[static_cast<std::size_t>(i)] * count + 1e-9);
      const double last = std::ceil(n.upper[static_cast<std::size_t>(i)] * count - 1e-9) - 1.0;
      if (last <= first) side = 0.0;
    }
    if (!(side > 0.0)) continue;
    // Strictly longer only: equal sides keep the lowest index, except that a discrete side
    // takes a tie from a continuous one.
    const bool longer = side > longest * (1.0 + 1e-12);
    const bool discrete_wins_tie =
        values(i) > 0 && best >= 0 && values(best) == 0 && side >= longest * (1.0 - 1e-12);
    if (longer || discrete_wins_tie) {
      longest = side;
      best = i;
    }
  }
  return best;
}

std::vector<int> PartitionTree::expand(int id) {
  if (!node(id).is_leaf()) throw std::logic_error("expanding a node that has children");
  const int axis = split_dimension(id);
  if (axis < 0) throw std::logic_error("expanding a cell that is a single point");
  if (values(axis) > 0) return expand_discrete(id, axis);
  const auto a = static_cast<std::size_t>(axis);
  const double low = node(id).lower[a];
  const double width = (node(id).upper[a] - low) / k_;
  std::vector<int> ids;
  for (int i = 0; i < k_; ++i) {
    PartitionNode child;
    const PartitionNode& parent = node(id);
    child.depth = parent.depth + 1;
    child.parent = id;
    child.lower = parent.lower;
    child.upper = parent.upper;
    child.lower[a] = low + i * width;
    child.upper[a] = i + 1 == k_ ? parent.upper[a] : low + (i + 1) * width;
    child.center = parent.center;
    child.center[a] = 0.5 * (child.lower[a] + child.upper[a]);
    if (k_ % 2 == 1 && i == k_ / 2) {
      // The middle cell is centred where its parent is: same point, same value.
      child.center[a] = parent.center[a];
      child.kind = parent.kind;
      child.value = parent.value;
      child.inherited_from = parent.inherited_from >= 0 ? parent.inherited_from : id;
    }
    nodes_.push_back(std::move(child));
    ids.push_back(size() - 1);
  }
  node(id).children = ids;
  depth_ = std::max(depth_, node(id).depth + 1);
  return ids;
}

std::vector<int> PartitionTree::expand_discrete(int id, int axis) {
  const auto a = static_cast<std::size_t>(axis);
  const std::int64_t n = values(axis);
  const ValueRange range = value_range(node(id).lower[a], node(id).upper[a], n);
  const std::int64_t count = range.end - range.first;
  const std::int64_t groups = std::min<std::int64_t>(count, k_);
  const std::int64_t parent_value = std::llround(node(id).center[a] * static_cast<double>(n) - 0.5);
  std::vector<int> ids;
  std::int64_t first = range.first;
  for (std::int64_t g = 0; g < groups; ++g) {
    const std::int64_t share = count / groups + (g < count % groups ? 1 : 0);
    const std::int64_t end = first + share;
    PartitionNode child;
    const PartitionNode& parent = node(id);
    child.depth = parent.depth + 1;
    child.parent = id;
    child.lower = parent.lower;
    child.upper = parent.upper;
    // The outer faces are the parent's own, so the children tile it exactly.
    child.lower[a] = g == 0 ? parent.lower[a] : static_cast<double>(first) / static_cast<double>(n);
    child.upper[a] =
        g + 1 == groups ? parent.upper[a] : static_cast<double>(end) / static_cast<double>(n);
    child.center = parent.center;
    if (parent_value >= first && parent_value < end) {
      // The cell holding the parent's value is centred where its parent is: same point, value.
      child.kind = parent.kind;
      child.value = parent.value;
      child.inherited_from = parent.inherited_from >= 0 ? parent.inherited_from : id;
    } else {
      child.center[a] = value_centre(first + (share - 1) / 2, n);
    }
    nodes_.push_back(std::move(child));
    ids.push_back(size() - 1);
    first = end;
  }
  node(id).children = ids;
  depth_ = std::max(depth_, node(id).depth + 1);
  return ids;
}

}  // namespace lorahpo
