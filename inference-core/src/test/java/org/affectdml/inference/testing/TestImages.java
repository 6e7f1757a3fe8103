package org.affectdml.inference.testing;

import javax.imageio.ImageIO;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

/** Small generated photos-of-sorts for tests: a coloured background with a coloured "person" block. */
public final class TestImages {

    private TestImages() {
    }

    public static BufferedImage scene(int width, int height, Color background, Color person, int x1, int y1, int x2, int y2) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(background);
        g.fillRect(0, 0, width, height);
        g.setColor(person);
        g.fillRect(x1, y1, x2 - x1, y2 - y1);
        g.setColor(person.darker());
        g.fillOval(x1 + (x2 - x1) / 4, y1, (x2 - x1) / 2, (y2 - y1) / 4);
        g.dispose();
        return image;
    }

    public static byte[] encode(BufferedImage image, String format) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] jpeg(BufferedImage image) {
        return encode(image, "jpg");
    }

    public static byte[] png(BufferedImage image) {
        return encode(image, "png");
    }

    /** A valid PNG whose header declares {@code width x height} but whose data is a single tiny IDAT. */
    public static byte[] pngDeclaring(int width, int height) {
        byte[] small = png(new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB));
        // IHDR data starts at byte 16: width (4 bytes), height (4 bytes); its CRC follows at 29.
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(small);
        b.putInt(16, width);
        b.putInt(20, height);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(small, 12, 17);
        b.putInt(29, (int) crc.getValue());
        return small;
    }

    /** Where ../shared lives when the environment points there (AFFECT_SHARED_DIR), else null. */
    public static java.nio.file.Path sharedDir() {
        String dir = System.getenv("AFFECT_SHARED_DIR");
        if (dir == null || dir.isBlank()) {
            return null;
        }
        java.nio.file.Path p = java.nio.file.Path.of(dir);
        return java.nio.file.Files.isDirectory(p.resolve("models")) ? p : null;
    }

    /**
     * ../shared, or the test is skipped with the reason printed to the build log (JUnit keeps an
     * assumption's message only in the report).
     */
    public static java.nio.file.Path requireSharedDir() {
        java.nio.file.Path shared = sharedDir();
        if (shared == null) {
            String reason = "SKIPPED: AFFECT_SHARED_DIR does not point at ../shared (with models/ and images/); "
                    + "set it (as .ci/run does) to run the real-architecture stand-in tests";
            System.out.println(reason);
            org.junit.jupiter.api.Assumptions.abort(reason);
        }
        return shared;
    }

    /** Inserts an APP1 Exif segment with one IFD0 entry, Orientation, right after SOI. */
    public static byte[] withExifOrientation(byte[] jpeg, int orientation) {
        ByteBuffer tiff = ByteBuffer.allocate(26);
        tiff.put(new byte[]{'M', 'M', 0, 42}).putInt(8)      // big-endian TIFF header, IFD0 at 8
                .putShort((short) 1)                         // one entry
                .putShort((short) 0x0112).putShort((short) 3).putInt(1)
                .putShort((short) orientation).putShort((short) 0)
                .putInt(0);                                  // no next IFD
        byte[] exif = ByteBuffer.allocate(6 + tiff.capacity()).put("Exif\0\0".getBytes()).put(tiff.array()).array();
        ByteBuffer out = ByteBuffer.allocate(jpeg.length + 4 + exif.length);
        out.put(jpeg, 0, 2).put((byte) 0xFF).put((byte) 0xE1).putShort((short) (exif.length + 2)).put(exif)
                .put(jpeg, 2, jpeg.length - 2);
        return out.array();
    }


    /** A 4-component (plain CMYK, no Adobe marker) JPEG of one flat colour, written from a raster. */
    public static byte[] cmykJpeg(int w, int h, byte[] cmyk) {
        java.awt.image.WritableRaster raster = java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, w, h, 4, null);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                for (int b = 0; b < 4; b++) {
                    raster.setSample(x, y, b, cmyk[b] & 0xFF);
                }
            }
        }
        javax.imageio.ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (javax.imageio.stream.ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(null, new javax.imageio.IIOImage(raster, null, null), null);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /** An APP14 "Adobe" segment (transform 0: CMYK stored as is) right after SOI, and no ICC profile. */
    public static byte[] withAdobeMarker(byte[] jpeg) {
        byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
        byte[] out = new byte[jpeg.length + app14.length];
        System.arraycopy(jpeg, 0, out, 0, 2);
        System.arraycopy(app14, 0, out, 2, app14.length);
        System.arraycopy(jpeg, 2, out, 2 + app14.length, jpeg.length - 2);
        return out;
    }

}
