#include "worker/test_function.h"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numbers>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace lorahpo {
namespace {

constexpr double kPi = std::numbers::pi;

/// evaluate(argmin) against optimum().value: both are computed in double, so they agree up to
/// rounding, scaled by the magnitude of the value (styblinski_tang reaches -39 d).
constexpr double kRoundingTolerance = 1e-12;
/// Slack below the minimum allowed for sampled points (rounding only; no point may beat it).
constexpr double kBelowMinimumSlack = 1e-9;
/// Published minima given to 15 significant digits (branin, hartmann6, michalewicz d = 2).
constexpr double kFifteenDigitTolerance = 1e-14;
/// Published minimum given to 10 significant digits (michalewicz d = 5: -4.687658179): half a
/// unit in its last place.
constexpr double kTenDigitTolerance = 5e-10;
/// Published minimum given to 6 significant digits (michalewicz d = 10: -9.66015): half a unit
/// in its last place, since the true minimum is -9.6601517...
constexpr double kSixDigitTolerance = 5e-6;
/// Relative tolerance on styblinski_tang's per-coordinate minimum -39.16616570377142.
constexpr double kStyblinskiTangRelativeTolerance = 1e-9;
constexpr int kRandomPoints = 2000;
constexpr int kLineScanPoints = 20001;

struct Case {
  std::string name;
  int dim;
};

/// Every function at each supported dimension the tests cover.
std::vector<Case> all_cases() {
  std::vector<Case> cases;
  for (const std::string& name : test_function_names()) {
    if (!test_function_has_variable_dim(name)) {
      cases.push_back({name, make_test_function(name)->dim()});
    } else if (name == "michalewicz") {
      for (const int d : {2, 5, 10}) cases.push_back({name, d});
    } else if (name == "ackley_mixed" || name == "rosenbrock_mixed") {
      for (const int d : {4, 5, 10, 20, 53}) cases.push_back({name, d});
    } else {
      for (const int d : {1, 2, 3, 5, 10}) {
        if (name == "rosenbrock" && d < 2) continue;
        cases.push_back({name, d});
      }
    }
  }
  return cases;
}

std::string describe(const Case& c) {
  return c.name + " dim " + std::to_string(c.dim);
}

double rounding_tolerance(double value) {
  return kRoundingTolerance * std::max(1.0, std::abs(value));
}

TEST(TestFunctionTest, NamesInStableOrder) {
  const std::vector<std::string> expected = {"branin",      "hartmann6",    "ackley",
                                             "rosenbrock",  "levy",         "styblinski_tang",
                                             "michalewicz", "ackley_mixed", "rosenbrock_mixed"};
  EXPECT_EQ(test_function_names(), expected);
}

TEST(TestFunctionTest, VariableDimFlags) {
  EXPECT_FALSE(test_function_has_variable_dim("branin"));
  EXPECT_FALSE(test_function_has_variable_dim("hartmann6"));
  for (const char* name : {"ackley", "rosenbrock", "levy", "styblinski_tang", "michalewicz",
                           "ackley_mixed", "rosenbrock_mixed"}) {
    EXPECT_TRUE(test_function_has_variable_dim(name)) << name;
  }
  EXPECT_FALSE(test_function_has_variable_dim("no_such_function"));
}

TEST(TestFunctionTest, DefaultDims) {
  EXPECT_EQ(make_test_function("branin")->dim(), 2);
  EXPECT_EQ(make_test_function("hartmann6")->dim(), 6);
  for (const char* name : {"ackley", "rosenbrock", "levy", "styblinski_tang", "michalewicz"}) {
    EXPECT_EQ(make_test_function(name)->dim(), 5) << name;
    EXPECT_EQ(make_test_function(name, 0)->dim(), 5) << name;
  }
  EXPECT_EQ(make_test_function("ackley_mixed")->dim(), 10);
  EXPECT_EQ(make_test_function("rosenbrock_mixed")->dim(), 10);
  // A fixed-dimension function also accepts its own dimension spelled out.
  EXPECT_EQ(make_test_function("branin", 2)->dim(), 2);
  EXPECT_EQ(make_test_function("hartmann6", 6)->dim(), 6);
}

TEST(TestFunctionTest, NameDimAndDomainSizeMatch) {
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    const auto f = make_test_function(c.name, c.dim);
    EXPECT_EQ(f->name(), c.name);
    EXPECT_EQ(f->dim(), c.dim);
    const auto domain = f->domain();
    ASSERT_EQ(domain.size(), static_cast<std::size_t>(c.dim));
    for (const Bounds& b : domain) EXPECT_LT(b.low, b.high);
    EXPECT_EQ(f->optimum().argmin.size(), static_cast<std::size_t>(c.dim));
  }
}

TEST(TestFunctionTest, Domains) {
  const auto branin = make_test_function("branin")->domain();
  EXPECT_DOUBLE_EQ(branin[0].low, -5.0);
  EXPECT_DOUBLE_EQ(branin[0].high, 10.0);
  EXPECT_DOUBLE_EQ(branin[1].low, 0.0);
  EXPECT_DOUBLE_EQ(branin[1].high, 15.0);

  const auto expect_box = [](const std::string& name, double low, double high) {
    for (const Bounds& b : make_test_function(name)->domain()) {
      EXPECT_DOUBLE_EQ(b.low, low) << name;
      EXPECT_DOUBLE_EQ(b.high, high) << name;
    }
  };
  expect_box("hartmann6", 0.0, 1.0);
  expect_box("ackley", -10.0, 22.768);
  expect_box("rosenbrock", -5.0, 10.0);
  expect_box("levy", -10.0, 10.0);
  expect_box("styblinski_tang", -5.0, 5.0);
  expect_box("michalewicz", 0.0, kPi);
}

TEST(TestFunctionTest, AckleyMinimizerIsNotAtDomainCentre) {
  // The shift exists so that methods sampling the centre first do not hit the optimum at once.
  const auto f = make_test_function("ackley", 2);
  const auto domain = f->domain();
  const auto argmin = f->optimum().argmin;
  for (std::size_t i = 0; i < domain.size(); ++i) {
    EXPECT_GT(std::abs(0.5 * (domain[i].low + domain[i].high) - argmin[i]), 1.0);
  }
  EXPECT_GT(
      f->evaluate({0.5 * (domain[0].low + domain[0].high), 0.5 * (domain[1].low + domain[1].high)}),
      1.0);
}

TEST(TestFunctionTest, ValueAtArgminIsTheOptimum) {
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    const auto f = make_test_function(c.name, c.dim);
    const KnownOptimum opt = f->optimum();
    EXPECT_NEAR(f->evaluate(opt.argmin), opt.value, rounding_tolerance(opt.value));
  }
}

TEST(TestFunctionTest, ArgminInsideDomain) {
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    const auto f = make_test_function(c.name, c.dim);
    const auto domain = f->domain();
    const auto argmin = f->optimum().argmin;
    ASSERT_EQ(argmin.size(), domain.size());
    for (std::size_t i = 0; i < argmin.size(); ++i) {
      EXPECT_GE(argmin[i], domain[i].low) << "coordinate " << i;
      EXPECT_LE(argmin[i], domain[i].high) << "coordinate " << i;
    }
  }
}

TEST(TestFunctionTest, PublishedMinima) {
  const auto at_argmin = [](const std::string& name, int dim) {
    const auto f = make_test_function(name, dim);
    return f->evaluate(f->optimum().argmin);
  };
  EXPECT_NEAR(at_argmin("branin", 0), 0.397887357729739, kFifteenDigitTolerance);
  EXPECT_NEAR(at_argmin("hartmann6", 0), -3.32236801141551, kFifteenDigitTolerance);
  EXPECT_NEAR(at_argmin("michalewicz", 2), -1.8013034100985537, kFifteenDigitTolerance);
  EXPECT_NEAR(at_argmin("michalewicz", 5), -4.687658179, kTenDigitTolerance);
  EXPECT_NEAR(at_argmin("michalewicz", 10), -9.66015, kSixDigitTolerance);
  for (const int d : {1, 2, 5, 10}) {
    const double expected = -39.16616570377142 * d;
    EXPECT_NEAR(at_argmin("styblinski_tang", d), expected,
                kStyblinskiTangRelativeTolerance * std::abs(expected))
        << "dim " << d;
  }
  for (const int d : {1, 2, 5, 10}) {
    EXPECT_NEAR(at_argmin("ackley", d), 0.0, kRoundingTolerance) << "dim " << d;
    EXPECT_NEAR(at_argmin("levy", d), 0.0, kRoundingTolerance) << "dim " << d;
  }
  for (const int d : {2, 5, 10}) {
    EXPECT_NEAR(at_argmin("rosenbrock", d), 0.0, kRoundingTolerance) << "dim " << d;
  }
}

TEST(TestFunctionTest, PublishedArgmins) {
  const auto styblinski = make_test_function("styblinski_tang", 3)->optimum().argmin;
  for (const double v : styblinski) EXPECT_NEAR(v, -2.903534027771178, 1e-14);
  // Michalewicz d = 2: published (2.202905513296628, 1.570796326794897). The first term is so
  // flat at its minimum that the published x_1 is only good to about 1e-8.
  const auto michalewicz = make_test_function("michalewicz", 2)->optimum().argmin;
  EXPECT_NEAR(michalewicz[0], 2.202905513296628, 1e-8);
  EXPECT_NEAR(michalewicz[1], 1.570796326794897, 1e-14);
  const auto ackley = make_test_function("ackley", 4)->optimum().argmin;
  for (const double v : ackley) EXPECT_EQ(v, 0.0);
  for (const char* name : {"rosenbrock", "levy"}) {
    for (const double v : make_test_function(name, 4)->optimum().argmin) EXPECT_EQ(v, 1.0) << name;
  }
}

TEST(TestFunctionTest, MichalewiczArgminsAreNested) {
  // Separable: the d = 2 and d = 5 minimizers are prefixes of the d = 10 one.
  const auto ten = make_test_function("michalewicz", 10)->optimum().argmin;
  for (const int d : {2, 5}) {
    const auto small = make_test_function("michalewicz", d)->optimum().argmin;
    for (std::size_t i = 0; i < small.size(); ++i) EXPECT_EQ(small[i], ten[i]) << "dim " << d;
  }
}

TEST(TestFunctionTest, RandomPointsNeverBeatTheOptimum) {
  std::mt19937_64 rng(20240611);
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    const auto f = make_test_function(c.name, c.dim);
    const auto domain = f->domain();
    const double minimum = f->optimum().value;
    std::vector<double> x(domain.size());
    for (int n = 0; n < kRandomPoints; ++n) {
      for (std::size_t i = 0; i < x.size(); ++i) {
        x[i] = std::uniform_real_distribution<double>(domain[i].low, domain[i].high)(rng);
      }
      const double y = f->evaluate(x);
      ASSERT_TRUE(std::isfinite(y));
      ASSERT_GE(y, minimum - kBelowMinimumSlack) << "at sample " << n;
    }
  }
}

TEST(TestFunctionTest, LineScansThroughArgminNeverBeatTheOptimum) {
  // Moving one coordinate across its whole range from the minimizer must not go lower. For the
  // separable michalewicz this checks each hardcoded coordinate is the global 1-d minimizer.
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    const auto f = make_test_function(c.name, c.dim);
    const auto domain = f->domain();
    const KnownOptimum opt = f->optimum();
    for (std::size_t i = 0; i < domain.size(); ++i) {
      std::vector<double> x = opt.argmin;
      double lowest = opt.value;
      for (int k = 0; k < kLineScanPoints; ++k) {
        x[i] = domain[i].low + (domain[i].high - domain[i].low) * k / (kLineScanPoints - 1);
        lowest = std::min(lowest, f->evaluate(x));
      }
      EXPECT_GE(lowest, opt.value - kBelowMinimumSlack) << "coordinate " << i;
    }
  }
}

TEST(TestFunctionTest, ArgminIsALocalMinimum) {
  constexpr double kStep = 1e-4;
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    const auto f = make_test_function(c.name, c.dim);
    const KnownOptimum opt = f->optimum();
    for (std::size_t i = 0; i < opt.argmin.size(); ++i) {
      for (const double step : {-kStep, kStep}) {
        std::vector<double> x = opt.argmin;
        x[i] += step;
        EXPECT_GE(f->evaluate(x), opt.value - kBelowMinimumSlack)
            << "coordinate " << i << " step " << step;
      }
    }
  }
}

TEST(TestFunctionTest, BraninThreeMinimizersAgree) {
  const auto f = make_test_function("branin");
  const double minimum = f->optimum().value;
  EXPECT_NEAR(f->evaluate({-kPi, 12.275}), minimum, kRoundingTolerance);
  EXPECT_NEAR(f->evaluate({kPi, 2.275}), minimum, kRoundingTolerance);
  // 9.42478 is 3 pi to 6 significant digits, so this one only matches to about 1e-10.
  EXPECT_NEAR(f->evaluate({9.42478, 2.475}), minimum, 1e-9);
  EXPECT_NEAR(f->evaluate({3.0 * kPi, 2.475}), minimum, kRoundingTolerance);
}

TEST(TestFunctionTest, KnownValuesAwayFromTheOptimum) {
  // Hand-computed spot values guard against formulas that are right only at the minimizer.
  EXPECT_NEAR(make_test_function("rosenbrock", 2)->evaluate({0.0, 0.0}), 1.0, 1e-15);
  EXPECT_NEAR(make_test_function("rosenbrock", 3)->evaluate({2.0, 1.0, 0.0}),
              100.0 * 9.0 + 1.0 + 100.0 * 1.0 + 0.0, 1e-12);
  EXPECT_NEAR(make_test_function("styblinski_tang", 2)->evaluate({1.0, 2.0}),
              0.5 * ((1.0 - 16.0 + 5.0) + (16.0 - 64.0 + 10.0)), 1e-12);
  // Ackley at (1, 1): the cosine sum is d, so f = -20 exp(-0.2) - e + 20 + e.
  EXPECT_NEAR(make_test_function("ackley", 2)->evaluate({1.0, 1.0}), 20.0 - 20.0 * std::exp(-0.2),
              1e-12);
  // Levy d = 1 at x = 5: w = 2, sin^2(2 pi) = 0, so f = (w - 1)^2 (1 + sin^2(4 pi)) = 1.
  EXPECT_NEAR(make_test_function("levy", 1)->evaluate({5.0}), 1.0, 1e-12);
  // Hartmann6 at the origin, computed independently with mpmath.
  EXPECT_NEAR(make_test_function("hartmann6")->evaluate(std::vector<double>(6, 0.0)),
              -5.0891128836644401e-3, 1e-15);
  // Branin at (0, 0): 36 + 10 (1 - 1/(8 pi)) + 10.
  EXPECT_NEAR(make_test_function("branin")->evaluate({0.0, 0.0}),
              36.0 + 10.0 * (1.0 - 1.0 / (8.0 * kPi)) + 10.0, 1e-12);
  // Michalewicz d = 2 at (pi/2, pi/2): -sin^20(pi/4) - 1 = -(1/2)^10 - 1.
  EXPECT_NEAR(make_test_function("michalewicz", 2)->evaluate({kPi / 2.0, kPi / 2.0}),
              -std::pow(0.5, 10) - 1.0, 1e-12);
}

TEST(TestFunctionTest, WrongSizeThrows) {
  for (const Case& c : all_cases()) {
    SCOPED_TRACE(describe(c));
    const auto f = make_test_function(c.name, c.dim);
    const auto size = static_cast<std::size_t>(c.dim);
    EXPECT_THROW(f->evaluate(std::vector<double>(size + 1, 0.5)), std::invalid_argument);
    EXPECT_THROW(f->evaluate(std::vector<double>(size - 1, 0.5)), std::invalid_argument);
    EXPECT_THROW(f->evaluate({}), std::invalid_argument);
  }
}

TEST(TestFunctionTest, UnknownNameThrows) {
  EXPECT_THROW(make_test_function("no_such_function"), std::invalid_argument);
  EXPECT_THROW(make_test_function(""), std::invalid_argument);
  EXPECT_THROW(make_test_function("Branin"), std::invalid_argument);
  try {
    make_test_function("no_such_function");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("no_such_function"), std::string::npos) << message;
    EXPECT_NE(message.find("branin"), std::string::npos) << message;
  }
}

TEST(TestFunctionTest, ContinuousFunctionsHaveOnlyContinuousAxes) {
  for (const char* name : {"branin", "hartmann6", "ackley", "levy"}) {
    for (const AxisKind kind : make_test_function(name)->axis_kinds()) {
      EXPECT_EQ(kind, AxisKind::kContinuous) << name;
    }
  }
}

/// MVRSM's Ackley-53 layout (lbliek/MVRSM demo.py, dim53Ackley): 50 two-label categoricals on
/// {0, 1}, then 3 continuous on [-1, 1]; shorter dims keep the 3 continuous coordinates.
TEST(MixedTestFunctionTest, AckleyMixedIsBinaryCategoricalsThenThreeContinuous) {
  for (const int d : {4, 10, 20, 53}) {
    SCOPED_TRACE(d);
    const auto f = make_test_function("ackley_mixed", d);
    const auto kinds = f->axis_kinds();
    const auto domain = f->domain();
    ASSERT_EQ(kinds.size(), static_cast<std::size_t>(d));
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      const bool categorical = i + 3 < kinds.size();
      EXPECT_EQ(kinds[i], categorical ? AxisKind::kCategorical : AxisKind::kContinuous) << i;
      EXPECT_DOUBLE_EQ(domain[i].low, categorical ? 0.0 : -1.0) << i;
      EXPECT_DOUBLE_EQ(domain[i].high, 1.0) << i;
    }
  }
}

/// MVRSM's dim10Rosenbrock (lbliek/MVRSM demo.py): 3 integers on -2 .. 2, then 7 continuous on
/// [-2, 2]; three in ten stay integers at other dims.
TEST(MixedTestFunctionTest, RosenbrockMixedIsThreeIntegersInTenThenContinuous) {
  for (const auto& [d, integers] : std::vector<std::pair<int, int>>{{4, 1}, {10, 3}, {20, 6}}) {
    SCOPED_TRACE(d);
    const auto f = make_test_function("rosenbrock_mixed", d);
    const auto kinds = f->axis_kinds();
    for (std::size_t i = 0; i < kinds.size(); ++i) {
      const bool integer = static_cast<int>(i) < integers;
      EXPECT_EQ(kinds[i], integer ? AxisKind::kInteger : AxisKind::kContinuous) << i;
      EXPECT_DOUBLE_EQ(f->domain()[i].low, -2.0);
      EXPECT_DOUBLE_EQ(f->domain()[i].high, 2.0);
    }
  }
}

/// Values computed from the sources' own formulas (MVRSM testFunctions/syntheticFunctions.py:
/// dim53Ackley, and dim10Rosenbrock's rosen(x) / 300), in Python, independently of this code.
TEST(MixedTestFunctionTest, ValuesMatchTheSourceFormulas) {
  std::vector<double> x53(50, 1.0);
  x53.insert(x53.end(), {0.5, -0.5, 0.25});
  EXPECT_NEAR(make_test_function("ackley_mixed", 53)->evaluate(x53), 3.7937302032153, 1e-12);
  EXPECT_NEAR(make_test_function("ackley_mixed", 10)
                  ->evaluate({1.0, 0.0, 1.0, 0.0, 1.0, 0.0, 1.0, 0.3, -0.7, 0.1}),
              3.2001008933523347, 1e-12);
  // Rosenbrock at the origin: nine terms (0 - 1)^2.
  EXPECT_NEAR(make_test_function("rosenbrock_mixed", 10)->evaluate(std::vector<double>(10, 0.0)),
              9.0 / 300.0, 1e-15);
}

/// A discrete coordinate between two values is rounded before the formula (as MVRSM's and
/// Casmopolitan's code do), so a relaxation is never scored; continuous ones are not.
TEST(MixedTestFunctionTest, DiscreteCoordinatesAreRoundedContinuousOnesAreNot) {
  const auto ackley = make_test_function("ackley_mixed", 10);
  std::vector<double> x(10, 0.0);
  std::vector<double> nudged = x;
  nudged[0] = 0.4;
  nudged[6] = -0.3;
  EXPECT_DOUBLE_EQ(ackley->evaluate(nudged), ackley->evaluate(x));
  nudged[9] = 0.4;
  EXPECT_GT(ackley->evaluate(nudged), ackley->evaluate(x));
  const auto rosenbrock = make_test_function("rosenbrock_mixed", 10);
  std::vector<double> ones(10, 1.0);
  std::vector<double> moved = ones;
  moved[2] = 1.45;
  EXPECT_DOUBLE_EQ(rosenbrock->evaluate(moved), 0.0);
  moved[3] = 1.05;
  EXPECT_GT(rosenbrock->evaluate(moved), 0.0);
}

TEST(TestFunctionTest, UnsupportedDimsThrow) {
  for (const int d : {1, 2, 3}) {
    EXPECT_THROW(make_test_function("ackley_mixed", d), std::invalid_argument) << d;
    EXPECT_THROW(make_test_function("rosenbrock_mixed", d), std::invalid_argument) << d;
  }
  EXPECT_THROW(make_test_function("branin", 3), std::invalid_argument);
  EXPECT_THROW(make_test_function("branin", 1), std::invalid_argument);
  EXPECT_THROW(make_test_function("hartmann6", 5), std::invalid_argument);
  EXPECT_THROW(make_test_function("hartmann6", -6), std::invalid_argument);
  EXPECT_THROW(make_test_function("rosenbrock", 1), std::invalid_argument);
  for (const char* name : {"ackley", "rosenbrock", "levy", "styblinski_tang", "michalewicz"}) {
    EXPECT_THROW(make_test_function(name, -1), std::invalid_argument) << name;
    EXPECT_THROW(make_test_function(name, 1001), std::invalid_argument) << name;
  }
  for (const int d : {1, 3, 4, 6, 20}) {
    EXPECT_THROW(make_test_function("michalewicz", d), std::invalid_argument) << "dim " << d;
  }
  try {
    make_test_function("michalewicz", 3);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("michalewicz"), std::string::npos) << message;
    EXPECT_NE(message.find('3'), std::string::npos) << message;
  }
}

}  // namespace
}  // namespace lorahpo
