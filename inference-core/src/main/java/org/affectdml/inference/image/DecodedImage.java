package org.affectdml.inference.image;

/**
 * Pixels of a region of an image, possibly at reduced resolution: {@code area} is the part of the displayed
 * (EXIF-oriented) full-resolution image that {@code pixels} cover. Lets every stage ask for its region in
 * full-resolution coordinates whatever scale was decoded.
 */
public record DecodedImage(RgbImage pixels, PixelRegion area) {

    /** Decoded pixels per full-resolution pixel, horizontally (1 = full resolution). */
    public double scaleX() {
        return (double) pixels.width() / area.width();
    }

    public double scaleY() {
        return (double) pixels.height() / area.height();
    }

    /** Whether the region of the full image lies inside what was decoded. */
    public boolean covers(PixelRegion full) {
        return full.x() >= area.x() && full.y() >= area.y()
                && full.x() + full.width() <= area.x() + area.width()
                && full.y() + full.height() <= area.y() + area.height();
    }

    /** The pixels of {@code pixels} that cover a region given in full-resolution coordinates (at least one). */
    public PixelRegion map(PixelRegion full) {
        double sx = scaleX();
        double sy = scaleY();
        int left = clamp((int) Math.floor((full.x() - area.x()) * sx), pixels.width() - 1);
        int top = clamp((int) Math.floor((full.y() - area.y()) * sy), pixels.height() - 1);
        int right = Math.max(left + 1, clamp((int) Math.ceil((full.x() + full.width() - area.x()) * sx), pixels.width()));
        int bottom = Math.max(top + 1, clamp((int) Math.ceil((full.y() + full.height() - area.y()) * sy), pixels.height()));
        return new PixelRegion(left, top, right - left, bottom - top);
    }

    private static int clamp(int v, int max) {
        return Math.max(0, Math.min(max, v));
    }
}
