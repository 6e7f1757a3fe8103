package org.affectdml.trainer.eval;

import smile.manifold.TSNE;

import javax.imageio.ImageIO;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/** PNG figures: the confusion matrix of a draw and a t-SNE of novel-class embeddings (paper Fig. 4). */
public final class Plots {

    private static final Color[] PALETTE = {new Color(31, 119, 180), new Color(255, 127, 14), new Color(44, 160, 44),
            new Color(214, 39, 40), new Color(148, 103, 189), new Color(140, 86, 75), new Color(227, 119, 194),
            new Color(127, 127, 127), new Color(188, 189, 34), new Color(23, 190, 207)};

    private Plots() {
    }

    /** Rows: true class, columns: predicted; cells shaded by row share, labelled with counts. */
    public static void confusionMatrix(int[][] confusion, List<String> classes, String title, Path png) throws IOException {
        int n = classes.size();
        int cell = 64;
        int left = 150;
        int top = 60;
        BufferedImage img = new BufferedImage(left + n * cell + 20, top + n * cell + 130, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, 10, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        g.drawString("true (rows) vs predicted (columns)", 10, 42);
        for (int t = 0; t < n; t++) {
            long row = 0;
            for (int v : confusion[t]) {
                row += v;
            }
            g.setColor(Color.BLACK);
            g.drawString(classes.get(t), 8, top + t * cell + cell / 2 + 5);
            for (int p = 0; p < n; p++) {
                double share = row == 0 ? 0 : (double) confusion[t][p] / row;
                int shade = (int) (255 - 200 * share);
                g.setColor(new Color(shade, shade, 255));
                g.fillRect(left + p * cell, top + t * cell, cell, cell);
                g.setColor(Color.GRAY);
                g.drawRect(left + p * cell, top + t * cell, cell, cell);
                g.setColor(share > 0.5 ? Color.WHITE : Color.BLACK);
                g.drawString(String.valueOf(confusion[t][p]), left + p * cell + 8, top + t * cell + cell / 2 + 5);
            }
        }
        g.setColor(Color.BLACK);
        for (int p = 0; p < n; p++) {
            Graphics2D r = (Graphics2D) g.create();
            r.translate(left + p * cell + cell / 2 + 4, top + n * cell + 8);
            r.rotate(Math.PI / 3);
            r.drawString(classes.get(p), 0, 0);
            r.dispose();
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    /**
     * t-SNE (smile, perplexity 30) of up to {@code perClass} embeddings per class (the first ones, like Fig. 4),
     * coloured by class, with a legend.
     */
    public static void tsne(float[][] embeddings, int[] labels, List<String> classes, int perClass, long seed, String title, Path png)
            throws IOException {
        List<Integer> rows = new ArrayList<>();
        int[] taken = new int[classes.size()];
        for (int i = 0; i < embeddings.length; i++) {
            if (taken[labels[i]]++ < perClass) {
                rows.add(i);
            }
        }
        double[][] x = new double[rows.size()][];
        Random jitter = new Random(seed);
        for (int i = 0; i < rows.size(); i++) {
            float[] e = embeddings[rows.get(i)];
            x[i] = new double[e.length];
            for (int k = 0; k < e.length; k++) {
                // a tiny seeded jitter: identical points make t-SNE's perplexity search degenerate
                x[i][k] = e[k] + 1e-6 * jitter.nextGaussian();
            }
        }
        double perplexity = Math.min(30, Math.max(2, (rows.size() - 1) / 3.0));
        double[][] y = new TSNE(x, 2, perplexity, 200, 1000).getCoordinates();
        double minX = Double.MAX_VALUE, maxX = -Double.MAX_VALUE, minY = Double.MAX_VALUE, maxY = -Double.MAX_VALUE;
        for (double[] p : y) {
            minX = Math.min(minX, p[0]);
            maxX = Math.max(maxX, p[0]);
            minY = Math.min(minY, p[1]);
            maxY = Math.max(maxY, p[1]);
        }
        int size = 640;
        int legend = 190;
        BufferedImage img = new BufferedImage(size + legend, size + 40, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, 10, 22);
        for (int i = 0; i < y.length; i++) {
            int px = 20 + (int) ((y[i][0] - minX) / Math.max(maxX - minX, 1e-9) * (size - 40));
            int py = 40 + (int) ((y[i][1] - minY) / Math.max(maxY - minY, 1e-9) * (size - 40));
            g.setColor(PALETTE[labels[rows.get(i)] % PALETTE.length]);
            g.fillOval(px - 4, py - 4, 8, 8);
        }
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 13));
        for (int c = 0; c < classes.size(); c++) {
            g.setColor(PALETTE[c % PALETTE.length]);
            g.fillOval(size + 10, 50 + c * 22, 10, 10);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%s (%d)", classes.get(c), Math.min(taken[c], perClass)), size + 26, 60 + c * 22);
        }
        g.dispose();
        ImageIO.write(img, "png", png.toFile());
    }

    /** The training loss (left axis) and the validation accuracy (right axis, when there is one) per epoch. */
    public static void curves(List<org.affectdml.trainer.head.HeadTrainer.EpochReport> history, int keptEpoch, String title, Path png)
            throws IOException {
        int width = 720;
        int height = 420;
        int left = 70;
        int right = 70;
        int top = 50;
        int bottom = 50;
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = canvas(img);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, 10, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        int n = history.size();
        double maxLoss = history.stream().mapToDouble(org.affectdml.trainer.head.HeadTrainer.EpochReport::loss).filter(Double::isFinite)
                .max().orElse(1);
        int plotW = width - left - right;
        int plotH = height - top - bottom;
        g.setColor(Color.GRAY);
        g.drawRect(left, top, plotW, plotH);
        g.setColor(PALETTE[0]);
        g.drawString(String.format(java.util.Locale.ROOT, "loss (max %.3g)", maxLoss), 10, top - 8);
        g.setColor(PALETTE[1]);
        g.drawString("validation balanced accuracy (0-1)", width - right - 200, top - 8);
        g.setColor(Color.BLACK);
        g.drawString("epoch 1", left, height - bottom + 18);
        g.drawString("epoch " + n, left + plotW - 50, height - bottom + 18);
        int[][] previous = new int[2][];
        for (int i = 0; i < n; i++) {
            var e = history.get(i);
            int x = left + (n == 1 ? plotW / 2 : i * plotW / (n - 1));
            double[] values = {maxLoss > 0 ? e.loss() / maxLoss : 0, e.validationAccuracy()};
            for (int k = 0; k < 2; k++) {
                if (!Double.isFinite(values[k])) {
                    continue;
                }
                int y = top + plotH - (int) Math.round(Math.max(0, Math.min(1, values[k])) * plotH);
                g.setColor(PALETTE[k]);
                g.fillOval(x - 3, y - 3, 6, 6);
                if (previous[k] != null) {
                    g.drawLine(previous[k][0], previous[k][1], x, y);
                }
                previous[k] = new int[]{x, y};
            }
            if (e.epoch() == keptEpoch) {
                g.setColor(Color.DARK_GRAY);
                g.drawLine(x, top, x, top + plotH);
                g.drawString("kept", x + 3, top + 14);
            }
        }
        g.dispose();
        javax.imageio.ImageIO.write(img, "png", png.toFile());
    }

    private static Graphics2D canvas(BufferedImage img) {
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setStroke(new BasicStroke(1));
        return g;
    }
}
