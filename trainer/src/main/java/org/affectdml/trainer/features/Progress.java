package org.affectdml.trainer.features;

import java.util.Locale;
import java.util.function.Consumer;

/**
 * Progress of long work as one line per update: done/total, percentage, rate and ETA, e.g.
 * {@code features [=====>    ] 1200/3400 35% 48.2/s ETA 45s}. Updates at most every {@code intervalNanos}.
 */
public final class Progress {

    private final String label;
    private final long total;
    private final String unit;
    private final Consumer<Snapshot> sink;
    private final long intervalNanos;
    private final long start = System.nanoTime();
    private long lastPrint;
    private long done;

    /** One update: counts, rate, estimated seconds left and the printable line. */
    public record Snapshot(long done, long total, double ratePerSecond, double etaSeconds, String line) {
        public double fraction() {
            return total == 0 ? 1 : Math.min(1, (double) done / total);
        }
    }

    public Progress(String label, long total, String unit, Consumer<Snapshot> sink, long intervalMillis) {
        this.label = label;
        this.total = total;
        this.unit = unit;
        this.sink = sink;
        this.intervalNanos = intervalMillis * 1_000_000L;
        this.lastPrint = start;
    }

    public synchronized void advance(long n) {
        done += n;
        long now = System.nanoTime();
        if (done >= total || now - lastPrint >= intervalNanos) {
            lastPrint = now;
            double rate = done / Math.max((now - start) / 1e9, 1e-9);
            sink.accept(new Snapshot(done, total, rate, rate > 0 ? Math.max(0, total - done) / rate : 0, line(rate)));
        }
    }

    public double ratePerSecond() {
        double seconds = (System.nanoTime() - start) / 1e9;
        return seconds <= 0 ? 0 : done / seconds;
    }

    private String line(double rate) {
        int width = 20;
        int filled = total == 0 ? width : (int) (width * Math.min(done, total) / total);
        String bar = "=".repeat(filled) + (filled < width ? ">" + " ".repeat(width - filled - 1) : "");
        String eta = rate > 0 && done < total ? formatSeconds((total - done) / rate) : "0s";
        return String.format(Locale.ROOT, "%s [%s] %d/%d %d%% %.1f %s/s ETA %s", label, bar, done, total,
                total == 0 ? 100 : 100 * done / total, rate, unit, eta);
    }

    static String formatSeconds(double s) {
        long secs = Math.round(s);
        return secs >= 3600 ? String.format(Locale.ROOT, "%dh%02dm", secs / 3600, secs % 3600 / 60)
                : secs >= 60 ? String.format(Locale.ROOT, "%dm%02ds", secs / 60, secs % 60) : secs + "s";
    }
}
