package nla.study;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.Rectangle;
import java.awt.geom.Line2D;
import java.awt.geom.Rectangle2D;
import java.text.DecimalFormat;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.annotations.XYTextAnnotation;
import org.jfree.chart.axis.AxisState;
import org.jfree.chart.axis.CategoryAxis;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.NumberTick;
import org.jfree.chart.axis.SymbolAxis;
import org.jfree.chart.axis.TickType;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.axis.ValueTick;
import org.jfree.chart.plot.CategoryPlot;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.ValueMarker;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.LookupPaintScale;
import org.jfree.chart.renderer.category.BarRenderer;
import org.jfree.chart.renderer.category.CategoryItemRendererState;
import org.jfree.chart.renderer.category.StandardBarPainter;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.ui.RectangleAnchor;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.Range;
import org.jfree.data.category.CategoryDataset;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.jfree.svg.SVGGraphics2D;

/** The report's figures, drawn by JFreeChart into inline SVG (JFreeSVG). */
final class Charts {
  static {
    System.setProperty("java.awt.headless", "true");
  }

  private Charts() {}

  static final int W = 720;
  static final int H = 380;
  private static final Color[] PALETTE = {
    new Color(0x1f77b4),
    new Color(0xff7f0e),
    new Color(0x2ca02c),
    new Color(0xd62728),
    new Color(0x9467bd),
    new Color(0x8c564b)
  };

  /**
   * Why charts cannot be drawn here, or null: Java2D lays text out with the system's fonts, and a
   * machine with none (a bare GPU server, a slim container) fails on the first label. Asked once.
   */
  private static String noFonts;

  private static boolean fontsProbed;

  static synchronized String fontProblem() {
    if (!fontsProbed) {
      fontsProbed = true;
      try {
        new Font(Font.SANS_SERIF, Font.PLAIN, 12)
            .getLineMetrics("0", new java.awt.font.FontRenderContext(null, true, true));
      } catch (RuntimeException | Error e) { // the font manager's own failure, whatever its type
        noFonts = String.valueOf(e.getMessage()).lines().findFirst().orElse("no fonts");
        System.err.println(
            "nla: the report's charts are left out: Java finds no fonts on this machine ("
                + noFonts
                + "); install fontconfig and a font (Debian/Ubuntu: fonts-dejavu-core) to get them");
      }
    }
    return noFonts;
  }

  /** As if Java found no fonts (for the tests: the machines they run on have fonts). */
  static synchronized void assumeNoFonts(String reason) {
    fontsProbed = true;
    noFonts = reason;
  }

  /**
   * Renders a chart as an {@code <svg>} element; {@code id} keeps each figure's defs distinct.
   * Without fonts, a line saying why stands in its place: the numbers are in the tables beside it,
   * and the study's results are all kept.
   */
  static String svg(JFreeChart chart, String id) {
    String problem = fontProblem();
    if (problem != null) {
      return "<p class=\"no-chart\">Chart left out: Java found no fonts on the machine that wrote"
          + " this report ("
          + ReportPage.esc(problem)
          + "); the numbers are in the table.</p>";
    }
    chart.setBackgroundPaint(Color.WHITE);
    chart.setAntiAlias(true);
    SVGGraphics2D g = new SVGGraphics2D(W, H);
    g.setDefsKeyPrefix(id + "-");
    chart.draw(g, new Rectangle(0, 0, W, H));
    return g.getSVGElement(id);
  }

  /** One bar of {@link #barsWithIntervals}: its value and its interval (NaN bounds: none known). */
  record Bar(String label, double value, double low, double high) {
    boolean hasInterval() {
      return !Double.isNaN(low) && !Double.isNaN(high);
    }
  }

  /**
   * A bar per category with a whisker from each bar's interval low to high (asymmetric intervals,
   * e.g. percentile bootstrap, are drawn as they are). The value and interval are printed under the
   * category name rather than above the bar, where the whisker would cross them.
   */
  static JFreeChart barsWithIntervals(String valueLabel, List<Bar> bars) {
    DefaultCategoryDataset ds = new DefaultCategoryDataset();
    for (Bar bar : bars) {
      String numbers =
          bar.hasInterval()
              ? String.format(
                  java.util.Locale.ROOT, "%.3f\n[%.3f, %.3f]", bar.value(), bar.low(), bar.high())
              : String.format(java.util.Locale.ROOT, "%.3f", bar.value());
      ds.addValue(bar.value(), valueLabel, bar.label() + "\n" + numbers);
    }
    JFreeChart c =
        ChartFactory.createBarChart(
            null, null, valueLabel, ds, PlotOrientation.VERTICAL, false, false, false);
    CategoryPlot p = c.getCategoryPlot();
    p.getDomainAxis().setMaximumCategoryLabelLines(5);
    p.setBackgroundPaint(Color.WHITE);
    p.setRangeGridlinePaint(Color.LIGHT_GRAY);
    WhiskerBarRenderer r = new WhiskerBarRenderer(bars);
    r.setBarPainter(new StandardBarPainter());
    r.setShadowVisible(false);
    r.setSeriesPaint(0, PALETTE[0]);
    p.setRenderer(r);
    return c;
  }

  /** A bar renderer that also draws each bar's interval as a capped vertical whisker. */
  private static final class WhiskerBarRenderer extends BarRenderer {
    private final List<Bar> bars;

    WhiskerBarRenderer(List<Bar> bars) {
      this.bars = List.copyOf(bars);
    }

    @Override
    public void drawItem(
        Graphics2D g2,
        CategoryItemRendererState state,
        Rectangle2D dataArea,
        CategoryPlot plot,
        CategoryAxis domainAxis,
        ValueAxis rangeAxis,
        CategoryDataset dataset,
        int row,
        int column,
        int pass) {
      super.drawItem(g2, state, dataArea, plot, domainAxis, rangeAxis, dataset, row, column, pass);
      Bar bar = bars.get(column);
      if (!bar.hasInterval()) return;
      double x =
          domainAxis.getCategoryMiddle(
              column, getColumnCount(), dataArea, plot.getDomainAxisEdge());
      double yLow = rangeAxis.valueToJava2D(bar.low(), dataArea, plot.getRangeAxisEdge());
      double yHigh = rangeAxis.valueToJava2D(bar.high(), dataArea, plot.getRangeAxisEdge());
      double cap = state.getBarWidth() / 4;
      g2.setPaint(Color.BLACK);
      g2.setStroke(new BasicStroke(1.5f));
      g2.draw(new Line2D.Double(x, yLow, x, yHigh));
      g2.draw(new Line2D.Double(x - cap, yLow, x + cap, yLow));
      g2.draw(new Line2D.Double(x - cap, yHigh, x + cap, yHigh));
    }

    /** The axis must hold the whiskers, not only the bars, or their ends would be clipped. */
    @Override
    public Range findRangeBounds(CategoryDataset dataset, boolean includeInterval) {
      Range range = super.findRangeBounds(dataset, includeInterval);
      for (Bar bar : bars)
        if (bar.hasInterval()) {
          range = Range.expandToInclude(range, bar.low());
          range = Range.expandToInclude(range, bar.high());
        }
      return range;
    }
  }

  /**
   * Lines of y against x (log x in {@code logBase} when > 0), with optional horizontal dashed
   * markers.
   */
  static JFreeChart lines(
      String xLabel,
      String yLabel,
      Map<String, double[][]> series,
      double logBase,
      Map<String, Double> markers) {
    XYSeriesCollection ds = new XYSeriesCollection();
    series.forEach(
        (name, xy) -> {
          XYSeries s = new XYSeries(name);
          for (double[] p : xy) s.add(p[0], p[1]);
          ds.addSeries(s);
        });
    JFreeChart c =
        ChartFactory.createXYLineChart(
            null, xLabel, yLabel, ds, PlotOrientation.VERTICAL, true, false, false);
    XYPlot p = c.getXYPlot();
    p.setBackgroundPaint(Color.WHITE);
    p.setRangeGridlinePaint(Color.LIGHT_GRAY);
    p.setDomainGridlinePaint(Color.LIGHT_GRAY);
    double[] xs =
        series.values().stream()
            .flatMap(Arrays::stream)
            .mapToDouble(pt -> pt[0])
            .distinct()
            .sorted()
            .toArray();
    boolean integerX = xs.length > 0 && Arrays.stream(xs).allMatch(x -> x == Math.rint(x));
    if (logBase > 0) {
      // Ticks at whole powers of the base, printed as plain numbers (1, 2, 4, 8 or 100, 1,000);
      // counts (N = 1, 2, 3, 4) get one tick per point instead.
      LogAxis x = integerX ? new TickAtPointsLogAxis(xLabel, xs) : new LogAxis(xLabel);
      x.setBase(logBase);
      x.setSmallestValue(1);
      x.setTickUnit(new org.jfree.chart.axis.NumberTickUnit(1));
      x.setNumberFormatOverride(new DecimalFormat("#,##0"));
      p.setDomainAxis(x);
    } else if (integerX) {
      ((NumberAxis) p.getDomainAxis()).setStandardTickUnits(NumberAxis.createIntegerTickUnits());
    }
    NumberAxis y = (NumberAxis) p.getRangeAxis();
    y.setAutoRangeIncludesZero(false);
    y.setRange(readableRange(series, markers));
    XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, true);
    for (int i = 0; i < series.size(); i++) r.setSeriesPaint(i, PALETTE[i % PALETTE.length]);
    p.setRenderer(r);
    int i = 0;
    for (var m : markers.entrySet()) {
      ValueMarker vm =
          new ValueMarker(
              m.getValue(),
              PALETTE[i++ % PALETTE.length],
              new BasicStroke(
                  1.5f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_MITER, 10, new float[] {6, 4}, 0));
      vm.setLabel(m.getKey());
      vm.setLabelAnchor(RectangleAnchor.TOP_LEFT);
      vm.setLabelTextAnchor(org.jfree.chart.ui.TextAnchor.BOTTOM_LEFT);
      p.addRangeMarker(vm);
    }
    return c;
  }

  /**
   * The y range: the data and the markers (markers outside it would be silently clipped), padded. A
   * constant series gets a range of its own size around it: JFreeChart would otherwise zoom into a
   * span of 1e-8 and label every tick with the same seven-digit number.
   */
  static Range readableRange(Map<String, double[][]> series, Map<String, Double> markers) {
    double lo = Double.POSITIVE_INFINITY;
    double hi = Double.NEGATIVE_INFINITY;
    for (double[][] xy : series.values())
      for (double[] pt : xy)
        if (Double.isFinite(pt[1])) {
          lo = Math.min(lo, pt[1]);
          hi = Math.max(hi, pt[1]);
        }
    for (double m : markers.values())
      if (Double.isFinite(m)) {
        lo = Math.min(lo, m);
        hi = Math.max(hi, m);
      }
    if (lo > hi) return new Range(0, 1);
    double magnitude = Math.max(Math.abs(lo), Math.abs(hi));
    if (hi - lo <= 1e-9 * magnitude) {
      double half = Math.max(0.1 * magnitude, 0.1);
      return new Range(lo - half, hi + half);
    }
    double pad = 0.08 * (hi - lo);
    return new Range(lo - pad, hi + pad);
  }

  /**
   * A log axis ticked at the data's own x values (every N of a best-of-N curve), leaving out a tick
   * whose label would overlap its neighbour's where the points crowd at the top of the scale.
   */
  private static final class TickAtPointsLogAxis extends LogAxis {
    private final double[] points;

    TickAtPointsLogAxis(String label, double[] points) {
      super(label);
      this.points = points.clone();
    }

    @Override
    public List<ValueTick> refreshTicks(
        Graphics2D g2, AxisState state, Rectangle2D dataArea, RectangleEdge edge) {
      if (!RectangleEdge.isTopOrBottom(edge)) return super.refreshTicks(g2, state, dataArea, edge);
      FontMetrics metrics = g2.getFontMetrics(getTickLabelFont());
      TextAnchor anchor =
          edge == RectangleEdge.TOP ? TextAnchor.BOTTOM_CENTER : TextAnchor.TOP_CENTER;
      // From the right, so the largest N (the curve's end) always keeps its label.
      List<ValueTick> ticks = new ArrayList<>();
      double nextLeft = Double.POSITIVE_INFINITY;
      for (int i = points.length - 1; i >= 0; i--) {
        String label = getNumberFormatOverride().format(points[i]);
        double centre = valueToJava2D(points[i], dataArea, edge);
        double half = metrics.stringWidth(label) / 2.0;
        if (centre + half > nextLeft - metrics.charWidth(' ')) continue;
        ticks.addFirst(
            new NumberTick(TickType.MAJOR, points[i], label, anchor, TextAnchor.CENTER, 0.0));
        nextLeft = centre - half;
      }
      return ticks;
    }
  }

  /** The transfer-matrix heatmap: rows AV, columns AR, each cell labelled with its FVE. */
  static JFreeChart heatmap(List<String> families, double[][] fve, double[][] nul) {
    int k = families.size();
    double[][] data = new double[3][k * k];
    for (int a = 0; a < k; a++)
      for (int r = 0; r < k; r++) {
        int i = a * k + r;
        data[0][i] = r;
        data[1][i] = k - 1 - a; // first AV on top
        data[2][i] = fve[a][r];
      }
    DefaultXYZDataset ds = new DefaultXYZDataset();
    ds.addSeries("fve", data);
    String[] cols = new String[k];
    String[] rows = new String[k];
    for (int i = 0; i < k; i++) {
      cols[i] = "AR " + families.get(i);
      rows[k - 1 - i] = "AV " + families.get(i);
    }
    SymbolAxis x = new SymbolAxis(null, cols);
    SymbolAxis y = new SymbolAxis(null, rows);
    XYBlockRenderer r = new XYBlockRenderer();
    r.setBlockAnchor(RectangleAnchor.CENTER);
    LookupPaintScale scale = new LookupPaintScale(-1, 1.0001, Color.GRAY);
    for (int s = 0; s <= 20; s++) {
      double v = -1 + s * 0.1;
      float t = (float) ((v + 1) / 2);
      scale.add(v, new Color(1 - 0.8f * t, 1 - 0.45f * t, 1 - 0.1f * t));
    }
    r.setPaintScale(scale);
    XYPlot p = new XYPlot(ds, x, y, r);
    p.setBackgroundPaint(Color.WHITE);
    for (int a = 0; a < k; a++)
      for (int c = 0; c < k; c++) {
        XYTextAnnotation t =
            new XYTextAnnotation(
                String.format(java.util.Locale.ROOT, "%.3f (null %.2f)", fve[a][c], nul[a][c]),
                c,
                k - 1 - a);
        t.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        p.addAnnotation(t);
      }
    return new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, p, false);
  }
}
