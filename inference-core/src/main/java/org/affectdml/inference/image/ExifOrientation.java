package org.affectdml.inference.image;

/** Applies an EXIF orientation (1..8) so that pixels are as the image is meant to be displayed. */
final class ExifOrientation {

    private ExifOrientation() {
    }

    static RgbImage apply(RgbImage src, int orientation) {
        if (orientation <= 1 || orientation > 8) {
            return src;
        }
        int w = src.width();
        int h = src.height();
        boolean swap = orientation >= 5;
        int outW = swap ? h : w;
        int outH = swap ? w : h;
        int[] out = new int[outW * outH];
        for (int y = 0; y < outH; y++) {
            for (int x = 0; x < outW; x++) {
                int sx;
                int sy;
                switch (orientation) {
                    case 2 -> { sx = w - 1 - x; sy = y; }          // mirror horizontal
                    case 3 -> { sx = w - 1 - x; sy = h - 1 - y; }  // rotate 180
                    case 4 -> { sx = x; sy = h - 1 - y; }          // mirror vertical
                    case 5 -> { sx = y; sy = x; }                  // transpose
                    case 6 -> { sx = y; sy = h - 1 - x; }          // rotate 90 clockwise
                    case 7 -> { sx = w - 1 - y; sy = h - 1 - x; }  // transverse
                    default -> { sx = w - 1 - y; sy = x; }         // 8: rotate 90 counter-clockwise
                }
                out[y * outW + x] = src.pixels()[sy * w + sx];
            }
        }
        return new RgbImage(outW, outH, out);
    }

    /** Width of the image as displayed, from its stored size. */
    static int orientedWidth(int storedWidth, int storedHeight, int orientation) {
        return orientation >= 5 && orientation <= 8 ? storedHeight : storedWidth;
    }

    static int orientedHeight(int storedWidth, int storedHeight, int orientation) {
        return orientation >= 5 && orientation <= 8 ? storedWidth : storedHeight;
    }

    /**
     * The stored pixels that {@link #apply} turns into the given region of the displayed image
     * (W, H = the stored size); the inverse of {@link #toOriented}.
     */
    static PixelRegion toStored(PixelRegion r, int w, int h, int orientation) {
        int x = r.x();
        int y = r.y();
        int rw = r.width();
        int rh = r.height();
        return switch (orientation) {
            case 2 -> new PixelRegion(w - x - rw, y, rw, rh);
            case 3 -> new PixelRegion(w - x - rw, h - y - rh, rw, rh);
            case 4 -> new PixelRegion(x, h - y - rh, rw, rh);
            case 5 -> new PixelRegion(y, x, rh, rw);
            case 6 -> new PixelRegion(y, h - x - rw, rh, rw);
            case 7 -> new PixelRegion(w - y - rh, h - x - rw, rh, rw);
            case 8 -> new PixelRegion(w - y - rh, x, rh, rw);
            default -> r;
        };
    }

    /** The region of the displayed image that a region of the stored pixels becomes (W, H = the stored size). */
    static PixelRegion toOriented(PixelRegion s, int w, int h, int orientation) {
        int x = s.x();
        int y = s.y();
        int sw = s.width();
        int sh = s.height();
        return switch (orientation) {
            case 2 -> new PixelRegion(w - x - sw, y, sw, sh);
            case 3 -> new PixelRegion(w - x - sw, h - y - sh, sw, sh);
            case 4 -> new PixelRegion(x, h - y - sh, sw, sh);
            case 5 -> new PixelRegion(y, x, sh, sw);
            case 6 -> new PixelRegion(h - y - sh, x, sh, sw);
            case 7 -> new PixelRegion(h - y - sh, w - x - sw, sh, sw);
            case 8 -> new PixelRegion(y, w - x - sw, sh, sw);
            default -> s;
        };
    }
}
