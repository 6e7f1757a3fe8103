package org.affectdml.inference.image;

import org.affectdml.inference.testing.TestImages;
import org.junit.jupiter.api.Test;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageDecoderTest {

    private final ImageDecoder decoder = new ImageDecoder(new ImageLimits(1_000_000, 4_000_000));

    private static void assertRejected(String expectedFragment, Runnable decode) {
        InvalidImageException e = assertThrows(InvalidImageException.class, decode::run);
        assertTrue(e.getMessage().contains(expectedFragment), "message was: " + e.getMessage());
    }

    private static void assertColour(int expectedRgb, int actualRgb, int tolerance) {
        for (int shift = 0; shift <= 16; shift += 8) {
            int e = expectedRgb >> shift & 0xFF;
            int a = actualRgb >> shift & 0xFF;
            assertTrue(Math.abs(e - a) <= tolerance, String.format("expected %06x, got %06x", expectedRgb, actualRgb));
        }
    }

    /** Decoding is from memory: ImageIO's temporary-file cache would only add file-system work to every image. */
    @Test
    void imageIoKeepsNoTemporaryFileCache() {
        decoder.decode(TestImages.png(TestImages.scene(20, 10, Color.BLUE, Color.RED, 2, 2, 8, 9)));
        org.junit.jupiter.api.Assertions.assertFalse(javax.imageio.ImageIO.getUseCache());
    }

    @Test
    void pngDecodesLosslessly() {
        BufferedImage src = TestImages.scene(20, 10, Color.BLUE, Color.RED, 2, 2, 8, 9);
        RgbImage image = decoder.decode(TestImages.png(src));
        assertEquals(20, image.width());
        assertEquals(10, image.height());
        assertEquals(0x0000FF, image.rgb(15, 5));
        assertEquals(0xFF0000, image.rgb(3, 8));
    }

    @Test
    void jpegDecodesWithMediaTypeDetected() {
        BufferedImage src = TestImages.scene(64, 48, Color.GREEN, Color.RED, 0, 0, 32, 48);
        RgbImage image = decoder.decode(TestImages.jpeg(src));
        assertEquals(64, image.width());
        assertColour(0xFF0000, image.rgb(10, 20), 12);
        assertColour(0x00FF00, image.rgb(50, 20), 12);
    }

    @Test
    void greyscalePngIsReplicatedWithoutGammaChange() {
        BufferedImage grey = new BufferedImage(2, 1, BufferedImage.TYPE_BYTE_GRAY);
        grey.getRaster().setSample(0, 0, 0, 128);
        grey.getRaster().setSample(1, 0, 0, 30);
        RgbImage image = decoder.decode(TestImages.png(grey));
        assertEquals(128 << 16 | 128 << 8 | 128, image.rgb(0, 0));
        assertEquals(30 << 16 | 30 << 8 | 30, image.rgb(1, 0));
    }

    @Test
    void alphaIsDroppedNotComposited() {
        BufferedImage argb = new BufferedImage(1, 1, BufferedImage.TYPE_INT_ARGB);
        argb.setRGB(0, 0, 0x10_40_80_C0);
        RgbImage image = decoder.decode(TestImages.png(argb));
        assertEquals(0x4080C0, image.rgb(0, 0));
    }

    @Test
    void exifOrientationSixRotatesClockwise() {
        // Left half red, right half blue; rotated 90 degrees clockwise the red half is on top.
        BufferedImage src = TestImages.scene(32, 16, Color.BLUE, Color.RED, 0, 0, 16, 16);
        byte[] jpeg = TestImages.withExifOrientation(TestImages.jpeg(src), 6);
        RgbImage image = decoder.decode(jpeg);
        assertEquals(16, image.width());
        assertEquals(32, image.height());
        assertColour(0xFF0000, image.rgb(8, 4), 40);
        assertColour(0x0000FF, image.rgb(8, 28), 40);
    }

    @Test
    void fourComponentCmykJpegDecodesToRgb() throws Exception {
        // The JDK's own reader refuses 4-component JPEGs ("Unsupported Image Type"); TwelveMonkeys converts them.
        byte[] red = TestImages.cmykJpeg(16, 16, new byte[]{0, (byte) 255, (byte) 255, 0});
        byte[] cyan = TestImages.cmykJpeg(16, 16, new byte[]{(byte) 255, 0, 0, 0});
        RgbImage a = decoder.decode(red);
        RgbImage b = decoder.decode(cyan);
        assertEquals(16, a.width());
        assertEquals(16, b.height());
        assertTrue(a.rgb(8, 8) != b.rgb(8, 8), "two different CMYK colours must not decode to the same RGB");
        assertEquals(a.rgb(2, 2), a.rgb(13, 13), "a flat colour stays flat");
    }

    @Test
    void emptyBytesAreRejected() {
        assertRejected("empty", () -> decoder.decode(new byte[0]));
    }

    @Test
    void nonImageBytesAreRejectedWithTheirSignature() {
        assertRejected("not a JPEG or PNG image", () -> decoder.decode("GIF89a....".getBytes()));
    }

    @Test
    void truncatedJpegIsRejected() {
        byte[] jpeg = TestImages.jpeg(TestImages.scene(128, 96, Color.ORANGE, Color.CYAN, 10, 10, 60, 90));
        assertRejected("truncated", () -> decoder.decode(Arrays.copyOf(jpeg, jpeg.length / 2)));
    }

    @Test
    void truncatedPngIsRejected() {
        byte[] png = TestImages.png(TestImages.scene(128, 96, Color.ORANGE, Color.CYAN, 10, 10, 60, 90));
        assertRejected("image/png", () -> decoder.decode(Arrays.copyOf(png, png.length - 40)));
    }

    @Test
    void imageAboveTheByteLimitIsRejectedBeforeDecoding() {
        byte[] big = new byte[1_000_001];
        big[0] = (byte) 0xFF;
        assertRejected("above the limit of 1000000 bytes", () -> decoder.decode(big));
    }

    @Test
    void pngDeclaring50000x50000IsRejectedFromItsHeaderWithoutAllocatingTheRaster() {
        byte[] bomb = TestImages.pngDeclaring(50_000, 50_000);
        assertTrue(bomb.length < 100);
        // Decoding the raster would need 10 GB; the header check answers at once.
        assertTimeoutPreemptively(java.time.Duration.ofSeconds(5),
                () -> assertRejected("50000x50000 = 2500000000 pixels, above the limit of 4000000", () -> decoder.decode(bomb)));
    }
}
