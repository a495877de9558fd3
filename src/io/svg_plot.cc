// A small SVG line-plot writer (pathwise/io/svg_plot.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <pathwise/io/svg_plot.h>

namespace pathwise {
namespace {

// Tableau 10: distinguishable, and readable when printed in grey.
constexpr const char* kPalette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
constexpr int kPaletteSize = sizeof(kPalette) / sizeof(kPalette[0]);

constexpr double kMarginLeft = 72.0;
constexpr double kMinMarginRight = 150.0;  // the legend lives here
constexpr double kLegendCharWidth = 7.0;   // generous average advance of 12px sans-serif text
constexpr double kCaptionCharWidth = 6.6;
constexpr double kCaptionLineHeight = 16.0;
constexpr double kMarginTop = 44.0;
constexpr double kMarginBottom = 52.0;

std::string Escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    switch (ch) {
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
        out += "&#39;";
        break;
      default:
        out += ch;
    }
  }
  return out;
}

std::string Fixed(double value, int decimals) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  std::string text(buffer);
  // "-0.00" reads as a mistake on an axis.
  if (text[0] == '-' && text.find_first_not_of("-0.") == std::string::npos) text.erase(0, 1);
  return text;
}

std::string Px(double value) { return Fixed(value, 2); }

std::string DashAttribute(const std::string& dash) {
  return dash.empty() ? "" : " stroke-dasharray=\"" + dash + "\"";
}

// Greedy word wrap at roughly `max_chars` characters a line.
std::vector<std::string> Wrap(const std::string& text, size_t max_chars) {
  std::vector<std::string> lines;
  std::string line;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    const std::string word = text.substr(start, end - start);
    if (!line.empty() && line.size() + 1 + word.size() > max_chars) {
      lines.push_back(line);
      line.clear();
    }
    line += (line.empty() ? "" : " ") + word;
    start = end + 1;
  }
  if (!line.empty()) lines.push_back(line);
  return lines;
}

// The tick spacing near range / target_ticks whose mantissa is 1, 2, 2.5 or 5.
double NiceStep(double range, int target_ticks) {
  const double raw = range / target_ticks;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  const double mantissa = raw / magnitude;
  double nice = 10.0;
  if (mantissa <= 1.0) {
    nice = 1.0;
  } else if (mantissa <= 2.0) {
    nice = 2.0;
  } else if (mantissa <= 2.5) {
    nice = 2.5;
  } else if (mantissa <= 5.0) {
    nice = 5.0;
  }
  return nice * magnitude;
}

int DecimalsFor(double step) {
  if (step >= 1.0) return 0;
  int decimals = static_cast<int>(std::ceil(-std::log10(step) - 1e-9));
  // 0.25, 0.025...: one more digit than the magnitude says.
  if (std::fabs(std::round(step * std::pow(10.0, decimals)) - step * std::pow(10.0, decimals)) >
      1e-9) {
    ++decimals;
  }
  return std::min(decimals, 10);
}

struct Axis {
  double low = 0.0;
  double high = 1.0;
  double step = 0.2;
};

Axis MakeAxis(double low, double high, std::optional<double> fixed_low,
              std::optional<double> fixed_high, int target_ticks) {
  if (fixed_low) low = *fixed_low;
  if (fixed_high) high = *fixed_high;
  if (!(high > low)) {
    const double pad = std::max(1.0, std::fabs(low) * 0.1);
    low -= fixed_low ? 0.0 : pad;
    high += fixed_high ? 0.0 : pad;
    if (!(high > low)) high = low + pad;
  }
  Axis axis;
  axis.step = NiceStep(high - low, target_ticks);
  axis.low = fixed_low ? low : std::floor(low / axis.step + 1e-9) * axis.step;
  axis.high = fixed_high ? high : std::ceil(high / axis.step - 1e-9) * axis.step;
  return axis;
}

Status ValidatePanels(const std::vector<LinePlot>& panels, const SvgOptions& options) {
  if (panels.empty()) return Status::InvalidArgument("no panels to plot");
  if (options.width < 200 || options.width > 10000) {
    return Status::InvalidArgument("width must be in [200, 10000], got " +
                                   std::to_string(options.width));
  }
  if (options.panel_height < 150 || options.panel_height > 10000) {
    return Status::InvalidArgument("panel_height must be in [150, 10000], got " +
                                   std::to_string(options.panel_height));
  }
  for (size_t p = 0; p < panels.size(); ++p) {
    const LinePlot& panel = panels[p];
    const std::string path = "panels[" + std::to_string(p) + "]";
    if (panel.y_min && panel.y_max && !(*panel.y_min < *panel.y_max)) {
      return Status::InvalidArgument(path + ": y_min must be below y_max");
    }
    if ((panel.y_min && !std::isfinite(*panel.y_min)) ||
        (panel.y_max && !std::isfinite(*panel.y_max))) {
      return Status::InvalidArgument(path + ": y_min and y_max must be finite");
    }
    for (size_t s = 0; s < panel.series.size(); ++s) {
      const PlotSeries& series = panel.series[s];
      const std::string series_path = path + ".series[" + std::to_string(s) + "]";
      if (series.dash.find_first_not_of("0123456789 ,.") != std::string::npos) {
        return Status::InvalidArgument(series_path + ".dash: '" + series.dash +
                                       "' is not a dash pattern (numbers separated by spaces)");
      }
      if (series.x.size() != series.y.size()) {
        return Status::InvalidArgument(series_path + ": " + std::to_string(series.x.size()) +
                                       " x values but " + std::to_string(series.y.size()) +
                                       " y values");
      }
      for (size_t i = 0; i < series.x.size(); ++i) {
        if (!std::isfinite(series.x[i])) {
          return Status::InvalidArgument(series_path + ".x[" + std::to_string(i) +
                                         "] is not finite");
        }
        if (std::isinf(series.y[i])) {
          return Status::InvalidArgument(series_path + ".y[" + std::to_string(i) + "] is infinite");
        }
      }
    }
  }
  return Status::Ok();
}

void RenderPanel(const LinePlot& panel, size_t index, double top, double margin_right,
                 const SvgOptions& options, std::string* svg) {
  const double width = options.width;
  const double height = options.panel_height;
  const double left = kMarginLeft;
  const double right = width - margin_right;
  const double plot_top = top + kMarginTop;
  const double bottom = top + height - kMarginBottom;

  double x_low = std::numeric_limits<double>::infinity();
  double x_high = -x_low;
  double y_low = x_low;
  double y_high = -x_low;
  for (const PlotSeries& series : panel.series) {
    for (size_t i = 0; i < series.x.size(); ++i) {
      if (std::isnan(series.y[i])) continue;
      x_low = std::min(x_low, series.x[i]);
      x_high = std::max(x_high, series.x[i]);
      y_low = std::min(y_low, series.y[i]);
      y_high = std::max(y_high, series.y[i]);
    }
  }
  if (!std::isfinite(x_low)) x_low = 0.0, x_high = 1.0, y_low = 0.0, y_high = 1.0;
  if (y_low >= 0.0 && !panel.y_min) y_low = 0.0;
  const Axis x_axis = MakeAxis(x_low, x_high, std::nullopt, std::nullopt, 8);
  const Axis y_axis = MakeAxis(y_low, y_high, panel.y_min, panel.y_max, 6);
  auto sx = [&](double x) {
    return left + (x - x_axis.low) / (x_axis.high - x_axis.low) * (right - left);
  };
  auto sy = [&](double y) {
    return bottom - (y - y_axis.low) / (y_axis.high - y_axis.low) * (bottom - plot_top);
  };

  std::string& out = *svg;
  out += "<g class=\"panel\">\n";
  out += "<text x=\"" + Px((left + right) / 2) + "\" y=\"" + Px(top + 26) +
         "\" text-anchor=\"middle\" font-size=\"16\" font-weight=\"bold\">" + Escape(panel.title) +
         "</text>\n";
  // Grid and tick labels.
  const int x_decimals = DecimalsFor(x_axis.step);
  for (int k = 0;; ++k) {
    const double x = x_axis.low + k * x_axis.step;
    if (x > x_axis.high + x_axis.step * 1e-6) break;
    const std::string px = Px(sx(x));
    out += "<line x1=\"" + px + "\" y1=\"" + Px(plot_top) + "\" x2=\"" + px + "\" y2=\"" +
           Px(bottom) + "\" stroke=\"#e5e5e5\" stroke-width=\"1\"/>\n";
    out += "<text x=\"" + px + "\" y=\"" + Px(bottom + 18) +
           "\" text-anchor=\"middle\" font-size=\"12\">" + Fixed(x, x_decimals) + "</text>\n";
  }
  const int y_decimals = DecimalsFor(y_axis.step);
  for (int k = 0;; ++k) {
    const double y = y_axis.low + k * y_axis.step;
    if (y > y_axis.high + y_axis.step * 1e-6) break;
    const std::string py = Px(sy(y));
    out += "<line x1=\"" + Px(left) + "\" y1=\"" + py + "\" x2=\"" + Px(right) + "\" y2=\"" + py +
           "\" stroke=\"#e5e5e5\" stroke-width=\"1\"/>\n";
    out += "<text x=\"" + Px(left - 8) + "\" y=\"" + Px(sy(y) + 4) +
           "\" text-anchor=\"end\" font-size=\"12\">" + Fixed(y, y_decimals) + "</text>\n";
  }
  out += "<rect x=\"" + Px(left) + "\" y=\"" + Px(plot_top) + "\" width=\"" + Px(right - left) +
         "\" height=\"" + Px(bottom - plot_top) + "\" fill=\"none\" stroke=\"#333333\"/>\n";
  out += "<text x=\"" + Px((left + right) / 2) + "\" y=\"" + Px(bottom + 40) +
         "\" text-anchor=\"middle\" font-size=\"13\">" + Escape(panel.x_label) + "</text>\n";
  out += "<text transform=\"translate(" + Px(left - 52) + " " + Px((plot_top + bottom) / 2) +
         ") rotate(-90)\" text-anchor=\"middle\" font-size=\"13\">" + Escape(panel.y_label) +
         "</text>\n";

  // Lines, clipped to the plot area (a fixed y range may cut them).
  const std::string clip_id = "plot-area-" + std::to_string(index);
  out += "<clipPath id=\"" + clip_id + "\"><rect x=\"" + Px(left) + "\" y=\"" + Px(plot_top) +
         "\" width=\"" + Px(right - left) + "\" height=\"" + Px(bottom - plot_top) +
         "\"/></clipPath>\n";
  int palette_index = 0;
  std::vector<std::string> colors;
  for (const PlotSeries& series : panel.series) {
    const std::string color =
        series.color.empty() ? kPalette[palette_index++ % kPaletteSize] : series.color;
    colors.push_back(color);
    std::string points;
    auto flush = [&] {
      if (points.empty()) return;
      out += "<polyline clip-path=\"url(#" + clip_id + ")\" fill=\"none\" stroke=\"" +
             Escape(color) + "\" stroke-width=\"2\"" + DashAttribute(series.dash) + " points=\"" +
             points + "\"/>\n";
      points.clear();
    };
    for (size_t i = 0; i < series.x.size(); ++i) {
      if (std::isnan(series.y[i])) {
        flush();
        continue;
      }
      if (!points.empty()) points += ' ';
      points += Px(sx(series.x[i])) + "," + Px(sy(series.y[i]));
    }
    flush();
  }

  // Legend, right of the plot.
  double legend_y = plot_top + 8;
  for (size_t s = 0; s < panel.series.size(); ++s) {
    const PlotSeries& series = panel.series[s];
    out += "<line x1=\"" + Px(right + 14) + "\" y1=\"" + Px(legend_y) + "\" x2=\"" +
           Px(right + 40) + "\" y2=\"" + Px(legend_y) + "\" stroke=\"" + Escape(colors[s]) +
           "\" stroke-width=\"2\"" + DashAttribute(series.dash) + "/>\n";
    out += "<text x=\"" + Px(right + 46) + "\" y=\"" + Px(legend_y + 4) + "\" font-size=\"12\">" +
           Escape(series.name) + "</text>\n";
    legend_y += 20;
  }
  out += "</g>\n";
}

}  // namespace

Result<std::string> RenderSvg(const std::vector<LinePlot>& panels, const SvgOptions& options) {
  PATHWISE_RETURN_IF_ERROR(ValidatePanels(panels, options));
  const std::vector<std::string> caption_lines =
      Wrap(options.caption,
           static_cast<size_t>(std::max(20.0, (options.width - 24) / kCaptionCharWidth)));
  const double caption =
      caption_lines.empty() ? 0.0 : 10.0 + kCaptionLineHeight * caption_lines.size();
  const double total_height = caption + options.panel_height * static_cast<double>(panels.size());
  std::string svg = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  svg += "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + std::to_string(options.width) +
         "\" height=\"" + Px(total_height) + "\" viewBox=\"0 0 " + std::to_string(options.width) +
         " " + Px(total_height) + "\" font-family=\"Helvetica, Arial, sans-serif\">\n";
  svg += "<rect x=\"0\" y=\"0\" width=\"100%\" height=\"100%\" fill=\"white\"/>\n";
  for (size_t i = 0; i < caption_lines.size(); ++i) {
    svg += "<text x=\"12\" y=\"" + Px(20 + kCaptionLineHeight * i) +
           "\" font-size=\"12\" fill=\"#444444\">" + Escape(caption_lines[i]) + "</text>\n";
  }
  // One legend width for every panel, so that their x axes line up.
  size_t longest_name = 0;
  for (const LinePlot& panel : panels) {
    for (const PlotSeries& series : panel.series) {
      longest_name = std::max(longest_name, series.name.size());
    }
  }
  const double margin_right = std::min(
      options.width / 2.0, std::max(kMinMarginRight, 60.0 + kLegendCharWidth * longest_name));
  for (size_t p = 0; p < panels.size(); ++p) {
    RenderPanel(panels[p], p, caption + options.panel_height * static_cast<double>(p), margin_right,
                options, &svg);
  }
  svg += "</svg>\n";
  return svg;
}

}  // namespace pathwise
