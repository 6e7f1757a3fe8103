package org.affectdml.inference.image;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** Preprocessing against tensors computed by hand (OpenCV INTER_LINEAR geometry, torchvision crop rule). */
class TensorPreprocessorTest {

    private static final double[] ZERO = {0, 0, 0};
    private static final double[] ONE = {1, 1, 1};

    private static int grey(int v) {
        return v << 16 | v << 8 | v;
    }

    private static float[] run(RgbImage image, PixelRegion region, Preprocessing p) {
        float[] out = new float[TensorPreprocessor.sliceLength(p)];
        TensorPreprocessor.write(image, region, p, out, 0);
        return out;
    }

    @Test
    void upscalingTwoPixelsToFourInterpolatesWithHalfPixelCentres() {
        // src x = (dst + 0.5) * 2/4 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to 1)
        RgbImage image = new RgbImage(2, 1, new int[]{grey(0), grey(255)});
        Preprocessing p = new Preprocessing(Preprocessing.EXACT, 0, 4, 1, 1.0 / 255, ZERO, ONE);
        float[] out = run(image, PixelRegion.whole(image), p);
        float[] expectedPlane = {0f, 0.25f, 0.75f, 1f};
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(expectedPlane, java.util.Arrays.copyOfRange(out, c * 4, c * 4 + 4), 1e-6f);
        }
    }

    @Test
    void downscalingByTwoAveragesPixelPairs() {
        // src x = (dst + 0.5) * 2 - 0.5 = 0.5 and 2.5: the mean of pixels (0,1) and (2,3)
        RgbImage image = new RgbImage(4, 1, new int[]{grey(10), grey(30), grey(100), grey(200)});
        Preprocessing p = new Preprocessing(Preprocessing.EXACT, 0, 2, 1, 1.0, ZERO, ONE);
        float[] out = run(image, PixelRegion.whole(image), p);
        assertArrayEquals(new float[]{20f, 150f}, java.util.Arrays.copyOfRange(out, 0, 2), 1e-5f);
    }

    @Test
    void imagenetNormalisationPerChannelInChannelPlanes() {
        RgbImage image = new RgbImage(1, 1, new int[]{255 << 16 | 0 << 8 | 51});
        Preprocessing p = Preprocessing.exact(1, 1, Preprocessing.IMAGENET_MEAN, Preprocessing.IMAGENET_STD);
        float[] out = run(image, PixelRegion.whole(image), p);
        assertEquals((1.0 - 0.485) / 0.229, out[0], 1e-5);   // R plane
        assertEquals((0.0 - 0.456) / 0.224, out[1], 1e-5);   // G plane
        assertEquals((0.2 - 0.406) / 0.225, out[2], 1e-5);   // B plane
    }

    @Test
    void cropRegionIsSampledOneToOneWhenSizesMatch() {
        int[] px = new int[16];
        for (int i = 0; i < 16; i++) {
            px[i] = grey(i * 10);
        }
        RgbImage image = new RgbImage(4, 4, px);
        Preprocessing p = new Preprocessing(Preprocessing.EXACT, 0, 2, 2, 1.0, ZERO, ONE);
        float[] out = run(image, new PixelRegion(1, 2, 2, 2), p);
        // rows 2..3, columns 1..2: values 90, 100, 130, 140
        assertArrayEquals(new float[]{90, 100, 130, 140}, java.util.Arrays.copyOfRange(out, 0, 4), 1e-5f);
    }

    @Test
    void shorterSideResizeThenCentreCropTakesTheMiddleColumns() {
        // 4x2 image, shorter side 2 -> resized 4x2 (no change), crop 2x2 at left = round((4-2)/2) = 1
        RgbImage image = new RgbImage(4, 2, new int[]{grey(0), grey(1), grey(2), grey(3), grey(4), grey(5), grey(6), grey(7)});
        Preprocessing p = new Preprocessing(Preprocessing.SHORTER_SIDE, 2, 2, 2, 1.0, ZERO, ONE);
        float[] out = run(image, PixelRegion.whole(image), p);
        assertArrayEquals(new float[]{1, 2, 5, 6}, java.util.Arrays.copyOfRange(out, 0, 4), 1e-5f);
    }

    @Test
    void shorterSideResizeScalesTheLongSideByTruncation() {
        // 6x3 -> shorter side 2 gives 4x2 (int(2*6/3)); crop 2x2 from left 1: src x = (1.5)*1.5-0.5 = 1.75, 3.25
        int[] px = new int[18];
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 6; x++) {
                px[y * 6 + x] = grey(x * 20);
            }
        }
        RgbImage image = new RgbImage(6, 3, px);
        Preprocessing p = new Preprocessing(Preprocessing.SHORTER_SIDE, 2, 2, 2, 1.0, ZERO, ONE);
        float[] out = run(image, PixelRegion.whole(image), p);
        assertEquals(35f, out[0], 1e-4f);  // 20 + 0.75 * 20
        assertEquals(65f, out[1], 1e-4f);  // 60 + 0.25 * 20
    }

    @Test
    void writesAtTheOffsetOfItsBatchSlot() {
        RgbImage image = new RgbImage(1, 1, new int[]{grey(255)});
        Preprocessing p = new Preprocessing(Preprocessing.EXACT, 0, 1, 1, 1.0 / 255, ZERO, ONE);
        float[] out = new float[6];
        TensorPreprocessor.write(image, PixelRegion.whole(image), p, out, 3);
        assertArrayEquals(new float[]{0, 0, 0, 1, 1, 1}, out, 1e-6f);
    }
}
