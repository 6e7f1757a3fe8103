package org.affectdml.inference.image;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.zip.CRC32;

/**
 * Camera-like test photos of any size, generated deterministically from a seed, for benchmarks and tests that
 * must not depend on files: smooth illumination, a few large objects, fine texture and sensor noise, so that a
 * JPEG at quality 90 has the size of a real photo (about 0.3 bytes per pixel: 12 Mpx is 3-5 MB).
 */
public final class SyntheticPhotos {

    private SyntheticPhotos() {
    }

    /** A width x height RGB photo; the same seed gives the same pixels. */
    public static BufferedImage photo(int width, int height, long seed) {
        Random random = new Random(seed);
        double[] phase = new double[6];
        for (int i = 0; i < phase.length; i++) {
            phase[i] = random.nextDouble() * Math.PI * 2;
        }
        int objects = 6;
        int[][] boxes = new int[objects][];
        int[] colours = new int[objects];
        for (int i = 0; i < objects; i++) {
            int w = width / 8 + random.nextInt(Math.max(1, width / 3));
            int h = height / 8 + random.nextInt(Math.max(1, height / 3));
            boxes[i] = new int[]{random.nextInt(Math.max(1, width - w)), random.nextInt(Math.max(1, height - h)), w, h};
            colours[i] = random.nextInt(0x1000000);
        }
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        int[] row = new int[width];
        for (int y = 0; y < height; y++) {
            double fy = (double) y / height;
            for (int x = 0; x < width; x++) {
                double fx = (double) x / width;
                // Low-frequency light, then fine texture (a few pixels per period) and per-pixel noise.
                double light = 110 + 60 * Math.sin(fx * 3 + phase[0]) * Math.cos(fy * 2 + phase[1]);
                double texture = 14 * Math.sin(x * 0.9 + phase[2]) * Math.sin(y * 1.1 + phase[3]);
                int r = (int) (light + texture);
                int g = (int) (light * 0.9 + texture + 20 * Math.sin(fx * 5 + phase[4]));
                int b = (int) (light * 0.8 + texture + 20 * Math.cos(fy * 4 + phase[5]));
                for (int i = 0; i < objects; i++) {
                    int[] o = boxes[i];
                    if (x >= o[0] && x < o[0] + o[2] && y >= o[1] && y < o[1] + o[3]) {
                        r = (r + (colours[i] >> 16 & 0xFF)) / 2;
                        g = (g + (colours[i] >> 8 & 0xFF)) / 2;
                        b = (b + (colours[i] & 0xFF)) / 2;
                    }
                }
                int noise = random.nextInt(17) - 8;
                row[x] = clamp(r + noise) << 16 | clamp(g + noise) << 8 | clamp(b + noise);
            }
            image.setRGB(0, y, width, 1, row, 0, width);
        }
        return image;
    }

    /** Baseline JPEG at the given quality (0..1), as cameras write them. */
    public static byte[] jpeg(BufferedImage image, float quality) {
        return encode(image, quality, false);
    }

    /** Progressive JPEG, as some editors and web pipelines write them. */
    public static byte[] progressiveJpeg(BufferedImage image, float quality) {
        return encode(image, quality, true);
    }

    private static byte[] encode(BufferedImage image, float quality, boolean progressive) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
            param.setCompressionQuality(quality);
            if (progressive) {
                param.setProgressiveMode(ImageWriteParam.MODE_DEFAULT);
            }
            writer.write(null, new IIOImage(image, null, null), param);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    /**
     * The encoded image with a text note added (a JPEG COM segment after SOI, a PNG tEXt chunk after IHDR): the same
     * pixels with other bytes, i.e. another sha256, as a distinct photo has.
     */
    public static byte[] withComment(byte[] image, String note) {
        byte[] text = note.getBytes(StandardCharsets.ISO_8859_1);
        if (image.length > 2 && (image[0] & 0xFF) == 0xFF && (image[1] & 0xFF) == 0xD8) {
            return ByteBuffer.allocate(image.length + 4 + text.length).put(image, 0, 2).put((byte) 0xFF).put((byte) 0xFE)
                    .putShort((short) (text.length + 2)).put(text).put(image, 2, image.length - 2).array();
        }
        if (image.length > 33 && image[1] == 'P' && image[2] == 'N' && image[3] == 'G') {
            byte[] type = "tEXt".getBytes(StandardCharsets.US_ASCII);
            byte[] data = ByteBuffer.allocate(8 + text.length).put("Comment".getBytes(StandardCharsets.US_ASCII)).put((byte) 0)
                    .put(text).array();
            CRC32 crc = new CRC32();
            crc.update(type);
            crc.update(data);
            // 8-byte signature + 25-byte IHDR chunk, then the new chunk
            return ByteBuffer.allocate(image.length + 12 + data.length).put(image, 0, 33).putInt(data.length).put(type).put(data)
                    .putInt((int) crc.getValue()).put(image, 33, image.length - 33).array();
        }
        throw new IllegalArgumentException("not a JPEG or PNG");
    }

    private static int clamp(int v) {
        return Math.max(0, Math.min(255, v));
    }
}
