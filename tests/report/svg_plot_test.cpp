#include "report/svg_plot.h"

#include <gtest/gtest.h>

#include "report/axis.h"
#include "tests/report/xml_check.h"

namespace lorahpo::report {
namespace {

using testing::check_xml;

constexpr double kTol = 1e-12;

std::vector<double> tick_values(const Axis& axis) {
  std::vector<double> out;
  for (const Tick& t : axis.ticks()) out.push_back(t.value);
  return out;
}

TEST(Axis, LinearTicksAreNiceAndEncloseTheData) {
  const Axis axis = Axis::numeric(0.13, 0.57, AxisScale::kLinear);
  ASSERT_EQ(axis.ticks().size(), 6u);
  EXPECT_NEAR(axis.lo(), 0.1, kTol);
  EXPECT_NEAR(axis.hi(), 0.6, kTol);
  EXPECT_EQ(axis.ticks().front().label, "0.1");
  EXPECT_EQ(axis.ticks().back().label, "0.6");
  EXPECT_NEAR(axis.fraction(0.35), 0.5, kTol);
  // A single value still gets a range.
  const Axis flat = Axis::numeric(2.0, 2.0, AxisScale::kLinear);
  EXPECT_LT(flat.lo(), 2.0);
  EXPECT_GT(flat.hi(), 2.0);
}

TEST(Axis, LogTicksAreDecades) {
  const Axis axis = Axis::numeric(3e-9, 0.05, AxisScale::kLog10);
  EXPECT_NEAR(axis.lo(), 1e-9, 1e-21);
  EXPECT_NEAR(axis.hi(), 0.1, 1e-15);
  ASSERT_EQ(axis.ticks().size(), 9u);
  EXPECT_EQ(axis.ticks().front().label, "1e-9");
  EXPECT_EQ(axis.ticks().back().label, "1e-1");
  // Equal ratios are equal distances.
  EXPECT_NEAR(axis.fraction(1e-5) - axis.fraction(1e-6), axis.fraction(1e-2) - axis.fraction(1e-3),
              kTol);
  EXPECT_FALSE(axis.accepts(0.0));
  EXPECT_FALSE(axis.accepts(-1.0));
  // Less than a decade: 1-2-5 ticks.
  const Axis narrow = Axis::numeric(2e-4, 7e-4, AxisScale::kLog10);
  EXPECT_EQ(tick_values(narrow).size(), 4u);  // 1e-4, 2e-4, 5e-4, 1e-3
}

TEST(Axis, CategoricalPutsLabelsAtIndices) {
  const Axis axis = Axis::categorical({"bf16-true", "16-mixed"});
  ASSERT_EQ(axis.ticks().size(), 2u);
  EXPECT_EQ(axis.ticks()[1].label, "16-mixed");
  EXPECT_NEAR(axis.fraction(0.0), 0.25, kTol);
  EXPECT_NEAR(axis.fraction(1.0), 0.75, kTol);
}

TEST(SvgPlot, RendersWellFormedSvgWithOneElementPerPrimitive) {
  SvgPlot plot("score <per> evaluation & more", "evaluation", "score");
  plot.add_scatter("ok",
                   {{1, 0.5, "#0 a<b"}, {2, 0.6, ""}, {3, 0.55, ""}, {4, 0.7, ""}, {5, 0.65, ""}},
                   SeriesStyle{});
  SeriesStyle cross;
  cross.marker = Marker::kCross;
  plot.add_bottom_marks("failed", {{6, 0, ""}, {7, 0, ""}}, cross);
  SeriesStyle line;
  line.color = "#f28e2b";
  plot.add_step("best", {{1, 0.5, ""}, {2, 0.6, ""}, {4, 0.7, ""}}, line);
  const std::string svg = plot.render(640, 400);

  const auto check = check_xml(svg);
  ASSERT_TRUE(check.ok) << check.error << "\n" << svg;
  EXPECT_EQ(check.elements.at("svg"), 1);
  EXPECT_EQ(check.elements.at("circle"), 5 + 1);    // points + legend sample
  EXPECT_EQ(check.elements.at("path"), 2 + 1);      // failure crosses + legend sample
  EXPECT_EQ(check.elements.at("polyline"), 1 + 1);  // the step + legend sample
  EXPECT_EQ(check.elements.at("title"), 1);         // the one tooltip
  EXPECT_NE(svg.find("score &lt;per&gt; evaluation &amp; more"), std::string::npos);
  EXPECT_NE(svg.find(">evaluation</text>"), std::string::npos);
}

TEST(SvgPlot, LogAxisDropsNonPositiveValues) {
  SvgPlot plot("lr", "evaluation", "learning_rate");
  plot.set_y_scale(AxisScale::kLog10);
  plot.add_scatter("", {{1, 1e-5, ""}, {2, 0.0, ""}, {3, -1.0, ""}, {4, 1e-2, ""}}, SeriesStyle{});
  const std::string svg = plot.render(400, 300);
  const auto check = check_xml(svg);
  ASSERT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.elements.at("circle"), 2);
  EXPECT_NE(svg.find(">1e-5</text>"), std::string::npos);
}

TEST(SvgPlot, GanttBarsAndSwatches) {
  SvgPlot plot("timeline", "seconds", "");
  plot.set_y_categories({"worker 1", "worker 2"});
  plot.add_bars({{0, 0, 10, "#59a14f", "#0"}, {1, 0, 4, "#e15759", ""}, {1, 4, 9, "#59a14f", ""}});
  plot.add_legend_swatch("ok", "#59a14f");
  plot.add_legend_swatch("failed", "#e15759");
  const auto check = check_xml(plot.render(600, 200));
  ASSERT_TRUE(check.ok) << check.error;
  // background + plot frame + 3 bars + 2 swatches
  EXPECT_EQ(check.elements.at("rect"), 1 + 1 + 3 + 2);
}

TEST(SvgPlot, GridComposesPanelsInOneDocument) {
  std::vector<SvgPlot> panels;
  for (int i = 0; i < 5; ++i) {
    SvgPlot p("panel", "x", "y");
    p.add_scatter("", {{1, 1, ""}, {2, 2, ""}}, SeriesStyle{});
    panels.push_back(p);
  }
  const auto check = check_xml(render_grid(panels, 3, 300, 200, "grid"));
  ASSERT_TRUE(check.ok) << check.error;
  EXPECT_EQ(check.elements.at("g"), 5);
  EXPECT_EQ(check.elements.at("circle"), 10);
}

TEST(XmlCheck, RejectsBrokenDocuments) {
  EXPECT_FALSE(check_xml("<svg><g></svg></g>").ok);
  EXPECT_FALSE(check_xml("<svg><text>a & b</text></svg>").ok);
  EXPECT_FALSE(check_xml("<svg x=1/>").ok);
  EXPECT_FALSE(check_xml("<svg/><svg/>").ok);
  EXPECT_TRUE(check_xml("<?xml version=\"1.0\"?>\n<svg a=\"1\"><g/><!-- c --></svg>\n").ok);
}

}  // namespace
}  // namespace lorahpo::report
