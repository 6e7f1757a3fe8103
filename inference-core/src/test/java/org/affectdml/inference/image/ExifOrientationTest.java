package org.affectdml.inference.image;

import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class ExifOrientationTest {

    @Test
    void aRegionOfTheDisplayedImageIsThePixelsItsStoredRegionBecomes() {
        Random random = new Random(7);
        int w = 13;
        int h = 9;
        int[] pixels = new int[w * h];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = random.nextInt(0x1000000);
        }
        RgbImage stored = new RgbImage(w, h, pixels);
        for (int orientation = 1; orientation <= 8; orientation++) {
            RgbImage displayed = ExifOrientation.apply(stored, orientation);
            assertEquals(ExifOrientation.orientedWidth(w, h, orientation), displayed.width());
            for (int trial = 0; trial < 50; trial++) {
                int rx = random.nextInt(displayed.width());
                int ry = random.nextInt(displayed.height());
                PixelRegion r = new PixelRegion(rx, ry, 1 + random.nextInt(displayed.width() - rx), 1 + random.nextInt(displayed.height() - ry));
                PixelRegion s = ExifOrientation.toStored(r, w, h, orientation);
                assertEquals(r, ExifOrientation.toOriented(s, w, h, orientation), "orientation " + orientation);
                RgbImage viaStored = ExifOrientation.apply(crop(stored, s), orientation);
                assertArrayEquals(crop(displayed, r).pixels(), viaStored.pixels(), "orientation " + orientation + ", region " + r);
            }
        }
    }

    static RgbImage crop(RgbImage image, PixelRegion r) {
        int[] out = new int[r.width() * r.height()];
        for (int y = 0; y < r.height(); y++) {
            System.arraycopy(image.pixels(), (r.y() + y) * image.width() + r.x(), out, y * r.width(), r.width());
        }
        return new RgbImage(r.width(), r.height(), out);
    }
}
