#include "master/optimizers/bo/gp_features.h"
#include "tests/support/parameters.h"

#include <cstdint>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

using testing_support::categorical_param;
using testing_support::float_param;
using testing_support::int_param;

/// Slack on a feature computed from doubles.
constexpr double kFeatureTol = 1e-12;

/// float | int in [1, 4] (4 values) | categorical with 3 labels | float | categorical with 2 labels
SearchSpace mixed_space() {
  return SearchSpace({float_param("a"), int_param("n", 1.0, 4.0),
                      categorical_param("kind", {"red", "green", "blue"}), float_param("b"),
                      categorical_param("flag", {"on", "off"})});
}

TEST(GpFeatureMapTest, FeatureDimCountsOneColumnPerNumberAndOnePerLabel) {
  const GpFeatureMap map(mixed_space());
  EXPECT_EQ(map.feature_dim(), 1 + 1 + 3 + 1 + 2);
  EXPECT_EQ(GpFeatureMap(SearchSpace({float_param("x"), float_param("y")})).feature_dim(), 2);
  EXPECT_EQ(GpFeatureMap(SearchSpace({categorical_param("c", {"one"})})).feature_dim(), 1);
}

TEST(GpFeatureMapTest, ContinuousCoordinatesAndTheirFeatureIndex) {
  const GpFeatureMap map(mixed_space());
  EXPECT_TRUE(map.is_continuous(0));
  EXPECT_TRUE(map.is_continuous(1));  // an integer moves in its continuous relaxation
  EXPECT_FALSE(map.is_continuous(2));
  EXPECT_TRUE(map.is_continuous(3));
  EXPECT_FALSE(map.is_continuous(4));
  EXPECT_EQ(map.feature_index(0), 0);
  EXPECT_EQ(map.feature_index(1), 1);
  EXPECT_EQ(map.feature_index(2), 2);  // the start of the one-hot block
  EXPECT_EQ(map.feature_index(3), 5);
  EXPECT_EQ(map.feature_index(4), 6);
}

TEST(GpFeatureMapTest, FloatsPassThroughAndIntegersSnapToTheirBinCentre) {
  const GpFeatureMap map(mixed_space());
  // n has 4 values: u = 0.3 lies in bin [0.25, 0.5), whose centre is 0.375.
  const std::vector<double> unit = {0.3, 0.3, 0.1, 0.77, 0.9};
  const Eigen::VectorXd snapped = map.features(unit);
  EXPECT_NEAR(snapped(0), 0.3, kFeatureTol);
  EXPECT_NEAR(snapped(1), 0.375, kFeatureTol);
  EXPECT_NEAR(snapped(5), 0.77, kFeatureTol);

  const Eigen::VectorXd relaxed = map.features(unit, /*snap_integers=*/false);
  EXPECT_NEAR(relaxed(0), 0.3, kFeatureTol);
  EXPECT_NEAR(relaxed(1), 0.3, kFeatureTol);
  EXPECT_NEAR(relaxed(5), 0.77, kFeatureTol);

  // The ends of the int's range: the first and the last bin centre.
  EXPECT_NEAR(map.features({0.5, 0.0, 0.5, 0.5, 0.5})(1), 0.125, kFeatureTol);
  EXPECT_NEAR(map.features({0.5, 1.0, 0.5, 0.5, 0.5})(1), 0.875, kFeatureTol);
}

TEST(GpFeatureMapTest, IntegerFeatureIsTheSnappedCoordinateOfTheSpace) {
  const SearchSpace space = mixed_space();
  const GpFeatureMap map(space);
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<double> unit(5);
    for (double& u : unit) u = uniform(rng);
    const std::vector<double> snapped = space.snap(unit);
    const Eigen::VectorXd f = map.features(unit);
    EXPECT_NEAR(f(1), snapped[1], kFeatureTol) << "u = " << unit[1];
    // Features of the snapped point are the features of the point.
    EXPECT_TRUE(map.features(snapped).isApprox(f, kFeatureTol));
  }
}

TEST(GpFeatureMapTest, EachCategoricalIsOneHotOnTheLabelTheWorkerRuns) {
  const SearchSpace space = mixed_space();
  const GpFeatureMap map(space);
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);
  const auto check = [&](const std::vector<double>& unit) {
    SCOPED_TRACE(testing::Message() << "kind u = " << unit[2] << ", flag u = " << unit[4]);
    const Eigen::VectorXd f = map.features(unit);
    const std::vector<ParamValue> user = space.to_user(unit);
    struct Block {
      int coordinate;
      int offset;
      int size;
    };
    for (const Block block : {Block{2, 2, 3}, Block{4, 6, 2}}) {
      int ones = 0;
      int hot = -1;
      for (int k = 0; k < block.size; ++k) {
        const double v = f(block.offset + k);
        EXPECT_TRUE(v == 0.0 || v == 1.0) << "feature " << block.offset + k << " = " << v;
        if (v == 1.0) {
          ++ones;
          hot = k;
        }
      }
      ASSERT_EQ(ones, 1) << "coordinate " << block.coordinate;
      const auto& choices = space.parameter(block.coordinate).choices;
      EXPECT_EQ(choices[static_cast<std::size_t>(hot)],
                std::get<std::string>(user[static_cast<std::size_t>(block.coordinate)]));
    }
  };
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<double> unit(5);
    for (double& u : unit) u = uniform(rng);
    check(unit);
  }
  // Bin edges and the ends of the cube (u = 1 belongs to the last label).
  for (double u : {0.0, 1.0 / 3.0, 0.5, 2.0 / 3.0, 1.0 - 1e-12, 1.0}) check({0.5, 0.5, u, 0.5, u});
}

TEST(GpFeatureMapTest, CoordinatesOutsideTheCubeAreClamped) {
  const GpFeatureMap map(mixed_space());
  const Eigen::VectorXd low = map.features({-0.5, -0.5, -0.5, -0.5, -0.5}, false);
  const Eigen::VectorXd high = map.features({1.5, 1.5, 1.5, 1.5, 1.5}, false);
  EXPECT_EQ(low(0), 0.0);
  EXPECT_EQ(low(1), 0.0);
  EXPECT_EQ(low(2), 1.0);  // first label
  EXPECT_EQ(high(0), 1.0);
  EXPECT_EQ(high(1), 1.0);
  EXPECT_EQ(high(4), 1.0);  // last label
  EXPECT_EQ(high(7), 1.0);
}

}  // namespace
}  // namespace lorahpo
