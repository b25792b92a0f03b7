#include "master/optimizers/partition_tree.h"

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

int PartitionTree::split_dimension(int id) const {
  const PartitionNode& n = node(id);
  int best = 0;
  double longest = -1.0;
  for (int i = 0; i < dim_; ++i) {
    const double side = n.upper[static_cast<std::size_t>(i)] - n.lower[static_cast<std::size_t>(i)];
    // Strictly longer only: equal sides keep the lowest index.
    if (side > longest * (1.0 + 1e-12)) {
      longest = side;
      best = i;
    }
  }
  return best;
}

std::vector<int> PartitionTree::expand(int id) {
  if (!node(id).is_leaf()) throw std::logic_error("expanding a node that has children");
  const int axis = split_dimension(id);
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

}  // namespace lorahpo
