// Line plots as standalone SVG, written by our own small writer (no plotting dependency): enough
// for learning curves that a person opens in a browser.
#ifndef PATHWISE_IO_SVG_PLOT_H_
#define PATHWISE_IO_SVG_PLOT_H_

#include <optional>
#include <string>
#include <vector>

#include <pathwise/result.h>
#include <pathwise/status.h>

namespace pathwise {

/// One line of a plot.
struct PlotSeries {
  std::string name;  ///< shown in the legend
  std::vector<double> x;
  std::vector<double> y;  ///< same length as x; a NaN y leaves a gap in the line
  /// An SVG stroke-dasharray such as "6 4" (digits, spaces, commas and dots only); empty for a
  /// solid line.
  std::string dash;
  /// An SVG colour ("#1f77b4", "teal"); empty picks the next colour of a fixed palette.
  std::string color;
};

/// One panel: axes, grid, lines and a legend.
struct LinePlot {
  std::string title;
  std::string x_label;
  std::string y_label;
  std::vector<PlotSeries> series;
  /// Axis range; unset means from the data, rounded out to tick marks (y starts at 0 when the
  /// data are all >= 0).
  std::optional<double> y_min;
  std::optional<double> y_max;
};

struct SvgOptions {
  int width = 820;         ///< pixels, in [200, 10000]
  int panel_height = 400;  ///< pixels per panel, in [150, 10000]
  /// Optional text above the panels (e.g. what was simulated, with the seed); wrapped to the width.
  std::string caption;
};

/// The panels stacked vertically as one SVG document (UTF-8, with an XML declaration). Text is
/// escaped; numbers are printed with a fixed format, so the same input gives the same bytes.
///
/// The legend sits right of each plot, as wide as its longest name needs.
///
/// Returns InvalidArgument naming "panels[i].series[j]" for x and y of different lengths, an x that
/// is not finite, a y that is infinite, or a dash pattern with other characters; or for a y range
/// whose y_min >= y_max, no panels, or sizes out of range.
///
/// Thread safety: reentrant.
///
/// Example:
///
///     pathwise::LinePlot plot;
///     plot.title = "Learning curves";
///     plot.series.push_back({"mastery", {0, 10, 20}, {0, 4.5, 8}});
///     auto svg = pathwise::RenderSvg({plot});
///     if (svg.ok()) std::ofstream("curves.svg") << *svg;
[[nodiscard]] Result<std::string> RenderSvg(const std::vector<LinePlot>& panels,
                                            const SvgOptions& options = {});

}  // namespace pathwise

#endif  // PATHWISE_IO_SVG_PLOT_H_
