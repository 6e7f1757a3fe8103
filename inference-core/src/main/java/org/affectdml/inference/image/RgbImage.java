package org.affectdml.inference.image;

/**
 * A decoded image: 8-bit RGB pixels packed as {@code 0xRRGGBB}, row-major, {@code width * height} ints.
 * Decoded once per request and shared by every stage (crop, encoders, segmentation).
 */
public record RgbImage(int width, int height, int[] pixels) {

    public RgbImage {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive, got " + width + "x" + height);
        }
        if (pixels.length != (long) width * height) {
            throw new IllegalArgumentException(
                    "pixel array has " + pixels.length + " entries, expected " + width + "x" + height);
        }
    }

    /** Pixels from interleaved RGB bytes (3 per pixel, no padding), as sent between services. */
    public static RgbImage fromRgbBytes(int width, int height, byte[] rgb) {
        if (width <= 0 || height <= 0) {
            throw new InvalidImageException("raw RGB image size must be positive, got " + width + "x" + height);
        }
        long expected = (long) width * height * 3;
        if (rgb.length != expected) {
            throw new InvalidImageException("raw RGB image of " + width + "x" + height + " needs " + expected
                    + " bytes (3 per pixel), got " + rgb.length);
        }
        int[] pixels = new int[width * height];
        for (int i = 0, j = 0; i < pixels.length; i++, j += 3) {
            pixels[i] = (rgb[j] & 0xFF) << 16 | (rgb[j + 1] & 0xFF) << 8 | (rgb[j + 2] & 0xFF);
        }
        return new RgbImage(width, height, pixels);
    }

    /** Interleaved RGB bytes, the inverse of {@link #fromRgbBytes}. */
    public byte[] toRgbBytes() {
        byte[] rgb = new byte[pixels.length * 3];
        for (int i = 0, j = 0; i < pixels.length; i++, j += 3) {
            int p = pixels[i];
            rgb[j] = (byte) (p >> 16);
            rgb[j + 1] = (byte) (p >> 8);
            rgb[j + 2] = (byte) p;
        }
        return rgb;
    }

    public int rgb(int x, int y) {
        return pixels[y * width + x];
    }

    public long pixelCount() {
        return (long) width * height;
    }
}
