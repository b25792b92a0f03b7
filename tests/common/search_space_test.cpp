#include "common/search_space.h"
#include "tests/support/parameters.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

using testing_support::categorical_param;
using testing_support::float_param;
using testing_support::int_param;
using testing_support::pow10_param;

/// Relative tolerance of a float that went through x -> u -> x (a few ulps of arithmetic).
constexpr double kRoundTripRelTol = 1e-12;
/// Points of the uniform grid the equal-share tests sweep: enough for ~2000 per value of a
/// 511-value integer, ~30000 per category (which converts more slowly: strings).
constexpr int kGridPoints = 1'000'000;
constexpr int kCategoryGridPoints = 200'000;

/// dropout (float), learning_rate (10^x), lora_r (int), optimizer (category).
SearchSpace mixed_space() {
  return SearchSpace({float_param("dropout", 0.0, 0.3), pow10_param("learning_rate", -5.0, -2.0),
                      int_param("lora_r", 2, 512),
                      categorical_param("optimizer", {"adamw", "sgd", "lion"})});
}

bool near_rel(double a, double b, double rel) {
  return std::abs(a - b) <= rel * std::max({1.0, std::abs(a), std::abs(b)});
}

TEST(SearchSpaceTest, DimAndIndexOf) {
  const SearchSpace space = mixed_space();
  EXPECT_EQ(space.dim(), 4);
  EXPECT_EQ(space.index_of("dropout"), 0);
  EXPECT_EQ(space.index_of("optimizer"), 3);
  EXPECT_EQ(space.index_of("nope"), -1);
  EXPECT_EQ(space.parameter(2).cardinality(), 511);
  EXPECT_EQ(space.parameter(3).cardinality(), 3);
  EXPECT_EQ(space.parameter(0).cardinality(), 0);
}

TEST(SearchSpaceTest, FloatMapsLinearly) {
  const SearchSpace space({float_param("x", -2.0, 6.0)});
  for (double u : {0.0, 0.125, 0.5, 0.9, 1.0}) {
    const auto values = space.to_user({u});
    ASSERT_TRUE(std::holds_alternative<double>(values[0]));
    const double expected = -2.0 + 8.0 * u;
    EXPECT_TRUE(near_rel(std::get<double>(values[0]), expected, kRoundTripRelTol))
        << "u = " << u << ": got " << std::get<double>(values[0]) << ", expected " << expected;
  }
}

TEST(SearchSpaceTest, Pow10MapsToPowerOfTen) {
  const SearchSpace space({pow10_param("lr", -5.0, -2.0)});
  const double at_zero = std::get<double>(space.to_user({0.0})[0]);
  const double at_one = std::get<double>(space.to_user({1.0})[0]);
  const double at_third = std::get<double>(space.to_user({1.0 / 3.0})[0]);
  EXPECT_TRUE(near_rel(at_zero, 1e-5, kRoundTripRelTol)) << at_zero << " vs 1e-5";
  EXPECT_TRUE(near_rel(at_one, 1e-2, kRoundTripRelTol)) << at_one << " vs 1e-2";
  EXPECT_TRUE(near_rel(at_third, 1e-4, kRoundTripRelTol)) << at_third << " vs 1e-4";
}

TEST(SearchSpaceTest, UnitToUserToUnitEqualsSnap) {
  const SearchSpace space = mixed_space();
  for (int i = 0; i <= 200; ++i) {
    const double a = i / 200.0;
    const std::vector<double> unit = {a, 1.0 - a, std::fmod(a * 7.3, 1.0), std::fmod(a * 3.1, 1.0)};
    const std::vector<double> back = space.to_unit(space.to_user(unit));
    const std::vector<double> snapped = space.snap(unit);
    ASSERT_EQ(back.size(), unit.size());
    for (std::size_t j = 0; j < unit.size(); ++j) {
      EXPECT_TRUE(near_rel(back[j], snapped[j], kRoundTripRelTol))
          << "coordinate " << j << " of u = " << unit[j] << ": to_unit(to_user) = " << back[j]
          << ", snap = " << snapped[j];
    }
  }
}

TEST(SearchSpaceTest, UserToUnitToUserIsIdentity) {
  const SearchSpace space = mixed_space();
  const std::vector<std::vector<ParamValue>> points = {
      {0.0, 1e-5, std::int64_t{2}, std::string("adamw")},
      {0.3, 1e-2, std::int64_t{512}, std::string("lion")},
      {0.1234, 3e-4, std::int64_t{64}, std::string("sgd")},
      {0.05, 0.00012345, std::int64_t{257}, std::string("adamw")},
  };
  for (const auto& values : points) {
    const auto back = space.to_user(space.to_unit(values));
    ASSERT_EQ(back.size(), values.size());
    for (std::size_t j = 0; j < values.size(); ++j) {
      ASSERT_EQ(back[j].index(), values[j].index()) << "kind changed for coordinate " << j;
      if (const auto* d = std::get_if<double>(&values[j])) {
        EXPECT_TRUE(near_rel(std::get<double>(back[j]), *d, kRoundTripRelTol))
            << space.parameter(static_cast<int>(j)).name << ": " << std::get<double>(back[j])
            << " vs " << *d;
      } else {
        EXPECT_EQ(back[j], values[j]) << space.parameter(static_cast<int>(j)).name << ": "
                                      << format_value(back[j]) << " vs " << format_value(values[j]);
      }
    }
  }
}

TEST(SearchSpaceTest, IntegerGivenAsDoubleIsAccepted) {
  const SearchSpace space({int_param("r", 1, 64)});
  const auto from_int = space.to_unit({std::int64_t{8}});
  const auto from_double = space.to_unit({8.0});
  EXPECT_DOUBLE_EQ(from_int[0], from_double[0]);
}

/// Position of the value of parameter 0 among its cardinality() values.
std::size_t value_index(const Parameter& p, const ParamValue& value) {
  if (p.type == ParamType::kInt) {
    return static_cast<std::size_t>(std::get<std::int64_t>(value) - std::llround(p.low));
  }
  const auto& label = std::get<std::string>(value);
  return static_cast<std::size_t>(std::find(p.choices.begin(), p.choices.end(), label) -
                                  p.choices.begin());
}

/// Sweeps u over a uniform grid of kGridPoints cell centres and checks that each of the values of
/// parameter 0 (an int or a category) comes out equally often, within one point.
void expect_equal_share(const SearchSpace& space, int grid_points = kGridPoints) {
  const Parameter& p = space.parameter(0);
  const auto n = static_cast<std::size_t>(p.cardinality());
  std::vector<int> counts(n + 1, 0);  // the extra slot catches values outside the range
  for (int i = 0; i < grid_points; ++i) {
    const double u = (i + 0.5) / grid_points;
    ++counts[std::min(value_index(p, space.to_user({u})[0]), n)];
  }
  ASSERT_EQ(counts[n], 0) << "values outside the parameter's range";
  const auto [lowest, highest] = std::minmax_element(counts.begin(), counts.begin() + n);
  const auto describe = [&](std::vector<int>::const_iterator it) {
    const double centre = (static_cast<double>(it - counts.begin()) + 0.5) / static_cast<double>(n);
    return format_value(space.to_user({centre})[0]) + " got " + std::to_string(*it);
  };
  EXPECT_LE(*highest - *lowest, 1) << "unequal shares of " << grid_points
                                   << " points: " << describe(lowest) << ", " << describe(highest);
  // The two ends are where rounding/truncating implementations lose half or all of a bin.
  const int fair = grid_points / static_cast<int>(n);
  EXPECT_GE(counts.front(), fair) << "lowest value under-represented: " << describe(counts.begin());
  EXPECT_GE(counts[n - 1], fair) << "highest value under-represented: "
                                 << describe(counts.begin() + static_cast<long>(n) - 1);
}

TEST(SearchSpaceTest, EveryIntegerGetsAnEqualShare2To512) {
  expect_equal_share(SearchSpace({int_param("lora_r", 2, 512)}));
}

TEST(SearchSpaceTest, EveryIntegerGetsAnEqualShare1To64) {
  expect_equal_share(SearchSpace({int_param("batch", 1, 64)}));
}

TEST(SearchSpaceTest, EveryCategoryGetsAnEqualShare) {
  expect_equal_share(SearchSpace({categorical_param("c", {"a", "b", "c", "d", "e", "f", "g"})}),
                     kCategoryGridPoints);
}

TEST(SearchSpaceTest, IntegerEndsAreReachedAtCubeEnds) {
  const SearchSpace space({int_param("lora_r", 2, 512)});
  EXPECT_EQ(std::get<std::int64_t>(space.to_user({0.0})[0]), 2);
  EXPECT_EQ(std::get<std::int64_t>(space.to_user({1.0})[0]), 512);
  EXPECT_EQ(std::get<std::int64_t>(space.to_user({std::nextafter(1.0, 0.0)})[0]), 512);
}

TEST(SearchSpaceTest, SnapIsIdempotent) {
  const SearchSpace space = mixed_space();
  for (int i = 0; i <= 1000; ++i) {
    const double a = i / 1000.0;
    const std::vector<double> unit = {a, std::fmod(a * 1.7, 1.0), a, 1.0 - a};
    const auto once = space.snap(unit);
    const auto twice = space.snap(once);
    for (std::size_t j = 0; j < unit.size(); ++j) {
      EXPECT_EQ(once[j], twice[j]) << "coordinate " << j << " of u = " << unit[j];
    }
    // Floats are not moved by snap.
    EXPECT_EQ(once[0], unit[0]);
    EXPECT_EQ(once[1], unit[1]);
  }
}

TEST(SearchSpaceTest, SnapMovesToBinCentre) {
  const SearchSpace space({int_param("r", 1, 4)});  // 4 bins of width 0.25
  EXPECT_DOUBLE_EQ(space.snap({0.0})[0], 0.125);
  EXPECT_DOUBLE_EQ(space.snap({0.26})[0], 0.375);
  EXPECT_DOUBLE_EQ(space.snap({1.0})[0], 0.875);
}

TEST(SearchSpaceTest, OutOfCubeCoordinatesAreClamped) {
  const SearchSpace space = mixed_space();
  const auto below = space.to_user({-0.5, -3.0, -1.0, -0.01});
  const auto at_zero = space.to_user({0.0, 0.0, 0.0, 0.0});
  const auto above = space.to_user({1.5, 3.0, 2.0, 1.01});
  const auto at_one = space.to_user({1.0, 1.0, 1.0, 1.0});
  for (std::size_t j = 0; j < 4; ++j) {
    EXPECT_EQ(below[j], at_zero[j]) << "coordinate " << j << ": " << format_value(below[j])
                                    << " vs " << format_value(at_zero[j]);
    EXPECT_EQ(above[j], at_one[j]) << "coordinate " << j << ": " << format_value(above[j]) << " vs "
                                   << format_value(at_one[j]);
  }
  const auto snapped = space.snap({-0.5, 1.5, -1.0, 2.0});
  EXPECT_EQ(snapped[0], 0.0);
  EXPECT_EQ(snapped[1], 1.0);
}

TEST(SearchSpaceTest, ToUnitRejectsBadValues) {
  const SearchSpace space = mixed_space();
  const std::vector<ParamValue> good = {0.1, 1e-3, std::int64_t{8}, std::string("sgd")};
  ASSERT_NO_THROW(space.to_unit(good));
  const auto with = [&](std::size_t j, ParamValue v) {
    auto values = good;
    values[j] = std::move(v);
    return values;
  };
  EXPECT_THROW(space.to_unit(with(0, 0.31)), std::invalid_argument) << "float above high";
  EXPECT_THROW(space.to_unit(with(0, -0.01)), std::invalid_argument) << "float below low";
  EXPECT_THROW(space.to_unit(with(0, std::string("0.1"))), std::invalid_argument)
      << "label for a float";
  EXPECT_THROW(space.to_unit(with(1, 1e-6)), std::invalid_argument) << "pow10 below 10^low";
  EXPECT_THROW(space.to_unit(with(1, 0.5)), std::invalid_argument) << "pow10 above 10^high";
  EXPECT_THROW(space.to_unit(with(1, 0.0)), std::invalid_argument) << "pow10 of zero";
  EXPECT_THROW(space.to_unit(with(1, -1e-3)), std::invalid_argument) << "pow10 negative";
  EXPECT_THROW(space.to_unit(with(2, std::int64_t{1})), std::invalid_argument) << "int below";
  EXPECT_THROW(space.to_unit(with(2, std::int64_t{513})), std::invalid_argument) << "int above";
  EXPECT_THROW(space.to_unit(with(2, 8.5)), std::invalid_argument) << "non-integral int";
  EXPECT_THROW(space.to_unit(with(2, std::string("8"))), std::invalid_argument) << "label for int";
  EXPECT_THROW(space.to_unit(with(3, std::string("adam"))), std::invalid_argument)
      << "unknown label";
  EXPECT_THROW(space.to_unit(with(3, std::int64_t{1})), std::invalid_argument)
      << "number for a category";
  EXPECT_THROW(space.to_unit({0.1}), std::invalid_argument) << "wrong number of values";
}

TEST(SearchSpaceTest, ToUserRejectsWrongDimension) {
  const SearchSpace space = mixed_space();
  EXPECT_THROW(space.to_user({0.5, 0.5}), std::invalid_argument);
}

TEST(SearchSpaceTest, JsonRoundTripKeepsTypesAndOrder) {
  const SearchSpace space = mixed_space();
  const std::vector<ParamValue> values = {0.125, 3e-4, std::int64_t{64}, std::string("lion")};
  const nlohmann::ordered_json object = space.to_json(values);
  ASSERT_TRUE(object.is_object());
  std::vector<std::string> keys;
  for (const auto& [key, value] : object.items()) keys.push_back(key);
  EXPECT_EQ(keys, (std::vector<std::string>{"dropout", "learning_rate", "lora_r", "optimizer"}));
  EXPECT_TRUE(object["dropout"].is_number_float());
  EXPECT_TRUE(object["lora_r"].is_number_integer()) << object.dump();
  EXPECT_TRUE(object["optimizer"].is_string());

  // Through text, as the journal stores it.
  const auto parsed = nlohmann::json::parse(object.dump());
  const auto back = space.from_json(parsed);
  ASSERT_EQ(back.size(), values.size());
  for (std::size_t j = 0; j < values.size(); ++j) {
    EXPECT_EQ(back[j], values[j]) << "coordinate " << j << ": " << format_value(back[j]) << " vs "
                                  << format_value(values[j]);
  }
}

TEST(SearchSpaceTest, FromJsonRejectsMissingOrMistypedValues) {
  const SearchSpace space = mixed_space();
  const nlohmann::json good = {
      {"dropout", 0.1}, {"learning_rate", 1e-3}, {"lora_r", 8}, {"optimizer", "sgd"}};
  ASSERT_NO_THROW(space.from_json(good));
  auto missing = good;
  missing.erase("lora_r");
  EXPECT_THROW(space.from_json(missing), std::invalid_argument);
  auto float_for_int = good;
  float_for_int["lora_r"] = 8.5;
  EXPECT_THROW(space.from_json(float_for_int), std::invalid_argument);
  auto number_for_label = good;
  number_for_label["optimizer"] = 1;
  EXPECT_THROW(space.from_json(number_for_label), std::invalid_argument);
  auto string_for_float = good;
  string_for_float["dropout"] = "0.1";
  EXPECT_THROW(space.from_json(string_for_float), std::invalid_argument);
  EXPECT_THROW(space.from_json(nlohmann::json::array()), std::invalid_argument);
}

TEST(SearchSpaceTest, FormatValue) {
  EXPECT_EQ(format_value(0.0003), "0.0003");
  EXPECT_EQ(format_value(1e-10), "1e-10");
  EXPECT_EQ(format_value(0.5), "0.5");
  EXPECT_EQ(format_value(std::int64_t{512}), "512");
  EXPECT_EQ(format_value(std::int64_t{-3}), "-3");
  EXPECT_EQ(format_value(std::string("adamw")), "adamw");
  EXPECT_EQ(format_value(std::string("a b,c")), "a b,c");
  // Shortest round-trip form: parsing the text gives the same double back.
  for (double x : {0.1, 1.0 / 3.0, 2.5e-7, 123456.789, 1e300}) {
    EXPECT_EQ(std::stod(format_value(x)), x) << format_value(x);
  }
}

TEST(SearchSpaceTest, NumericValue) {
  EXPECT_EQ(numeric_value(2.5), 2.5);
  EXPECT_EQ(numeric_value(std::int64_t{7}), 7.0);
  EXPECT_THROW(numeric_value(std::string("x")), std::invalid_argument);
}

}  // namespace
}  // namespace lorahpo
