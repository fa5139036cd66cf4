package io.streamebm.pipeline.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Paint;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.DoubleBinaryOperator;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.PaintScale;
import org.jfree.chart.renderer.xy.XYBlockRenderer;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.PaintScaleLegend;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.data.xy.DefaultXYZDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * PNG plots of a training run, drawn with JFreeChart in headless mode: the learned energy
 * landscape of a 2-D model with samples on top, and curves over training steps.
 */
public final class Plots {

    static {
        System.setProperty("java.awt.headless", "true");
    }

    private Plots() {
    }

    /** A named curve over training steps. */
    public record Curve(String name, double[] steps, double[] values) {
    }

    /**
     * How many nats below its peak the log-density colour scale reaches: deep enough to tell a
     * valley between modes (a few nats down) from the empty far field (tens of nats down).
     */
    public static final double LOG_DENSITY_RANGE = 12;

    /**
     * Draws the log-density log p = −(E − min E) on a grid over {@code [lo, hi]²} as a heat map
     * (clipped at {@link #LOG_DENSITY_RANGE} nats below the peak), with {@code samples}
     * ({@code [n][2]}) as dots, and writes it to {@code file}. A log scale because on a linear
     * one, exp(−E), sharp modes saturate and everything else, valleys included, is black.
     */
    public static void energyLandscape(Path file, String title, DoubleBinaryOperator energy, double lo, double hi,
            int resolution, float[][] samples) throws IOException {
        int n = resolution;
        double cell = (hi - lo) / n;
        double[] xs = new double[n * n];
        double[] ys = new double[n * n];
        double[] zs = new double[n * n];
        double minE = Double.POSITIVE_INFINITY;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                int k = i * n + j;
                xs[k] = lo + (i + 0.5) * cell;
                ys[k] = lo + (j + 0.5) * cell;
                zs[k] = energy.applyAsDouble(xs[k], ys[k]);
                minE = Math.min(minE, zs[k]);
            }
        }
        for (int k = 0; k < zs.length; k++) {
            zs[k] = Double.isFinite(zs[k]) ? Math.max(-LOG_DENSITY_RANGE, -(zs[k] - minE)) : -LOG_DENSITY_RANGE;
        }
        DefaultXYZDataset grid = new DefaultXYZDataset();
        grid.addSeries("density", new double[][] {xs, ys, zs});
        XYBlockRenderer blocks = new XYBlockRenderer();
        blocks.setBlockWidth(cell);
        blocks.setBlockHeight(cell);
        PaintScale scale = new ViridisScale(-LOG_DENSITY_RANGE, 0);
        blocks.setPaintScale(scale);

        NumberAxis xAxis = new NumberAxis("x1");
        NumberAxis yAxis = new NumberAxis("x2");
        xAxis.setRange(lo, hi);
        yAxis.setRange(lo, hi);
        XYPlot plot = new XYPlot(grid, xAxis, yAxis, blocks);
        plot.setBackgroundPaint(Color.BLACK);

        if (samples != null && samples.length > 0) {
            XYSeries dots = new XYSeries("samples", false, true);
            for (float[] s : samples) {
                dots.add(s[0], s[1]);
            }
            XYLineAndShapeRenderer dotRenderer = new XYLineAndShapeRenderer(false, true);
            dotRenderer.setSeriesPaint(0, new Color(255, 80, 80, 200));
            dotRenderer.setSeriesShape(0, new java.awt.geom.Ellipse2D.Double(-1.5, -1.5, 3, 3));
            plot.setDataset(1, new XYSeriesCollection(dots));
            plot.setRenderer(1, dotRenderer);
            // Draw the samples over the heat map, not under it.
            plot.setDatasetRenderingOrder(org.jfree.chart.plot.DatasetRenderingOrder.FORWARD);
        }
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        PaintScaleLegend legend = new PaintScaleLegend(scale, new NumberAxis("log density, nats below the peak: -(E - min E)"));
        legend.setPosition(RectangleEdge.RIGHT);
        legend.setMargin(4, 4, 40, 4);
        chart.addSubtitle(legend);
        write(file, chart, 720, 640);
    }

    /** Draws curves over training steps and writes them to {@code file}. */
    public static void curves(Path file, String title, String yLabel, List<Curve> curves) throws IOException {
        XYSeriesCollection data = new XYSeriesCollection();
        for (Curve c : curves) {
            XYSeries s = new XYSeries(c.name(), true, true);
            for (int i = 0; i < c.steps().length; i++) {
                if (Double.isFinite(c.values()[i])) {
                    s.add(c.steps()[i], c.values()[i]);
                }
            }
            data.addSeries(s);
        }
        NumberAxis x = new NumberAxis("step");
        NumberAxis y = new NumberAxis(yLabel);
        y.setAutoRangeIncludesZero(false);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        for (int i = 0; i < curves.size(); i++) {
            r.setSeriesStroke(i, new BasicStroke(1.5f));
        }
        XYPlot plot = new XYPlot(data, x, y, r);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
        JFreeChart chart = new JFreeChart(title, JFreeChart.DEFAULT_TITLE_FONT, plot, true);
        write(file, chart, 900, 420);
    }

    private static void write(Path file, JFreeChart chart, int width, int height) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ChartUtils.saveChartAsPNG(file.toFile(), chart, width, height);
    }

    /** A perceptually ordered dark-to-bright colour scale (a viridis approximation). */
    private static final class ViridisScale implements PaintScale {
        private static final int[][] STOPS = {
            {68, 1, 84}, {59, 82, 139}, {33, 145, 140}, {94, 201, 98}, {253, 231, 37}};
        private final double lower;
        private final double upper;

        ViridisScale(double lower, double upper) {
            this.lower = lower;
            this.upper = upper;
        }

        @Override
        public double getLowerBound() {
            return lower;
        }

        @Override
        public double getUpperBound() {
            return upper;
        }

        @Override
        public Paint getPaint(double value) {
            double t = Math.max(0, Math.min(1, (value - lower) / (upper - lower)));
            double pos = t * (STOPS.length - 1);
            int i = Math.min(STOPS.length - 2, (int) pos);
            double f = pos - i;
            int[] a = STOPS[i];
            int[] b = STOPS[i + 1];
            return new Color((int) (a[0] + f * (b[0] - a[0])), (int) (a[1] + f * (b[1] - a[1])),
                    (int) (a[2] + f * (b[2] - a[2])));
        }
    }
}
