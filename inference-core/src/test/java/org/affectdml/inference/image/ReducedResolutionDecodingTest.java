package org.affectdml.inference.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.awt.image.BufferedImage;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Reduced-resolution and region decoding, through TurboJPEG (when the system has libturbojpeg; CI installs it)
 * and through the ImageIO fallback: both must give the pixels a full decode gives, at the scale asked for.
 */
class ReducedResolutionDecodingTest {

    private static final BufferedImage PHOTO = SyntheticPhotos.photo(1600, 1200, 42);
    private static final byte[] JPEG = SyntheticPhotos.jpeg(PHOTO, 0.9f);

    private static ImageDecoder decoder(boolean turbo) {
        ImageDecoder decoder = new ImageDecoder(ImageLimits.DEFAULT, turbo);
        if (turbo) {
            assumeTrue(decoder.usesTurboJpeg(), "libturbojpeg is not installed (apt-get install libturbojpeg0); the ImageIO case still runs");
        }
        return decoder;
    }

    @ParameterizedTest(name = "turboJpeg={0}")
    @ValueSource(booleans = {true, false})
    void aQuarterScaleDecodeIsTheFullImageAveragedDown(boolean turbo) {
        ImageDecoder decoder = decoder(turbo);
        EncodedImage image = decoder.open(JPEG);
        DecodedImage quarter = decoder.decode(image, image.whole(), 0.25);
        assertEquals(400, quarter.pixels().width());
        assertEquals(300, quarter.pixels().height());
        assertEquals(image.whole(), quarter.area());
        RgbImage full = decoder.decode(JPEG);
        // Compare 16x16-pixel block means (the fine texture differs between averaging and point sampling).
        assertTrue(meanBlockDifference(full, quarter.pixels(), 16) < 4, "block means differ by " + meanBlockDifference(full, quarter.pixels(), 16));
    }

    @ParameterizedTest(name = "turboJpeg={0}")
    @ValueSource(booleans = {true, false})
    void aRegionAtFullScaleHasTheFullDecodesPixels(boolean turbo) {
        ImageDecoder decoder = decoder(turbo);
        byte[] rotated = org.affectdml.inference.testing.TestImages.withExifOrientation(JPEG, 6);
        RgbImage full = decoder.decode(rotated);
        EncodedImage image = decoder.open(rotated);
        assertEquals(1200, image.width());
        PixelRegion box = new PixelRegion(333, 217, 150, 420);
        DecodedImage region = decoder.decode(image, box, 1);
        assertTrue(region.covers(box), region.area() + " must cover " + box);
        assertTrue(region.pixels().pixelCount() < full.pixelCount() / 10, "only about the region is decoded: " + region.area());
        PixelRegion inPixels = region.map(box);
        assertEquals(box.width(), inPixels.width());
        int worst = 0;
        for (int y = 0; y < box.height(); y++) {
            for (int x = 0; x < box.width(); x++) {
                worst = Math.max(worst, channelDifference(full.rgb(box.x() + x, box.y() + y),
                        region.pixels().rgb(inPixels.x() + x, inPixels.y() + y)));
            }
        }
        // A crop re-runs chroma upsampling at its edge: off by a few levels there, identical inside.
        assertTrue(worst <= 8, "largest channel difference " + worst);
    }

    @Test
    void turboJpegAndImageIoDecodeTheSamePixelsAtFullScale() {
        ImageDecoder turbo = decoder(true);
        RgbImage a = turbo.decode(JPEG);
        RgbImage b = decoder(false).decode(JPEG);
        assertTrue(meanBlockDifference(a, b, 1) < 1.0, "mean difference " + meanBlockDifference(a, b, 1));
    }

    @Test
    void aPngIsSubsampledWithinTheMemoryBudgetThatAFullDecodeWouldExceed() {
        byte[] png = pngOf(PHOTO);
        // 1600x1200 x 12 bytes = 23 MB would be needed at full scale; the budget is 4 MB.
        ImageDecoder decoder = new ImageDecoder(new ImageLimits(50_000_000, 40_000_000, 4_000_000), false);
        InvalidImageException refused = assertThrows(InvalidImageException.class, () -> decoder.decode(png));
        assertTrue(refused.getMessage().contains("decode memory budget of 4000000 bytes"), refused.getMessage());
        EncodedImage image = decoder.open(png);
        DecodedImage small = decoder.decode(image, image.whole(), 0.3);
        assertEquals(534, small.pixels().width());
        assertEquals(400, small.pixels().height());
    }

    @Test
    void aCmykJpegWithAnAdobeMarkerAndNoIccProfileDecodes() throws Exception {
        byte[] cmyk = org.affectdml.inference.testing.TestImages.withAdobeMarker(org.affectdml.inference.testing.TestImages.cmykJpeg(32, 16, new byte[]{0, (byte) 255, (byte) 255, 0}));
        RgbImage image = decoder(false).decode(cmyk);
        assertEquals(32, image.width());
        assertEquals(image.rgb(3, 3), image.rgb(28, 12), "a flat colour stays flat");
    }

    @Test
    void aCommentGivesOtherBytesButTheSamePixels() {
        ImageDecoder decoder = decoder(false);
        byte[] png = pngOf(SyntheticPhotos.photo(40, 30, 5));
        for (byte[] image : new byte[][]{JPEG, png}) {
            byte[] noted = SyntheticPhotos.withComment(image, "copy 7");
            assertTrue(!java.util.Arrays.equals(image, noted));
            assertTrue(java.util.Arrays.equals(decoder.decode(image).pixels(), decoder.decode(noted).pixels()));
        }
    }

    @Test
    void warningsAboutColourProfilesAreNotCorruption() {
        assertTrue(!ImageDecoder.signalsCorruption("No embedded ICC color profile, will convert using inaccurate CMYK to RGB conversion"));
        assertTrue(ImageDecoder.signalsCorruption("Premature end of JPEG file"));
        assertTrue(ImageDecoder.signalsCorruption("Corrupt JPEG data: 12 extraneous bytes before marker 0xd9"));
    }

    private static byte[] pngOf(BufferedImage image) {
        return org.affectdml.inference.testing.TestImages.png(image);
    }

    private static int channelDifference(int a, int b) {
        int worst = 0;
        for (int sh = 0; sh <= 16; sh += 8) {
            worst = Math.max(worst, Math.abs((a >> sh & 0xFF) - (b >> sh & 0xFF)));
        }
        return worst;
    }

    /** Mean absolute channel difference of block means, blocks of {@code block} pixels of the smaller image. */
    private static double meanBlockDifference(RgbImage big, RgbImage small, int block) {
        double ratioX = (double) big.width() / small.width();
        double ratioY = (double) big.height() / small.height();
        double total = 0;
        int count = 0;
        for (int by = 0; by + block <= small.height(); by += block) {
            for (int bx = 0; bx + block <= small.width(); bx += block) {
                double[] a = mean(big, (int) (bx * ratioX), (int) (by * ratioY), (int) (block * ratioX), (int) (block * ratioY));
                double[] b = mean(small, bx, by, block, block);
                for (int c = 0; c < 3; c++) {
                    total += Math.abs(a[c] - b[c]);
                    count++;
                }
            }
        }
        return total / count;
    }

    private static double[] mean(RgbImage image, int x0, int y0, int w, int h) {
        double[] sum = new double[3];
        for (int y = y0; y < y0 + h; y++) {
            for (int x = x0; x < x0 + w; x++) {
                int p = image.rgb(x, y);
                sum[0] += p >> 16 & 0xFF;
                sum[1] += p >> 8 & 0xFF;
                sum[2] += p & 0xFF;
            }
        }
        for (int c = 0; c < 3; c++) {
            sum[c] /= (double) w * h;
        }
        return sum;
    }
}
