package nla.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.Rectangle;
import java.awt.geom.Rectangle2D;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.svg.SVGGraphics2D;
import org.junit.jupiter.api.Test;

/** The line charts' axes carry readable, distinct tick labels whatever the data. */
class ChartsTest {
  /** The major tick labels an axis draws, as the chart lays itself out at the report's size. */
  static List<String> tickLabels(JFreeChart chart, boolean domain) {
    SVGGraphics2D g = new SVGGraphics2D(Charts.W, Charts.H);
    ChartRenderingInfo info = new ChartRenderingInfo();
    chart.draw(g, new Rectangle(0, 0, Charts.W, Charts.H), info);
    Rectangle2D dataArea = info.getPlotInfo().getDataArea();
    XYPlot plot = chart.getXYPlot();
    ValueAxis axis = domain ? plot.getDomainAxis() : plot.getRangeAxis();
    RectangleEdge edge = domain ? RectangleEdge.BOTTOM : RectangleEdge.LEFT;
    List<?> ticks = axis.refreshTicks(g, new AxisState(), dataArea, edge);
    return ticks.stream()
        .map(ValueTick.class::cast)
        .filter(t -> t.getTickType() == TickType.MAJOR)
        .map(ValueTick::getText)
        .toList();
  }

  static double[][] bestOfN(double... fve) {
    double[][] xy = new double[fve.length][];
    for (int i = 0; i < fve.length; i++) xy[i] = new double[] {i + 1, fve[i]};
    return xy;
  }

  static void assertReadable(List<String> labels) {
    assertTrue(labels.size() >= 2, "at least two ticks: " + labels);
    assertEquals(labels.size(), new HashSet<>(labels).size(), "distinct: " + labels);
    for (String l : labels) {
      assertFalse(l.contains("E"), "no scientific notation: " + labels);
      assertTrue(l.length() <= 6, "few significant digits: " + labels);
    }
  }

  @Test
  void aConstantSeriesGetsARangeAroundItWithDistinctShortYLabels() {
    double v = -0.8783518;
    JFreeChart c = Charts.lines("N", "FVE", Map.of("best", bestOfN(v, v, v, v)), 2, Map.of());
    List<String> y = tickLabels(c, false);
    assertReadable(y);
    assertTrue(c.getXYPlot().getRangeAxis().getRange().contains(v));
    assertTrue(c.getXYPlot().getRangeAxis().getRange().getLength() >= 0.1);
  }

  @Test
  void aConstantZeroSeriesAndAnOrdinarySeriesHaveReadableYLabelsToo() {
    assertReadable(
        tickLabels(Charts.lines("N", "FVE", Map.of("s", bestOfN(0, 0)), 2, Map.of()), false));
    assertReadable(
        tickLabels(
            Charts.lines("N", "FVE", Map.of("s", bestOfN(0.41, 0.47, 0.5, 0.52)), 2, Map.of()),
            false));
  }

  @Test
  void aCountAxisHasOneTickPerPoint() {
    JFreeChart c =
        Charts.lines("N", "FVE", Map.of("best", bestOfN(0.1, 0.2, 0.25, 0.27)), 2, Map.of());
    assertEquals(List.of("1", "2", "3", "4"), tickLabels(c, true));
  }

  @Test
  void crowdedCountsKeepTheEndsAndDropOnlyOverlappingLabels() {
    double[] fve = new double[64];
    for (int i = 0; i < fve.length; i++) fve[i] = Math.log(i + 1);
    List<String> x =
        tickLabels(Charts.lines("N", "FVE", Map.of("best", bestOfN(fve)), 2, Map.of()), true);
    assertTrue(x.containsAll(List.of("1", "2", "3", "4", "64")), x.toString());
    assertTrue(x.size() < 64, "the top of the log scale cannot hold 64 labels: " + x);
  }
}
