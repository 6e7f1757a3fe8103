package org.affectdml.inference.image;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.Arrays;

/**
 * How a model wants its input tensor, as written in the bundle manifest: RGB, NCHW, float32,
 * {@code (pixel * rescale - mean[c]) / std[c]}.
 *
 * <ul>
 *   <li>{@code resize = "exact"}: the region is resized to {@code width x height} (aspect ratio not kept;
 *       SegFormer's 512x512, the paper code's 256x256).</li>
 *   <li>{@code resize = "shorter_side"}: the shorter side becomes {@code shorter_side} (the longer one
 *       {@code floor(shorter_side * long / short)}), then a centre crop of {@code width x height}
 *       (torchvision's Resize(256) + CenterCrop(224)).</li>
 * </ul>
 * Resampling is bilinear with half-pixel centres and edge clamping (OpenCV INTER_LINEAR geometry, no
 * antialiasing), computed in float.
 */
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record Preprocessing(
        @JsonProperty("resize") String resize,
        @JsonProperty("shorter_side") int shorterSide,
        @JsonProperty("width") int width,
        @JsonProperty("height") int height,
        @JsonProperty("rescale") double rescale,
        @JsonProperty("mean") double[] mean,
        @JsonProperty("std") double[] std) {

    public static final String EXACT = "exact";
    public static final String SHORTER_SIDE = "shorter_side";
    public static final double[] IMAGENET_MEAN = {0.485, 0.456, 0.406};
    public static final double[] IMAGENET_STD = {0.229, 0.224, 0.225};

    public static Preprocessing exact(int width, int height, double[] mean, double[] std) {
        return new Preprocessing(EXACT, 0, width, height, 1.0 / 255, mean, std);
    }

    public static Preprocessing shorterSideThenCenterCrop(int shorterSide, int cropWidth, int cropHeight,
                                                          double[] mean, double[] std) {
        return new Preprocessing(SHORTER_SIDE, shorterSide, cropWidth, cropHeight, 1.0 / 255, mean, std);
    }

    /** Size {width, height} of the resize step's output for a region of w x h pixels, before any crop. */
    public int[] resizedSize(int w, int h) {
        if (!SHORTER_SIDE.equals(resize)) {
            return new int[]{width, height};
        }
        return w <= h
                ? new int[]{shorterSide, (int) ((long) shorterSide * h / w)}
                : new int[]{(int) ((long) shorterSide * w / h), shorterSide};
    }

    /**
     * The smallest scale (at most 1) at which a w x h region still has at least as many pixels as this
     * preprocessing samples from it, so decoding it smaller would lose detail the model sees.
     */
    public double minimumScale(int w, int h) {
        double scale = SHORTER_SIDE.equals(resize)
                ? (double) shorterSide / Math.min(w, h)
                : Math.max((double) width / w, (double) height / h);
        return Math.min(1, scale);
    }

    /** Checks the values make sense; the message names the offending field. */
    public void validate(String where) {
        String prefix = where + ".preprocessing: ";
        if (!EXACT.equals(resize) && !SHORTER_SIDE.equals(resize)) {
            throw new IllegalArgumentException(prefix + "resize must be \"exact\" or \"shorter_side\", got " + resize);
        }
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException(prefix + "width and height must be positive, got " + width + "x" + height);
        }
        if (SHORTER_SIDE.equals(resize) && shorterSide < Math.min(width, height)) {
            throw new IllegalArgumentException(prefix + "shorter_side " + shorterSide
                    + " must be at least the crop's smaller side " + Math.min(width, height));
        }
        if (!(rescale > 0)) {
            throw new IllegalArgumentException(prefix + "rescale must be positive, got " + rescale);
        }
        if (mean == null || mean.length != 3 || std == null || std.length != 3) {
            throw new IllegalArgumentException(prefix + "mean and std need 3 values (R, G, B)");
        }
        for (double s : std) {
            if (!(s > 0)) {
                throw new IllegalArgumentException(prefix + "std values must be positive, got " + Arrays.toString(std));
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Preprocessing p && resize.equals(p.resize) && shorterSide == p.shorterSide
                && width == p.width && height == p.height && rescale == p.rescale
                && Arrays.equals(mean, p.mean) && Arrays.equals(std, p.std);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * resize.hashCode() + width * 7919 + height) + Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return "Preprocessing[" + resize + (SHORTER_SIDE.equals(resize) ? " " + shorterSide + " crop" : "")
                + " " + width + "x" + height + ", rescale " + rescale + ", mean " + Arrays.toString(mean)
                + ", std " + Arrays.toString(std) + "]";
    }
}
