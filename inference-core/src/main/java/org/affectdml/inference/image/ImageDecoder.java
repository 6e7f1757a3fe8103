package org.affectdml.inference.image;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;

import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.stream.ImageInputStream;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * Decodes JPEG and PNG bytes into {@link RgbImage}, enforcing {@link ImageLimits} before any raster is
 * allocated (the pixel count comes from the header). EXIF orientation is applied; greyscale is replicated
 * to R=G=B; CMYK/YCCK JPEGs are converted by TwelveMonkeys; alpha is dropped, as PIL's convert("RGB").
 * Truncated or corrupt data, which ImageIO may only report as a warning, is rejected.
 */
public final class ImageDecoder {

    static {
        // TwelveMonkeys' reader (CMYK/YCCK, broken ICC profiles) wraps the JDK's: it must be registered to find it.
        IIORegistry.getDefaultInstance().registerServiceProvider(new JPEGImageReaderSpi());
    }

    private final ImageLimits limits;

    public ImageDecoder(ImageLimits limits) {
        this.limits = limits;
    }

    public ImageLimits limits() {
        return limits;
    }

    /**
     * Decodes JPEG or PNG bytes (told apart by ImageIO from their signature). Services check the bytes against
     * the media type a client declared before they get here (service-common's ImageFormats).
     */
    public RgbImage decode(byte[] data) {
        if (data == null || data.length == 0) {
            throw new InvalidImageException("image is empty (0 bytes); send the encoded JPEG or PNG file");
        }
        if (data.length > limits.maxBytes()) {
            throw new InvalidImageException("image is " + data.length + " bytes, above the limit of "
                    + limits.maxBytes() + " bytes");
        }
        BufferedImage decoded = read(data);
        int orientation = exifOrientation(data);
        return ExifOrientation.apply(toRgb(decoded), orientation);
    }

    private BufferedImage read(byte[] data) {
        List<String> warnings = new ArrayList<>();
        ImageReader reader = null;
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(data))) {
            reader = newReader(in);
            String mediaType = reader.getOriginatingProvider().getMIMETypes()[0];
            reader.setInput(in, true, true);
            int width;
            int height;
            try {
                width = reader.getWidth(0);
                height = reader.getHeight(0);
            } catch (IOException | RuntimeException e) {
                throw new InvalidImageException("cannot read the " + mediaType + " header: " + describe(e), e);
            }
            long pixels = (long) width * height;
            if (width <= 0 || height <= 0) {
                throw new InvalidImageException(mediaType + " header declares an empty image (" + width + "x" + height + ")");
            }
            if (pixels > limits.maxPixels()) {
                throw new InvalidImageException("image is " + width + "x" + height + " = " + pixels
                        + " pixels, above the limit of " + limits.maxPixels() + " pixels");
            }
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            BufferedImage image;
            try {
                image = reader.read(0);
            } catch (IOException | RuntimeException e) {
                throw new InvalidImageException("corrupt or truncated " + mediaType + ": " + describe(e), e);
            }
            if (!warnings.isEmpty()) {
                throw new InvalidImageException("corrupt or truncated " + mediaType + ": " + String.join("; ", warnings));
            }
            return image;
        } catch (IOException e) {
            throw new InvalidImageException("cannot read the image: " + describe(e), e);
        } finally {
            if (reader != null) {
                reader.dispose();
            }
        }
    }

    /** A JPEG or PNG reader that recognises the stream's signature; TwelveMonkeys' JPEG reader when there are several. */
    private static ImageReader newReader(ImageInputStream in) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        ImageReader chosen = null;
        while (readers.hasNext()) {
            ImageReader r = readers.next();
            String format = r.getFormatName().toLowerCase(java.util.Locale.ROOT);
            boolean supported = format.equals("jpeg") || format.equals("png");
            if (supported && (chosen == null || r.getOriginatingProvider() instanceof JPEGImageReaderSpi)) {
                chosen = r;
            }
        }
        if (chosen == null) {
            throw new InvalidImageException("bytes are not a JPEG or PNG image; supported media types: image/jpeg, image/png");
        }
        return chosen;
    }

    private static String describe(Exception e) {
        String message = e.getMessage();
        return message == null || message.isBlank() ? e.getClass().getSimpleName() : message;
    }

    /** EXIF orientation 1..8, 1 when absent or unreadable (a broken EXIF block is no reason to refuse a photo). */
    static int exifOrientation(byte[] data) {
        try {
            Metadata metadata = ImageMetadataReader.readMetadata(new ByteArrayInputStream(data), data.length);
            ExifIFD0Directory exif = metadata.getFirstDirectoryOfType(ExifIFD0Directory.class);
            if (exif != null && exif.containsTag(ExifIFD0Directory.TAG_ORIENTATION)) {
                int orientation = exif.getInt(ExifIFD0Directory.TAG_ORIENTATION);
                return orientation >= 1 && orientation <= 8 ? orientation : 1;
            }
        } catch (Exception | StackOverflowError e) {
            return 1;
        }
        return 1;
    }

    /** Packed RGB pixels. Grey rasters are read raw: BufferedImage.getRGB would apply a gamma curve to them. */
    static RgbImage toRgb(BufferedImage image) {
        int w = image.getWidth();
        int h = image.getHeight();
        int[] pixels = new int[w * h];
        Raster raster = image.getRaster();
        boolean grey = image.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
        if (grey) {
            int bits = image.getColorModel().getComponentSize(0);
            int shift = Math.max(0, bits - 8);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                raster.getSamples(0, y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v = Math.min(255, row[x] >> shift);
                    pixels[y * w + x] = v << 16 | v << 8 | v;
                }
            }
        } else {
            image.getRGB(0, 0, w, h, pixels, 0, w);
            for (int i = 0; i < pixels.length; i++) {
                pixels[i] &= 0xFFFFFF;
            }
        }
        return new RgbImage(w, h, pixels);
    }
}
