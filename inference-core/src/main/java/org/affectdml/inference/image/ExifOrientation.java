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
}
