package org.affectdml.inference.image;

/** An integer rectangle of pixels inside an image: columns [x, x + width), rows [y, y + height). */
public record PixelRegion(int x, int y, int width, int height) {

    public PixelRegion {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("region must have positive size, got " + width + "x" + height);
        }
    }

    public static PixelRegion whole(RgbImage image) {
        return new PixelRegion(0, 0, image.width(), image.height());
    }

    /**
     * The person box (x1, y1, x2, y2 in pixels, as EMOTIC's body_bbox) clamped to the image: the covered
     * pixel columns are floor(x1) .. ceil(x2) - 1. A box of zero area or wholly outside the image is
     * rejected with a message naming the box and the image size.
     */
    public static PixelRegion ofPersonBox(double x1, double y1, double x2, double y2, int imageWidth, int imageHeight) {
        String box = String.format("person box (x1=%s, y1=%s, x2=%s, y2=%s)", fmt(x1), fmt(y1), fmt(x2), fmt(y2));
        if (!Double.isFinite(x1) || !Double.isFinite(y1) || !Double.isFinite(x2) || !Double.isFinite(y2)) {
            throw new InvalidImageException(box + " has a coordinate that is not a finite number");
        }
        if (x2 <= x1 || y2 <= y1) {
            throw new InvalidImageException(box + " has zero or negative area: x2 must be > x1 and y2 > y1");
        }
        int left = (int) Math.max(0, Math.floor(x1));
        int top = (int) Math.max(0, Math.floor(y1));
        int right = (int) Math.min(imageWidth, Math.ceil(x2));
        int bottom = (int) Math.min(imageHeight, Math.ceil(y2));
        if (right <= left || bottom <= top) {
            throw new InvalidImageException(box + " lies wholly outside the " + imageWidth + "x" + imageHeight
                    + " image (boxes are in pixels of the EXIF-oriented image)");
        }
        return new PixelRegion(left, top, right - left, bottom - top);
    }

    private static String fmt(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e9 ? Long.toString((long) v) : Double.toString(v);
    }
}
