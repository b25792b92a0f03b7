#include "report/svg_plot.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include <fmt/format.h>

namespace lorahpo::report {
namespace {

constexpr double kMarginLeft = 64.0;
constexpr double kMarginRight = 14.0;
constexpr double kMarginTop = 28.0;
constexpr double kMarginBottom = 44.0;
constexpr double kTickLength = 4.0;
constexpr double kFontSize = 11.0;
/// Rough width of a character of the 11 px sans-serif font, to size the legend.
constexpr double kCharWidth = 6.2;
constexpr double kLegendRow = 16.0;
constexpr double kBarHeight = 0.8;  ///< fraction of a row

std::string px(double v) {
  return fmt::format("{:.2f}", v);
}

/// One marker element (with its hover text as a <title> child).
std::string marker_svg(double cx, double cy, const SeriesStyle& s, const std::string& tip) {
  const double r = s.marker_size;
  const std::string fill = s.filled ? s.color : "none";
  std::string open;
  switch (s.marker) {
    case Marker::kCircle:
      open = fmt::format(R"(<circle cx="{}" cy="{}" r="{}" fill="{}" stroke="{}" stroke-width="1")",
                         px(cx), px(cy), px(r), fill, s.color);
      break;
    case Marker::kSquare:
      open = fmt::format(
          R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="{}" stroke-width="1")",
          px(cx - r), px(cy - r), px(2 * r), px(2 * r), fill, s.color);
      break;
    case Marker::kCross:
      open = fmt::format(
          R"(<path d="M{} {}L{} {}M{} {}L{} {}" fill="none" stroke="{}" stroke-width="1.6")",
          px(cx - r), px(cy - r), px(cx + r), px(cy + r), px(cx - r), px(cy + r), px(cx + r),
          px(cy - r), s.color);
      break;
    case Marker::kTriangle:
      open = fmt::format(
          R"(<polygon points="{},{} {},{} {},{}" fill="{}" stroke="{}" stroke-width="1")", px(cx),
          px(cy - r * 1.15), px(cx - r), px(cy + r * 0.75), px(cx + r), px(cy + r * 0.75), fill,
          s.color);
      break;
  }
  const char* tag = s.marker == Marker::kCircle   ? "circle"
                    : s.marker == Marker::kSquare ? "rect"
                    : s.marker == Marker::kCross  ? "path"
                                                  : "polygon";
  if (tip.empty()) return open + "/>\n";
  return fmt::format("{}><title>{}</title></{}>\n", open, xml_escape(tip), tag);
}

std::string polyline_svg(const std::vector<std::array<double, 2>>& points, const SeriesStyle& s) {
  if (points.size() < 2) return "";
  std::string coords;
  for (const auto& p : points) coords += px(p[0]) + "," + px(p[1]) + " ";
  coords.pop_back();
  return fmt::format(R"(<polyline points="{}" fill="none" stroke="{}" stroke-width="{}"{}/>)",
                     coords, s.color, px(s.line_width),
                     s.dashed ? R"( stroke-dasharray="5,3")" : "") +
         "\n";
}

std::string text_svg(double x, double y, const std::string& anchor, const std::string& text,
                     const std::string& extra = "") {
  return fmt::format(R"(<text x="{}" y="{}" text-anchor="{}"{}>{}</text>)", px(x), px(y), anchor,
                     extra, xml_escape(text)) +
         "\n";
}

struct Extent {
  double lo = std::numeric_limits<double>::infinity();
  double hi = -std::numeric_limits<double>::infinity();
  void add(double v, AxisScale scale) {
    if (!std::isfinite(v) || (scale == AxisScale::kLog10 && v <= 0.0)) return;
    lo = std::min(lo, v);
    hi = std::max(hi, v);
  }
  bool empty() const { return lo > hi; }
};

}  // namespace

std::string xml_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&apos;";
        break;
      default:
        // Control characters other than tab/newline are not allowed in XML 1.0.
        if (static_cast<unsigned char>(c) >= 0x20 || c == '\t' || c == '\n') out += c;
    }
  }
  return out;
}

const std::string& palette_color(std::size_t i) {
  static const std::array<std::string, 10> kTableau10 = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                                         "#76b7b2", "#edc948", "#b07aa1", "#ff9da7",
                                                         "#9c755f", "#bab0ac"};
  return kTableau10[i % kTableau10.size()];
}

SvgPlot::SvgPlot(std::string title, std::string x_label, std::string y_label)
    : title_(std::move(title)), x_label_(std::move(x_label)), y_label_(std::move(y_label)) {}

void SvgPlot::add_scatter(std::string legend, std::vector<Point> points, SeriesStyle style) {
  series_.push_back({Kind::kScatter, std::move(legend), std::move(points), std::move(style)});
}
void SvgPlot::add_line(std::string legend, std::vector<Point> points, SeriesStyle style) {
  series_.push_back({Kind::kLine, std::move(legend), std::move(points), std::move(style)});
}
void SvgPlot::add_step(std::string legend, std::vector<Point> points, SeriesStyle style) {
  series_.push_back({Kind::kStep, std::move(legend), std::move(points), std::move(style)});
}
void SvgPlot::add_bottom_marks(std::string legend, std::vector<Point> points, SeriesStyle style) {
  series_.push_back({Kind::kBottomMarks, std::move(legend), std::move(points), std::move(style)});
}
void SvgPlot::add_bars(std::vector<Bar> bars) {
  bars_.insert(bars_.end(), std::make_move_iterator(bars.begin()),
               std::make_move_iterator(bars.end()));
}
void SvgPlot::add_legend_swatch(std::string label, std::string color) {
  swatches_.push_back({std::move(label), std::move(color)});
}

Axis SvgPlot::make_x_axis() const {
  if (!x_categories_.empty()) return Axis::categorical(x_categories_);
  if (x_range_) return Axis::numeric(x_range_->lo, x_range_->hi, x_scale_);
  Extent e;
  for (const Series& s : series_) {
    for (const Point& p : s.points) e.add(p.x, x_scale_);
  }
  for (const Bar& b : bars_) {
    e.add(b.x0, x_scale_);
    e.add(b.x1, x_scale_);
  }
  if (e.empty())
    return Axis::numeric(x_scale_ == AxisScale::kLog10 ? 1.0 : 0.0,
                         x_scale_ == AxisScale::kLog10 ? 10.0 : 1.0, x_scale_);
  return Axis::numeric(e.lo, e.hi, x_scale_);
}

Axis SvgPlot::make_y_axis() const {
  if (!y_categories_.empty()) return Axis::categorical(y_categories_);
  if (y_range_) return Axis::numeric(y_range_->lo, y_range_->hi, y_scale_);
  Extent e;
  for (const Series& s : series_) {
    if (s.kind == Kind::kBottomMarks) continue;
    for (const Point& p : s.points) e.add(p.y, y_scale_);
  }
  for (const Bar& b : bars_) e.add(b.row, y_scale_);
  if (e.empty())
    return Axis::numeric(y_scale_ == AxisScale::kLog10 ? 1.0 : 0.0,
                         y_scale_ == AxisScale::kLog10 ? 10.0 : 1.0, y_scale_);
  return Axis::numeric(e.lo, e.hi, y_scale_);
}

std::string SvgPlot::render(double width, double height) const {
  return fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="sans-serif" font-size="{2}">
<rect x="0" y="0" width="{0}" height="{1}" fill="white"/>
)",
                     px(width), px(height), kFontSize) +
         render_group(0.0, 0.0, width, height) + "</svg>\n";
}

namespace {
bool inside(double fraction) {
  return fraction >= -1e-6 && fraction <= 1.0 + 1e-6;
}
}  // namespace

double SvgPlot::Frame::width() const {
  return std::max(1.0, right - left);
}
double SvgPlot::Frame::height() const {
  return std::max(1.0, bottom - top);
}
double SvgPlot::Frame::map_x(double v) const {
  return left + x_axis.fraction(v) * width();
}
double SvgPlot::Frame::map_y(double v) const {
  return bottom - y_axis.fraction(v) * height();
}

double SvgPlot::legend_width(double group_width) const {
  std::size_t longest = 0;
  int entries = 0;
  for (const Series& s : series_) {
    if (s.legend.empty()) continue;
    longest = std::max(longest, s.legend.size());
    ++entries;
  }
  for (const Swatch& s : swatches_) {
    longest = std::max(longest, s.label.size());
    ++entries;
  }
  if (entries == 0) return 0.0;
  return std::min(0.4 * group_width, 30.0 + kCharWidth * static_cast<double>(longest));
}

std::string SvgPlot::render_group(double x, double y, double width, double height) const {
  // The legend sits right of the plot area.
  const Frame f{make_x_axis(),   make_y_axis(),
                x + kMarginLeft, x + width - kMarginRight - legend_width(width),
                y + kMarginTop,  y + height - kMarginBottom};
  std::string out = "<g class=\"plot\">\n";
  out += render_axes(f, x, y, width, height);
  // Bars first, so that markers and lines stay visible on top.
  out += render_bars(f);
  out += render_series(f);
  out += render_legend(f);
  out += "</g>\n";
  return out;
}

std::string SvgPlot::render_axes(const Frame& f, double x, double y, double width,
                                 double height) const {
  std::string out =
      fmt::format(
          R"(<rect x="{}" y="{}" width="{}" height="{}" fill="white" stroke="#888888" stroke-width="1"/>)",
          px(f.left), px(f.top), px(f.width()), px(f.height())) +
      "\n";
  out += text_svg(x + width / 2.0, y + 17.0, "middle", title_,
                  R"( font-size="13" font-weight="bold")");

  // Grid, ticks and tick labels.
  for (const Tick& t : f.x_axis.ticks()) {
    const double fraction = f.x_axis.fraction(t.value);
    if (!inside(fraction)) continue;
    const double cx = f.left + fraction * f.width();
    out += fmt::format(
               R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#e4e4e4" stroke-width="1"/>)",
               px(cx), px(f.top), px(f.bottom)) +
           "\n";
    out += fmt::format(
               R"(<line x1="{0}" y1="{1}" x2="{0}" y2="{2}" stroke="#444444" stroke-width="1"/>)",
               px(cx), px(f.bottom), px(f.bottom + kTickLength)) +
           "\n";
    out += text_svg(cx, f.bottom + kTickLength + 12.0, "middle", t.label);
  }
  for (const Tick& t : f.y_axis.ticks()) {
    const double fraction = f.y_axis.fraction(t.value);
    if (!inside(fraction)) continue;
    const double cy = f.bottom - fraction * f.height();
    out += fmt::format(
               R"(<line x1="{1}" y1="{0}" x2="{2}" y2="{0}" stroke="#e4e4e4" stroke-width="1"/>)",
               px(cy), px(f.left), px(f.right)) +
           "\n";
    out += fmt::format(
               R"(<line x1="{1}" y1="{0}" x2="{2}" y2="{0}" stroke="#444444" stroke-width="1"/>)",
               px(cy), px(f.left - kTickLength), px(f.left)) +
           "\n";
    out += text_svg(f.left - kTickLength - 3.0, cy + 4.0, "end", t.label);
  }
  out += text_svg(f.left + f.width() / 2.0, y + height - 8.0, "middle", x_label_);
  const double label_x = x + 14.0, label_y = f.top + f.height() / 2.0;
  // translate + rotate rather than rotate(a x y): simpler renderers only know the former.
  out += text_svg(
      0.0, 0.0, "middle", y_label_,
      fmt::format(R"svg( transform="translate({},{}) rotate(-90)")svg", px(label_x), px(label_y)));
  return out;
}

std::string SvgPlot::render_bars(const Frame& f) const {
  std::string out;
  for (const Bar& b : bars_) {
    if (!f.x_axis.accepts(b.x0) || !f.x_axis.accepts(b.x1) || !f.y_axis.accepts(b.row)) continue;
    const double x0 = f.map_x(std::min(b.x0, b.x1));
    const double x1 = f.map_x(std::max(b.x0, b.x1));
    const double y0 = f.map_y(b.row + kBarHeight / 2.0);
    const double y1 = f.map_y(b.row - kBarHeight / 2.0);
    const std::string open = fmt::format(
        R"(<rect x="{}" y="{}" width="{}" height="{}" fill="{}" stroke="white" stroke-width="0.5")",
        px(x0), px(std::min(y0, y1)), px(std::max(0.5, x1 - x0)), px(std::abs(y1 - y0)), b.color);
    out += b.tip.empty() ? open + "/>\n"
                         : fmt::format("{}><title>{}</title></rect>\n", open, xml_escape(b.tip));
  }
  return out;
}

std::string SvgPlot::render_series(const Frame& f) const {
  std::string out;
  const Axis& xa = f.x_axis;
  const Axis& ya = f.y_axis;
  for (const Series& s : series_) {
    switch (s.kind) {
      case Kind::kScatter:
        for (const Point& p : s.points) {
          if (!xa.accepts(p.x) || !ya.accepts(p.y) || !inside(xa.fraction(p.x)) ||
              !inside(ya.fraction(p.y))) {
            continue;
          }
          out += marker_svg(f.map_x(p.x), f.map_y(p.y), s.style, p.tip);
        }
        break;
      case Kind::kBottomMarks:
        for (const Point& p : s.points) {
          if (!xa.accepts(p.x) || !inside(xa.fraction(p.x))) continue;
          out += marker_svg(f.map_x(p.x), f.bottom - s.style.marker_size - 2.0, s.style, p.tip);
        }
        break;
      case Kind::kLine:
      case Kind::kStep: {
        // Non-drawable points break the line into runs.
        std::vector<std::array<double, 2>> run;
        for (const Point& p : s.points) {
          if (!xa.accepts(p.x) || !ya.accepts(p.y)) {
            out += polyline_svg(run, s.style);
            run.clear();
            continue;
          }
          if (s.kind == Kind::kStep && !run.empty()) run.push_back({f.map_x(p.x), run.back()[1]});
          run.push_back({f.map_x(p.x), f.map_y(p.y)});
        }
        out += polyline_svg(run, s.style);
        break;
      }
    }
  }
  return out;
}

std::string SvgPlot::render_legend(const Frame& f) const {
  std::string out;
  double ly = f.top + 10.0;
  const double lx = f.right + 10.0;
  for (const Series& s : series_) {
    if (s.legend.empty()) continue;
    if (s.kind == Kind::kLine || s.kind == Kind::kStep) {
      out += polyline_svg({{lx, ly}, {lx + 16.0, ly}}, s.style);
    } else {
      out += marker_svg(lx + 8.0, ly, s.style, "");
    }
    out += text_svg(lx + 22.0, ly + 4.0, "start", s.legend);
    ly += kLegendRow;
  }
  for (const Swatch& s : swatches_) {
    out += fmt::format(R"(<rect x="{}" y="{}" width="16" height="10" fill="{}"/>)", px(lx),
                       px(ly - 5.0), s.color) +
           "\n";
    out += text_svg(lx + 22.0, ly + 4.0, "start", s.label);
    ly += kLegendRow;
  }
  return out;
}

std::string render_grid(const std::vector<SvgPlot>& plots, int columns, double cell_width,
                        double cell_height, const std::string& title) {
  columns =
      std::max(1, std::min(columns, static_cast<int>(std::max<std::size_t>(plots.size(), 1))));
  const int rows = (static_cast<int>(plots.size()) + columns - 1) / columns;
  constexpr double kTitleHeight = 30.0;
  const double width = columns * cell_width;
  const double height = kTitleHeight + std::max(rows, 1) * cell_height;
  std::string out = fmt::format(R"(<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="{0}" height="{1}" viewBox="0 0 {0} {1}" font-family="sans-serif" font-size="{2}">
<rect x="0" y="0" width="{0}" height="{1}" fill="white"/>
)",
                                px(width), px(height), kFontSize);
  out += text_svg(width / 2.0, 20.0, "middle", title, R"( font-size="15" font-weight="bold")");
  for (std::size_t i = 0; i < plots.size(); ++i) {
    const double cx = static_cast<double>(static_cast<int>(i) % columns) * cell_width;
    const double cy =
        kTitleHeight + static_cast<double>(static_cast<int>(i) / columns) * cell_height;
    out += plots[i].render_group(cx, cy, cell_width, cell_height);
  }
  return out + "</svg>\n";
}

}  // namespace lorahpo::report
