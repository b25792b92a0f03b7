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
///
/// Discrete coordinates (a categorical, or an integer the caller treats as one; `values` gives
/// their number of values n, 0 for a continuous coordinate) live on SearchSpace's equal-width
/// bins: value j owns [j/n, (j+1)/n). Along such a coordinate a cell always covers whole bins
/// (its faces are multiples of 1/n), and it is split between bins, never inside one:
///  - c <= K values left: one child per value; c > K: K children of consecutive values, sizes
///    differing by at most one (the larger ones first). One cell per category is the branching
///    of branch-and-bound on a discrete variable, and no order is read into the labels beyond
///    grouping neighbours when c > K; grouping keeps every node K-ary at most, as SOO's analysis
///    assumes (Munos 2011). The rule is ours: no mixed-variable SOO or DIRECT source was read
///    for it (Casmopolitan and CoCaBO do not partition: they sample categories by a trust
///    region in Hamming distance and by a bandit, respectively).
///  - a cell's centre along it is a bin centre, (j + 0.5)/n, of a value inside the cell: the
///    parent's value for the child that holds it (which inherits the parent's point and value,
///    as the middle child does), the middle value (lower one on an even count) for the others.
///    So a centre is always a valid point whose snapped value is in the cell; never a bin
///    boundary (which SearchSpace maps to the upper bin).
///  - side length = the share of the values left, c/n (= upper - lower), except that a
///    coordinate with one value left measures 0: it cannot be split. The split coordinate is the
///    longest side; on a tie a discrete side wins over a continuous one, then the lowest index.
///    At the root every side is 1, so the discrete coordinates are split first, each once (a
///    categorical of at most K values is then settled: one value per cell), then the continuous
///    ones in turn, a discrete one of c > K values again whenever its share c'/n is the longest.
///    Why the tie rule: a cell is split along one coordinate per level and a campaign of 50
///    evaluations reaches depth ~7 (h_max = sqrt(n)), so with the lowest index alone the
///    categoricals listed after seven floats (configs/llama32_3b/wide.yaml: precision, LoRA
///    targets, batch size) would never be tried at another value; settling a 2-valued
///    categorical costs one evaluation, and it is the kind of choice (bf16-true or bf16-mixed)
///    a user wants compared. The price: the continuous coordinates start one level per
///    discrete coordinate later.
///  - a cell whose every side measures 0 (a single point of a discrete space) is not
///    splittable(); expand() refuses it.
/// An integer split as a continuous coordinate (`bins`, its number of values; 0 for the others)
/// measures 0 once the cell lies inside one of its bins: splitting further could only find the
/// same value again.
/// With every coordinate continuous the tree is exactly the one above.
class PartitionTree {
 public:
  PartitionTree() = default;
  /// Every coordinate continuous.
  PartitionTree(int dim, int k);
  /// values[i]: the number of values of a discrete coordinate i (>= 2), 0 for a continuous one;
  /// bins[i] (empty: none): the number of values of an integer split continuously, else 0.
  PartitionTree(std::vector<std::int64_t> values, int k, std::vector<std::int64_t> bins = {});

  int dim() const { return dim_; }
  int k() const { return k_; }
  int size() const { return static_cast<int>(nodes_.size()); }
  int depth() const { return depth_; }
  const PartitionNode& node(int id) const { return nodes_.at(static_cast<std::size_t>(id)); }
  PartitionNode& node(int id) { return nodes_.at(static_cast<std::size_t>(id)); }

  /// The coordinate a node splits along: its longest side, lowest index on ties; -1 when the
  /// node is a single point of a discrete space.
  int split_dimension(int id) const;
  bool splittable(int id) const { return split_dimension(id) >= 0; }
  /// The number of values of coordinate i if discrete, else 0.
  std::int64_t values(int i) const {
    return values_.empty() ? 0 : values_[static_cast<std::size_t>(i)];
  }
  /// Creates the K children of a leaf and returns their ids in order. The middle child of an odd
  /// K copies the parent's value and kind (and records what it inherited from).
  std::vector<int> expand(int id);

  /// values_ is not archived (the format of snapshots stays that of all-continuous trees): it
  /// comes from the search space, given again to the constructor before a restore.
  template <class Archive>
  void serialize(Archive& archive) {
    archive(dim_, k_, depth_, nodes_);
  }

 private:
  std::vector<int> expand_discrete(int id, int axis);

  std::vector<std::int64_t> values_;  ///< empty when every coordinate is continuous
  std::vector<std::int64_t> bins_;    ///< empty when no integer is split continuously
  int dim_ = 0;
  int k_ = 3;
  int depth_ = 0;
  std::vector<PartitionNode> nodes_;
};

}  // namespace lorahpo
