#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <cereal/types/optional.hpp>
#include <cereal/types/vector.hpp>

namespace lorahpo {

/// How a node got its value.
enum class NodeValue : int {
  kUnknown = 0,       ///< not evaluated yet (queued or running)
  kEvaluated = 1,     ///< a real evaluation (or inherited from one: the middle child)
  kFailed = 2,        ///< its evaluation failed
  kApproximated = 3,  ///< BaMSOO: the GP's lower confidence bound, no evaluation
};

/// A cell of a K-ary partition of the unit cube (Munos 2011, SOO; Wang et al. 2014, BaMSOO).
struct PartitionNode {
  int depth = 0;
  int parent = -1;
  std::vector<int> children;
  std::vector<double> lower;
  std::vector<double> upper;
  std::vector<double> center;
  NodeValue kind = NodeValue::kUnknown;
  double value = 0.0;       ///< meaningful when kind is kEvaluated or kApproximated
  int inherited_from = -1;  ///< the node whose evaluation this one shares (middle child)

  bool is_leaf() const { return children.empty(); }

  template <class Archive>
  void serialize(Archive& archive) {
    archive(depth, parent, children, lower, upper, center, kind, value, inherited_from);
  }
};

/// A K-ary partition tree of [0,1]^d. A node splits along its longest side (in unit-cube
/// units; the lowest index on ties) into K equal cells, each represented by its centre. For odd
/// K the middle child's centre is its parent's, so it inherits the parent's value: expanding a
/// K = 3 node costs 2 evaluations.
class PartitionTree {
 public:
  PartitionTree() = default;
  PartitionTree(int dim, int k);

  int dim() const { return dim_; }
  int k() const { return k_; }
  int size() const { return static_cast<int>(nodes_.size()); }
  int depth() const { return depth_; }
  const PartitionNode& node(int id) const { return nodes_.at(static_cast<std::size_t>(id)); }
  PartitionNode& node(int id) { return nodes_.at(static_cast<std::size_t>(id)); }

  /// The coordinate a node splits along: its longest side, lowest index on ties.
  int split_dimension(int id) const;
  /// Creates the K children of a leaf and returns their ids in order. The middle child of an odd
  /// K copies the parent's value and kind (and records what it inherited from).
  std::vector<int> expand(int id);

  template <class Archive>
  void serialize(Archive& archive) {
    archive(dim_, k_, depth_, nodes_);
  }

 private:
  int dim_ = 0;
  int k_ = 3;
  int depth_ = 0;
  std::vector<PartitionNode> nodes_;
};

}  // namespace lorahpo
