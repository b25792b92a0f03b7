#include "master/optimizers/partition_tree.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <sstream>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>
#include <cereal/archives/binary.hpp>

namespace lorahpo {
namespace {

/// Sums of K cell volumes against their parent's: a few roundings per cell.
constexpr double kVolumeTol = 1e-12;
/// A centre against the midpoint of its box, coordinate by coordinate.
constexpr double kCentreTol = 1e-12;

using Point = std::vector<double>;

double volume(const PartitionNode& node) {
  double v = 1.0;
  for (std::size_t i = 0; i < node.lower.size(); ++i) v *= node.upper[i] - node.lower[i];
  return v;
}

/// x in the half-open box [lower, upper).
bool in_box(const PartitionNode& node, const Point& x) {
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (!(x[i] >= node.lower[i] && x[i] < node.upper[i])) return false;
  }
  return true;
}

bool same_point(const Point& a, const Point& b, double tol) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::fabs(a[i] - b[i]) > tol) return false;
  }
  return true;
}

/// The children of `id` tile it: along the split axis they are consecutive intervals that share
/// their end points exactly, start at the parent's lower and end at its upper face; along the
/// other axes they are the parent's box; their volumes sum to the parent's; every sample of the
/// parent lies in exactly one child's half-open box; every centre is its box's midpoint.
void expect_tiling(const PartitionTree& tree, int id, std::mt19937_64& rng) {
  const PartitionNode& parent = tree.node(id);
  ASSERT_EQ(parent.children.size(), static_cast<std::size_t>(tree.k()));
  const auto axis = static_cast<std::size_t>(tree.split_dimension(id));
  const auto dim = static_cast<std::size_t>(tree.dim());

  double children_volume = 0.0;
  for (std::size_t c = 0; c < parent.children.size(); ++c) {
    const PartitionNode& child = tree.node(parent.children[c]);
    SCOPED_TRACE(testing::Message() << "child " << c << " (node " << parent.children[c] << ")");
    children_volume += volume(child);
    for (std::size_t i = 0; i < dim; ++i) {
      if (i == axis) continue;
      EXPECT_EQ(child.lower[i], parent.lower[i]) << "axis " << i;
      EXPECT_EQ(child.upper[i], parent.upper[i]) << "axis " << i;
    }
    EXPECT_LT(child.lower[axis], child.upper[axis]);
    if (c == 0) {
      EXPECT_EQ(child.lower[axis], parent.lower[axis]);
    } else {
      // Shared face, bit for bit: no gap and no overlap between neighbours.
      EXPECT_EQ(child.lower[axis], tree.node(parent.children[c - 1]).upper[axis]);
    }
    if (c + 1 == parent.children.size()) {
      EXPECT_EQ(child.upper[axis], parent.upper[axis]);
    }
    for (std::size_t i = 0; i < dim; ++i) {
      const double mid = 0.5 * (child.lower[i] + child.upper[i]);
      EXPECT_NEAR(child.center[i], mid, kCentreTol) << "axis " << i;
    }
  }
  EXPECT_NEAR(children_volume, volume(parent), kVolumeTol)
      << "children " << children_volume << ", parent " << volume(parent);

  // Coverage: random samples of the parent's half-open box, and every child's lower corner
  // (exactly on the shared faces).
  std::vector<Point> samples;
  for (int s = 0; s < 200; ++s) {
    Point x(dim);
    for (std::size_t i = 0; i < dim; ++i) {
      x[i] = std::uniform_real_distribution<double>(parent.lower[i], parent.upper[i])(rng);
    }
    samples.push_back(x);
  }
  for (int child : parent.children) samples.push_back(tree.node(child).lower);
  for (const Point& x : samples) {
    ASSERT_TRUE(in_box(parent, x));
    int owners = 0;
    for (int child : parent.children) owners += in_box(tree.node(child), x) ? 1 : 0;
    EXPECT_EQ(owners, 1) << "point " << testing::PrintToString(x) << " of node " << id;
  }
}

TEST(PartitionTreeTest, RootIsTheUnitCubeWithItsCentre) {
  const PartitionTree tree(4, 3);
  ASSERT_EQ(tree.size(), 1);
  EXPECT_EQ(tree.dim(), 4);
  EXPECT_EQ(tree.k(), 3);
  EXPECT_EQ(tree.depth(), 0);
  const PartitionNode& root = tree.node(0);
  EXPECT_EQ(root.lower, Point(4, 0.0));
  EXPECT_EQ(root.upper, Point(4, 1.0));
  EXPECT_EQ(root.center, Point(4, 0.5));
  EXPECT_EQ(root.parent, -1);
  EXPECT_EQ(root.kind, NodeValue::kUnknown);
  EXPECT_EQ(root.inherited_from, -1);
  EXPECT_TRUE(root.is_leaf());
}

TEST(PartitionTreeTest, InvalidShapesAreRejected) {
  EXPECT_THROW(PartitionTree(0, 3), std::invalid_argument);
  EXPECT_THROW(PartitionTree(2, 1), std::invalid_argument);
}

/// Several successive expansions in 3-d: the root, every child of the root, then the first,
/// middle and last grandchild of each, for K = 2..5.
TEST(PartitionTreeTest, ChildrenTileTheirParentExactly) {
  std::mt19937_64 rng(7);
  for (int k : {2, 3, 4, 5}) {
    SCOPED_TRACE(testing::Message() << "K = " << k);
    PartitionTree tree(3, k);
    std::vector<int> expanded;
    const std::vector<int> level1 = tree.expand(0);
    expanded.push_back(0);
    for (int child : level1) {
      const std::vector<int> level2 = tree.expand(child);
      expanded.push_back(child);
      std::vector<int> picks = {level2.front(), level2[level2.size() / 2], level2.back()};
      picks.erase(std::unique(picks.begin(), picks.end()), picks.end());  // K = 2: middle = last
      for (int g : picks) {
        tree.expand(g);
        expanded.push_back(g);
      }
    }
    for (int id : expanded) {
      SCOPED_TRACE(testing::Message() << "node " << id << " at depth " << tree.node(id).depth);
      expect_tiling(tree, id, rng);
    }
  }
}

TEST(PartitionTreeTest, SplitsTheLongestSideLowestIndexOnTies) {
  // 2-d, K = 3: the root splits x0 (a tie: lowest index); its children are 1/3 x 1 and split
  // x1; theirs are 1/3 x 1/3, a tie again (1/3 computed by different subtractions), so x0.
  PartitionTree tree2(2, 3);
  EXPECT_EQ(tree2.split_dimension(0), 0);
  const auto a = tree2.expand(0);
  for (int child : a) {
    EXPECT_EQ(tree2.split_dimension(child), 1) << "child " << child;
    // The root split along x0: x1 is still the whole [0, 1].
    EXPECT_EQ(tree2.node(child).lower[1], 0.0);
    EXPECT_EQ(tree2.node(child).upper[1], 1.0);
  }
  for (int child : a) {
    const auto b = tree2.expand(child);
    for (int grandchild : b) {
      EXPECT_EQ(tree2.split_dimension(grandchild), 0) << "grandchild " << grandchild;
      // The split happened along x1: x0 is the parent's.
      EXPECT_EQ(tree2.node(grandchild).lower[0], tree2.node(child).lower[0]);
      EXPECT_EQ(tree2.node(grandchild).upper[0], tree2.node(child).upper[0]);
    }
  }

  // 3-d, K = 2, down the middle of every level: axis 0, 1, 2, 0, 1, 2, ...
  PartitionTree tree3(3, 2);
  int id = 0;
  for (int level = 0; level < 9; ++level) {
    const int expected_axis = level % 3;
    EXPECT_EQ(tree3.split_dimension(id), expected_axis) << "level " << level;
    const auto children = tree3.expand(id);
    const PartitionNode& first = tree3.node(children[0]);
    const PartitionNode& parent = tree3.node(id);
    for (int i = 0; i < 3; ++i) {
      const auto s = static_cast<std::size_t>(i);
      if (i == expected_axis) {
        EXPECT_LT(first.upper[s] - first.lower[s], parent.upper[s] - parent.lower[s])
            << "level " << level;
      } else {
        EXPECT_EQ(first.upper[s] - first.lower[s], parent.upper[s] - parent.lower[s])
            << "level " << level;
      }
    }
    id = children[static_cast<std::size_t>(level % 2)];  // alternate first and last child
  }

  // A box longer in a later coordinate splits that one: K = 5 in 2-d makes x0 1/5 wide.
  PartitionTree tree5(2, 5);
  for (int child : tree5.expand(0)) EXPECT_EQ(tree5.split_dimension(child), 1);
}

TEST(PartitionTreeTest, OddKMiddleChildInheritsItsParentsPointAndValue) {
  for (int k : {3, 5}) {
    SCOPED_TRACE(testing::Message() << "K = " << k);
    PartitionTree tree(2, k);
    tree.node(0).kind = NodeValue::kEvaluated;
    tree.node(0).value = 3.25;
    const auto children = tree.expand(0);
    const auto middle = static_cast<std::size_t>(k / 2);
    for (std::size_t c = 0; c < children.size(); ++c) {
      const PartitionNode& child = tree.node(children[c]);
      if (c == middle) {
        EXPECT_TRUE(same_point(child.center, tree.node(0).center, 0.0))
            << testing::PrintToString(child.center) << " vs "
            << testing::PrintToString(tree.node(0).center);
        EXPECT_EQ(child.kind, NodeValue::kEvaluated);
        EXPECT_EQ(child.value, 3.25);
        EXPECT_EQ(child.inherited_from, 0);
      } else {
        EXPECT_FALSE(same_point(child.center, tree.node(0).center, kCentreTol)) << "child " << c;
        EXPECT_EQ(child.kind, NodeValue::kUnknown) << "child " << c;
        EXPECT_EQ(child.inherited_from, -1) << "child " << c;
      }
    }

    // The middle child's middle child shares the same original evaluation (node 0), whatever
    // the kind: here the inherited value is an approximation.
    const int mid = children[middle];
    tree.node(mid).kind = NodeValue::kApproximated;
    tree.node(mid).value = -1.5;
    const auto grandchildren = tree.expand(mid);
    const PartitionNode& grand = tree.node(grandchildren[middle]);
    EXPECT_TRUE(same_point(grand.center, tree.node(0).center, kCentreTol));
    EXPECT_EQ(grand.kind, NodeValue::kApproximated);
    EXPECT_EQ(grand.value, -1.5);
    EXPECT_EQ(grand.inherited_from, 0) << "the original evaluation, not the intermediate node";

    // A fresh (non-inheriting) child's middle child inherits from that child.
    const int side = children[0];
    tree.node(side).kind = NodeValue::kFailed;
    const auto side_children = tree.expand(side);
    EXPECT_EQ(tree.node(side_children[middle]).inherited_from, side);
    EXPECT_EQ(tree.node(side_children[middle]).kind, NodeValue::kFailed);
  }
}

TEST(PartitionTreeTest, EvenKNoChildSharesItsParentsCentre) {
  for (int k : {2, 4, 6}) {
    SCOPED_TRACE(testing::Message() << "K = " << k);
    PartitionTree tree(3, k);
    tree.node(0).kind = NodeValue::kEvaluated;
    tree.node(0).value = 1.0;
    std::vector<int> parents = {0};
    for (int level = 0; level < 3; ++level) {
      std::vector<int> next;
      for (int p : parents) {
        for (int child : tree.expand(p)) {
          EXPECT_FALSE(same_point(tree.node(child).center, tree.node(p).center, kCentreTol))
              << "child " << child << " of " << p;
          EXPECT_EQ(tree.node(child).kind, NodeValue::kUnknown);
          EXPECT_EQ(tree.node(child).inherited_from, -1);
          tree.node(child).kind = NodeValue::kEvaluated;
          next.push_back(child);
        }
      }
      parents = {next.front(), next.back()};
    }
  }
}

TEST(PartitionTreeTest, DepthParentAndChildrenBookkeeping) {
  PartitionTree tree(2, 3);
  EXPECT_EQ(tree.depth(), 0);
  const auto a = tree.expand(0);
  EXPECT_EQ(a, (std::vector<int>{1, 2, 3})) << "new ids are appended in order";
  EXPECT_EQ(tree.node(0).children, a);
  EXPECT_EQ(tree.depth(), 1);
  const auto b = tree.expand(a[2]);
  EXPECT_EQ(tree.depth(), 2);
  // A shallower expansion does not lower the tree's depth.
  const auto c = tree.expand(a[0]);
  EXPECT_EQ(tree.depth(), 2);
  const auto d = tree.expand(b[1]);
  EXPECT_EQ(tree.depth(), 3);
  EXPECT_EQ(tree.size(), 1 + 4 * 3);
  for (int id = 1; id < tree.size(); ++id) {
    const PartitionNode& n = tree.node(id);
    ASSERT_GE(n.parent, 0) << "node " << id;
    EXPECT_EQ(n.depth, tree.node(n.parent).depth + 1) << "node " << id;
    const auto& siblings = tree.node(n.parent).children;
    EXPECT_EQ(std::count(siblings.begin(), siblings.end(), id), 1) << "node " << id;
  }
  for (int id : d) EXPECT_EQ(tree.node(id).depth, 3);
  for (int id : c) EXPECT_TRUE(tree.node(id).is_leaf());
  EXPECT_FALSE(tree.node(a[2]).is_leaf());

  // Expanding a node twice is a broken invariant: it throws and changes nothing.
  EXPECT_THROW(tree.expand(0), std::logic_error);
  EXPECT_THROW(tree.expand(b[1]), std::logic_error);
  EXPECT_EQ(tree.size(), 13);
  EXPECT_EQ(tree.node(0).children, a);
}

TEST(PartitionTreeTest, CerealRoundTripRestoresEveryNode) {
  PartitionTree tree(3, 3);
  tree.node(0).kind = NodeValue::kEvaluated;
  tree.node(0).value = -0.125;
  const auto a = tree.expand(0);
  tree.node(a[0]).kind = NodeValue::kFailed;
  tree.node(a[2]).kind = NodeValue::kApproximated;
  tree.node(a[2]).value = 1.0 / 3.0;
  const auto b = tree.expand(a[2]);
  tree.node(b[0]).kind = NodeValue::kEvaluated;
  tree.node(b[0]).value = 2.718281828459045;
  tree.expand(b[1]);
  tree.expand(a[0]);

  std::stringstream stream;
  {
    cereal::BinaryOutputArchive out(stream);
    out(tree);
  }
  PartitionTree restored;
  {
    cereal::BinaryInputArchive in(stream);
    in(restored);
  }
  EXPECT_EQ(restored.dim(), tree.dim());
  EXPECT_EQ(restored.k(), tree.k());
  EXPECT_EQ(restored.depth(), tree.depth());
  ASSERT_EQ(restored.size(), tree.size());
  for (int id = 0; id < tree.size(); ++id) {
    SCOPED_TRACE(testing::Message() << "node " << id);
    const PartitionNode& x = tree.node(id);
    const PartitionNode& y = restored.node(id);
    EXPECT_EQ(y.depth, x.depth);
    EXPECT_EQ(y.parent, x.parent);
    EXPECT_EQ(y.children, x.children);
    EXPECT_EQ(y.lower, x.lower);  // exact: the binary archive keeps every bit
    EXPECT_EQ(y.upper, x.upper);
    EXPECT_EQ(y.center, x.center);
    EXPECT_EQ(y.kind, x.kind);
    EXPECT_EQ(y.value, x.value);
    EXPECT_EQ(y.inherited_from, x.inherited_from);
  }

  // The restored tree goes on exactly as the original.
  const int leaf = b[2];
  const auto from_original = tree.expand(leaf);
  const auto from_restored = restored.expand(leaf);
  ASSERT_EQ(from_original, from_restored);
  for (std::size_t i = 0; i < from_original.size(); ++i) {
    EXPECT_EQ(restored.node(from_restored[i]).center, tree.node(from_original[i]).center);
  }
}

// ---------------------------------------------------------------------------------------------
// Discrete coordinates (categoricals, small integers)

/// The value of bin coordinate u of n values, as SearchSpace maps it.
std::int64_t value_of(double u, std::int64_t n) {
  return std::min<std::int64_t>(static_cast<std::int64_t>(std::floor(u * static_cast<double>(n))),
                                n - 1);
}

/// Along every discrete coordinate of every node: the faces are multiples of 1/n, the centre is
/// a bin centre, and its value lies inside the cell.
void expect_on_bins(const PartitionTree& tree) {
  for (int id = 0; id < tree.size(); ++id) {
    const PartitionNode& node = tree.node(id);
    for (int i = 0; i < tree.dim(); ++i) {
      const std::int64_t n = tree.values(i);
      if (n == 0) continue;
      const auto c = static_cast<std::size_t>(i);
      const double scale = static_cast<double>(n);
      SCOPED_TRACE(testing::Message() << "node " << id << ", coordinate " << i);
      EXPECT_NEAR(node.lower[c] * scale, std::round(node.lower[c] * scale), kCentreTol);
      EXPECT_NEAR(node.upper[c] * scale, std::round(node.upper[c] * scale), kCentreTol);
      const std::int64_t v = value_of(node.center[c], n);
      EXPECT_NEAR(node.center[c], (static_cast<double>(v) + 0.5) / scale, kCentreTol);
      EXPECT_GE(static_cast<double>(v) + 0.5, node.lower[c] * scale);
      EXPECT_LE(static_cast<double>(v) + 0.5, node.upper[c] * scale);
    }
  }
}

TEST(PartitionTreeTest, ABooleanIsSplitIntoItsTwoValuesNeverAtTheirBoundary) {
  // The root of a 2-valued coordinate stands at value 0 (bin centre 1/4), not at 1/2, which is
  // the boundary that SearchSpace gives to the second value.
  PartitionTree tree(std::vector<std::int64_t>{2}, 3);
  EXPECT_DOUBLE_EQ(tree.node(0).center[0], 0.25);
  ASSERT_EQ(tree.split_dimension(0), 0);
  const std::vector<int> children = tree.expand(0);
  ASSERT_EQ(children.size(), 2u);  // one child per value, although K = 3
  EXPECT_DOUBLE_EQ(tree.node(children[0]).upper[0], 0.5);
  EXPECT_DOUBLE_EQ(tree.node(children[0]).center[0], 0.25);
  EXPECT_EQ(tree.node(children[0]).inherited_from, 0) << "holds the root's value: same point";
  EXPECT_DOUBLE_EQ(tree.node(children[1]).lower[0], 0.5);
  EXPECT_DOUBLE_EQ(tree.node(children[1]).center[0], 0.75);
  EXPECT_EQ(tree.node(children[1]).inherited_from, -1);
  for (int child : children) {
    EXPECT_FALSE(tree.splittable(child));
    EXPECT_EQ(tree.split_dimension(child), -1);
    EXPECT_THROW(tree.expand(child), std::logic_error);
  }
}

TEST(PartitionTreeTest, MoreValuesThanKAreGroupedIntoKRunsOfNeighbours) {
  // 5 values, K = 3: runs of 2, 2 and 1 values; the root stands at the middle value 2.
  PartitionTree tree(std::vector<std::int64_t>{5}, 3);
  EXPECT_DOUBLE_EQ(tree.node(0).center[0], 0.5);
  const std::vector<int> children = tree.expand(0);
  ASSERT_EQ(children.size(), 3u);
  EXPECT_DOUBLE_EQ(tree.node(children[0]).upper[0], 0.4);
  EXPECT_DOUBLE_EQ(tree.node(children[0]).center[0], 0.1);  // value 0 (lower middle of {0, 1})
  EXPECT_EQ(tree.node(children[1]).inherited_from, 0);      // {2, 3} holds value 2
  EXPECT_DOUBLE_EQ(tree.node(children[1]).center[0], 0.5);
  EXPECT_DOUBLE_EQ(tree.node(children[2]).lower[0], 0.8);
  EXPECT_DOUBLE_EQ(tree.node(children[2]).center[0], 0.9);
  // Splitting every splittable leaf ends with one leaf per value, each owning its point.
  for (int id = 0; id < tree.size(); ++id) {
    if (tree.node(id).is_leaf() && tree.splittable(id)) tree.expand(id);
  }
  std::vector<std::int64_t> leaves;
  for (int id = 0; id < tree.size(); ++id) {
    if (tree.node(id).is_leaf()) leaves.push_back(value_of(tree.node(id).center[0], 5));
  }
  std::sort(leaves.begin(), leaves.end());
  EXPECT_EQ(leaves, (std::vector<std::int64_t>{0, 1, 2, 3, 4}));
  expect_on_bins(tree);
}

TEST(PartitionTreeTest, MixedTreesSplitTheDiscreteCoordinatesFirstOnTies) {
  // A float, a boolean, a 3-valued integer: the longest side, where a discrete side is the share
  // of its values left; a discrete side wins a tie with a continuous one, then the lowest index.
  PartitionTree tree(std::vector<std::int64_t>{0, 2, 3}, 3);
  EXPECT_EQ(tree.split_dimension(0), 1) << "all sides 1: the boolean first";
  const std::vector<int> by_bool = tree.expand(0);
  ASSERT_EQ(by_bool.size(), 2u);
  EXPECT_EQ(tree.split_dimension(by_bool[1]), 2) << "the boolean is settled; the integer ties";
  const std::vector<int> by_value = tree.expand(by_bool[1]);
  EXPECT_EQ(by_value.size(), 3u);
  EXPECT_EQ(tree.split_dimension(by_value[0]), 0) << "only the float is left to split";
  const std::vector<int> by_float = tree.expand(by_value[0]);
  EXPECT_EQ(tree.split_dimension(by_float[0]), 0);
  // A 5-valued coordinate split into runs of 2, 2, 1 (shares 0.4, 0.4, 0.2) comes back after the
  // float's side fell to 1/3 < 0.4.
  PartitionTree five(std::vector<std::int64_t>{0, 5}, 3);
  EXPECT_EQ(five.split_dimension(0), 1);
  const int run = five.expand(0)[0];
  EXPECT_EQ(five.split_dimension(run), 0);
  const int third = five.expand(run)[0];
  EXPECT_EQ(five.split_dimension(third), 1);
  expect_on_bins(five);
  for (int id = 0; id < tree.size(); ++id) {
    if (!tree.node(id).is_leaf()) {
      const PartitionNode& node = tree.node(id);
      double children_volume = 0.0;
      for (int c : node.children) children_volume += volume(tree.node(c));
      EXPECT_NEAR(children_volume, volume(node), kVolumeTol) << "node " << id;
    }
  }
  expect_on_bins(tree);
}

TEST(PartitionTreeTest, AllContinuousValuesGiveTheContinuousTree) {
  PartitionTree plain(3, 3);
  PartitionTree zeros(std::vector<std::int64_t>{0, 0, 0}, 3);
  for (int step = 0; step < 20; ++step) {
    ASSERT_EQ(plain.split_dimension(step), zeros.split_dimension(step));
    plain.expand(step);
    zeros.expand(step);
  }
  ASSERT_EQ(plain.size(), zeros.size());
  for (int id = 0; id < plain.size(); ++id) {
    EXPECT_EQ(plain.node(id).lower, zeros.node(id).lower);
    EXPECT_EQ(plain.node(id).upper, zeros.node(id).upper);
    EXPECT_EQ(plain.node(id).center, zeros.node(id).center);
  }
  EXPECT_THROW(PartitionTree(std::vector<std::int64_t>{0, 1}, 3), std::invalid_argument);
}

}  // namespace
}  // namespace lorahpo
