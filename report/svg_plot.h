#pragma once

#include <optional>
#include <string>
#include <vector>

#include "report/axis.h"

namespace lorahpo::report {

enum class Marker { kCircle, kSquare, kCross, kTriangle };

/// How a series is drawn. Colours are SVG colour strings.
struct SeriesStyle {
  std::string color = "#1f77b4";
  Marker marker = Marker::kCircle;
  double marker_size = 3.5;  ///< radius in pixels
  bool filled = true;        ///< hollow markers when false
  double line_width = 1.5;
  bool dashed = false;
};

/// A data point; `tip` (optional) becomes the marker's hover text.
struct Point {
  double x = 0.0;
  double y = 0.0;
  std::string tip;
};

/// A horizontal bar from x0 to x1 on row `row` (a y value: the index of a categorical y axis),
/// 0.8 of a row high. The Gantt chart's primitive.
struct Bar {
  double row = 0.0;
  double x0 = 0.0;
  double x1 = 0.0;
  std::string color;
  std::string tip;
};

/// One chart: axes with ticks, tick labels, grid and axis labels, a title, a legend, and series
/// of markers, lines, steps, bars, and marks along the bottom edge (points without a y, e.g. failed
/// evaluations). Axes fit the data unless a range or categories are set. Non-finite values, and
/// values <= 0 on a log axis, are not drawn.
class SvgPlot {
 public:
  SvgPlot(std::string title, std::string x_label, std::string y_label);

  void set_x_scale(AxisScale scale) { x_scale_ = scale; }
  void set_y_scale(AxisScale scale) { y_scale_ = scale; }
  void set_x_categories(std::vector<std::string> labels) { x_categories_ = std::move(labels); }
  void set_y_categories(std::vector<std::string> labels) { y_categories_ = std::move(labels); }
  void set_x_range(double lo, double hi) { x_range_ = Range{lo, hi}; }
  void set_y_range(double lo, double hi) { y_range_ = Range{lo, hi}; }

  /// Empty `legend` keeps a series out of the legend.
  void add_scatter(std::string legend, std::vector<Point> points, SeriesStyle style);
  void add_line(std::string legend, std::vector<Point> points, SeriesStyle style);
  /// A staircase: horizontal to the next x, then vertical (a best-so-far curve).
  void add_step(std::string legend, std::vector<Point> points, SeriesStyle style);
  /// Markers on the bottom edge of the plot area at the points' x (their y is ignored).
  void add_bottom_marks(std::string legend, std::vector<Point> points, SeriesStyle style);
  void add_bars(std::vector<Bar> bars);
  /// A colour swatch in the legend (for bars).
  void add_legend_swatch(std::string label, std::string color);

  /// A standalone SVG document.
  std::string render(double width, double height) const;
  /// The same chart as a <g> placed at (x, y), to compose several charts into one document.
  std::string render_group(double x, double y, double width, double height) const;

 private:
  struct Range {
    double lo;
    double hi;
  };
  enum class Kind { kScatter, kLine, kStep, kBottomMarks };
  struct Series {
    Kind kind;
    std::string legend;
    std::vector<Point> points;
    SeriesStyle style;
  };
  struct Swatch {
    std::string label;
    std::string color;
  };

  Axis make_x_axis() const;
  Axis make_y_axis() const;

  /// Where the plot area of a group sits, and its axes: data to pixel coordinates.
  struct Frame {
    Axis x_axis;
    Axis y_axis;
    double left = 0.0, right = 0.0, top = 0.0, bottom = 0.0;
    double width() const;
    double height() const;
    double map_x(double v) const;
    double map_y(double v) const;
  };
  /// Width of the legend right of the plot area (0 without entries).
  double legend_width(double group_width) const;
  /// The plot area's box, the title, grid lines, ticks, tick labels and axis labels.
  std::string render_axes(const Frame& f, double x, double y, double width, double height) const;
  std::string render_bars(const Frame& f) const;
  std::string render_series(const Frame& f) const;
  std::string render_legend(const Frame& f) const;

  std::string title_;
  std::string x_label_;
  std::string y_label_;
  AxisScale x_scale_ = AxisScale::kLinear;
  AxisScale y_scale_ = AxisScale::kLinear;
  std::vector<std::string> x_categories_;
  std::vector<std::string> y_categories_;
  std::optional<Range> x_range_;
  std::optional<Range> y_range_;
  std::vector<Series> series_;
  std::vector<Bar> bars_;
  std::vector<Swatch> swatches_;
};

/// Several charts in one SVG document, `columns` per row, each cell_width x cell_height, under a
/// title.
std::string render_grid(const std::vector<SvgPlot>& plots, int columns, double cell_width,
                        double cell_height, const std::string& title);

/// Text escaped for SVG/XML content and attribute values.
std::string xml_escape(const std::string& text);

/// The i-th colour of a 10-colour categorical palette (Tableau 10), cycling.
const std::string& palette_color(std::size_t i);

}  // namespace lorahpo::report
