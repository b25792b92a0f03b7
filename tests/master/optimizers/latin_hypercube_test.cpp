#include "master/optimizers/latin_hypercube.h"

#include <cmath>
#include <cstdint>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

#include <gtest/gtest.h>

#include "master/optimizers/random_search.h"

namespace lorahpo {
namespace {

using Design = std::vector<std::vector<double>>;

/// The stratum k with u in [k/n, (k+1)/n).
int stratum_of(double u, int n) {
  return static_cast<int>(std::floor(u * n));
}

/// Every coordinate of `design` has exactly one point in each of its n strata, all in [0,1).
void expect_latin(const Design& design, int n, int dim) {
  ASSERT_EQ(design.size(), static_cast<std::size_t>(n));
  for (int j = 0; j < dim; ++j) {
    std::vector<int> hits(static_cast<std::size_t>(n), 0);
    for (int i = 0; i < n; ++i) {
      const auto& point = design[static_cast<std::size_t>(i)];
      ASSERT_EQ(point.size(), static_cast<std::size_t>(dim));
      const double u = point[static_cast<std::size_t>(j)];
      ASSERT_GE(u, 0.0) << "point " << i << " coordinate " << j;
      ASSERT_LT(u, 1.0) << "point " << i << " coordinate " << j;
      ++hits[static_cast<std::size_t>(stratum_of(u, n))];
    }
    for (int k = 0; k < n; ++k) {
      EXPECT_EQ(hits[static_cast<std::size_t>(k)], 1)
          << "coordinate " << j << ", stratum [" << k << "/" << n << ", " << k + 1 << "/" << n
          << ")";
    }
  }
}

struct Shape {
  int n;
  int dim;
};

TEST(LatinHypercubeTest, OnePointPerStratumInEveryCoordinate) {
  for (const Shape shape : {Shape{1, 1}, Shape{1, 4}, Shape{2, 2}, Shape{7, 1}, Shape{10, 3},
                            Shape{50, 5}, Shape{1000, 3}}) {
    SCOPED_TRACE(testing::Message() << "n = " << shape.n << ", dim = " << shape.dim);
    for (std::uint64_t seed : {1ULL, 2ULL, 12345ULL}) {
      std::mt19937_64 rng(seed);
      expect_latin(latin_hypercube(shape.n, shape.dim, rng), shape.n, shape.dim);
    }
  }
}

TEST(LatinHypercubeTest, SameSeedSameDesignOtherSeedOtherDesign) {
  std::mt19937_64 a(42);
  std::mt19937_64 b(42);
  std::mt19937_64 c(43);
  const Design first = latin_hypercube(20, 4, a);
  EXPECT_EQ(first, latin_hypercube(20, 4, b));
  EXPECT_NE(first, latin_hypercube(20, 4, c));
  // The generator advances: the next design from the same generator differs.
  EXPECT_NE(first, latin_hypercube(20, 4, a));
}

TEST(LatinHypercubeTest, RejectsEmptyShapes) {
  std::mt19937_64 rng(1);
  EXPECT_THROW(latin_hypercube(0, 2, rng), std::invalid_argument);
  EXPECT_THROW(latin_hypercube(3, 0, rng), std::invalid_argument);
}

TEST(LatinHypercubeSearchTest, BatchesOfOneDesignThenANewDesign) {
  constexpr int kDim = 3;
  constexpr int kDesign = 10;
  LatinHypercubeSearch search(kDim, kDesign, std::mt19937_64(7));
  EXPECT_EQ(search.name(), "lhs");

  std::vector<Suggestion> all;
  for (int n : {3, 7}) {
    const auto batch = search.ask(n);
    ASSERT_EQ(batch.size(), static_cast<std::size_t>(n));
    all.insert(all.end(), batch.begin(), batch.end());
    for (const auto& s : batch) search.tell(s.ticket, 1.0);
  }
  Design first;
  for (const auto& s : all) first.push_back(s.unit);
  expect_latin(first, kDesign, kDim);

  // Past the design: a fresh design of 10 starts, again one point per stratum.
  std::vector<Suggestion> more;
  for (int n : {4, 4, 2}) {
    const auto batch = search.ask(n);
    ASSERT_EQ(batch.size(), static_cast<std::size_t>(n));
    more.insert(more.end(), batch.begin(), batch.end());
  }
  Design second;
  for (const auto& s : more) second.push_back(s.unit);
  expect_latin(second, kDesign, kDim);
  EXPECT_NE(first, second);

  all.insert(all.end(), more.begin(), more.end());
  for (std::size_t i = 1; i < all.size(); ++i) {
    EXPECT_GT(all[i].ticket, all[i - 1].ticket) << "tickets not increasing at " << i;
  }
  std::set<std::int64_t> tickets;
  for (const auto& s : all) tickets.insert(s.ticket);
  EXPECT_EQ(tickets.size(), all.size()) << "duplicate tickets";
}

TEST(LatinHypercubeSearchTest, BatchSpanningTwoDesigns) {
  LatinHypercubeSearch search(2, 4, std::mt19937_64(3));
  const auto batch = search.ask(6);  // 4 of the first design, 2 of the second
  ASSERT_EQ(batch.size(), 6u);
  Design first(4);
  for (std::size_t i = 0; i < 4; ++i) first[i] = batch[i].unit;
  expect_latin(first, 4, 2);
  const auto rest = search.ask(2);
  Design second = {batch[4].unit, batch[5].unit, rest[0].unit, rest[1].unit};
  expect_latin(second, 4, 2);
}

TEST(LatinHypercubeSearchTest, SameSeedSameSuggestions) {
  LatinHypercubeSearch a(2, 8, std::mt19937_64(11));
  LatinHypercubeSearch b(2, 8, std::mt19937_64(11));
  const auto from_a = a.ask(8);
  const auto from_b = b.ask(8);
  ASSERT_EQ(from_a.size(), from_b.size());
  for (std::size_t i = 0; i < from_a.size(); ++i) {
    EXPECT_EQ(from_a[i].ticket, from_b[i].ticket);
    EXPECT_EQ(from_a[i].unit, from_b[i].unit) << "suggestion " << i;
  }
}

TEST(RandomSearchTest, PointsInUnitCubeWithUniqueTickets) {
  constexpr int kDim = 4;
  RandomSearch search(kDim, std::mt19937_64(5));
  EXPECT_EQ(search.name(), "random");
  std::set<std::int64_t> tickets;
  std::set<std::vector<double>> points;
  int total = 0;
  for (int n : {1, 5, 100, 0, 37}) {
    const auto batch = search.ask(n);
    ASSERT_EQ(batch.size(), static_cast<std::size_t>(n));
    for (const auto& s : batch) {
      ASSERT_EQ(s.unit.size(), static_cast<std::size_t>(kDim));
      for (double u : s.unit) {
        EXPECT_GE(u, 0.0);
        EXPECT_LT(u, 1.0);
      }
      tickets.insert(s.ticket);
      points.insert(s.unit);
      search.tell(s.ticket, std::nullopt);
      ++total;
    }
  }
  EXPECT_EQ(tickets.size(), static_cast<std::size_t>(total)) << "duplicate tickets";
  EXPECT_EQ(points.size(), static_cast<std::size_t>(total)) << "repeated points";
}

TEST(RandomSearchTest, SameSeedSamePoints) {
  RandomSearch a(3, std::mt19937_64(9));
  RandomSearch b(3, std::mt19937_64(9));
  RandomSearch c(3, std::mt19937_64(10));
  const auto from_a = a.ask(10);
  const auto from_b = b.ask(10);
  const auto from_c = c.ask(10);
  for (std::size_t i = 0; i < 10; ++i) EXPECT_EQ(from_a[i].unit, from_b[i].unit) << i;
  EXPECT_NE(from_a[0].unit, from_c[0].unit);
}

}  // namespace
}  // namespace lorahpo
