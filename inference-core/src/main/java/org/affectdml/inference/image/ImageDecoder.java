package org.affectdml.inference.image;

import com.drew.imaging.ImageMetadataReader;
import com.drew.metadata.Metadata;
import com.drew.metadata.exif.ExifIFD0Directory;
import com.twelvemonkeys.imageio.plugins.jpeg.JPEGImageReaderSpi;
import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;

import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.stream.ImageInputStream;
import java.awt.Rectangle;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Decodes JPEG and PNG bytes into RGB pixels, enforcing {@link ImageLimits} before any raster is allocated (the
 * pixel count comes from the header). EXIF orientation is applied; greyscale is replicated to R=G=B; CMYK/YCCK
 * JPEGs are converted by TwelveMonkeys; alpha is dropped, as PIL's convert("RGB").
 * <p>
 * Decodes at reduced resolution when a caller needs less than the full image ({@link #decode(EncodedImage,
 * PixelRegion, double)}): JPEGs through TurboJPEG at n/8 of the size in the DCT domain, and only the region
 * asked for (lossless crop first); without libturbojpeg, and for PNG, ImageIO reads just the region with
 * subsampling, so the raster is never allocated at full size. All decodes share a memory budget.
 * <p>
 * Truncated or corrupt data is rejected, also when ImageIO reports it only as a warning; warnings that say
 * nothing about the pixels (a missing ICC profile, an odd JFIF marker) are accepted.
 */
public final class ImageDecoder {

    static {
        // TwelveMonkeys' reader (CMYK/YCCK, broken ICC profiles) wraps the JDK's: it must be registered to find it.
        IIORegistry.getDefaultInstance().registerServiceProvider(new JPEGImageReaderSpi());
        // Images are decoded from memory: ImageIO's default cache would copy streams (its own and the readers' inner
        // ones) into temporary files, ~0.1-0.2 ms of file-system work per image on an idle machine.
        ImageIO.setUseCache(false);
    }

    private final ImageLimits limits;
    private final Optional<TurboJpeg> turboJpeg;
    private final DecodeMemoryBudget budget;

    /** Uses TurboJPEG for JPEG when the system has libturbojpeg. */
    public ImageDecoder(ImageLimits limits) {
        this(limits, true);
    }

    /** {@code useTurboJpeg = false}: ImageIO only (tests of the fallback, or a system where TurboJPEG misbehaves). */
    public ImageDecoder(ImageLimits limits, boolean useTurboJpeg) {
        this.limits = limits;
        this.turboJpeg = useTurboJpeg ? TurboJpeg.load() : Optional.empty();
        this.budget = new DecodeMemoryBudget(limits.decodeMemoryBytes());
    }

    public ImageLimits limits() {
        return limits;
    }

    /** Whether JPEGs are decoded by TurboJPEG (DCT-scaled) rather than ImageIO. */
    public boolean usesTurboJpeg() {
        return turboJpeg.isPresent();
    }

    /** The whole image at full resolution. */
    public RgbImage decode(byte[] data) {
        EncodedImage image = open(data);
        return decode(image, image.whole(), 1).pixels();
    }

    /**
     * Reads the header: checks the byte and pixel limits, the format and the EXIF orientation. Services check the
     * bytes against the media type a client declared before they get here (service-common's ImageFormats).
     */
    public EncodedImage open(byte[] data) {
        if (data == null || data.length == 0) {
            throw new InvalidImageException("image is empty (0 bytes); send the encoded JPEG or PNG file");
        }
        if (data.length > limits.maxBytes()) {
            throw new InvalidImageException("image is " + data.length + " bytes, above the limit of "
                    + limits.maxBytes() + " bytes");
        }
        return withReader(data, (reader, mediaType) -> {
            int width;
            int height;
            try {
                width = reader.getWidth(0);
                height = reader.getHeight(0);
            } catch (IOException | RuntimeException e) {
                throw new InvalidImageException("cannot read the " + mediaType + " header: " + describe(e), e);
            }
            if (width <= 0 || height <= 0) {
                throw new InvalidImageException(mediaType + " header declares an empty image (" + width + "x" + height + ")");
            }
            long pixels = (long) width * height;
            if (pixels > limits.maxPixels()) {
                throw new InvalidImageException("image is " + width + "x" + height + " = " + pixels
                        + " pixels, above the limit of " + limits.maxPixels() + " pixels");
            }
            TurboJpeg.Header jpeg = mediaType.equals("image/jpeg") ? turboJpegHeader(data, width, height) : null;
            return new EncodedImage(data, mediaType, width, height, exifOrientation(data), jpeg);
        });
    }

    /**
     * Decodes the region (in displayed, full-resolution pixels) at no less than {@code minScale} of full
     * resolution, but not much more: the smallest scale the format offers that is at least that (capped at 1).
     * The result may cover a little more than the region (JPEG crops start on an 8 or 16 pixel boundary).
     */
    public DecodedImage decode(EncodedImage image, PixelRegion area, double minScale) {
        PixelRegion stored = ExifOrientation.toStored(area, image.storedWidth(), image.storedHeight(), image.orientation());
        if (image.jpegHeader() != null) {
            try {
                return turboJpegDecode(image, stored, minScale);
            } catch (TurboJpeg.Failure e) {
                // ImageIO then either decodes it (e.g. a warning ImageIO does not raise) or says precisely what is wrong.
            }
        }
        int step = Math.max(1, (int) Math.floor(1 / Math.max(minScale, 1e-6)));
        step = Math.min(step, Math.min(stored.width(), stored.height()));
        int outW = (stored.width() + step - 1) / step;
        int outH = (stored.height() + step - 1) / step;
        try (DecodeMemoryBudget.Reservation ignored = budget.reserve((long) outW * outH)) {
            RgbImage pixels = toRgb(read(image.data(), stored, step));
            return oriented(image, pixels, stored);
        }
    }

    private DecodedImage turboJpegDecode(EncodedImage image, PixelRegion stored, double minScale) throws TurboJpeg.Failure {
        TurboJpeg.Header header = image.jpegHeader();
        int eighths = Math.max(1, Math.min(8, (int) Math.ceil(minScale * 8 - 1e-9)));
        // A crop must start on an MCU boundary; it then covers a few more pixels to the left and top.
        int x = stored.x() / header.mcuWidth() * header.mcuWidth();
        int y = stored.y() / header.mcuHeight() * header.mcuHeight();
        PixelRegion aligned = new PixelRegion(x, y, stored.x() + stored.width() - x, stored.y() + stored.height() - y);
        long pixels = (long) TurboJpeg.scaled(aligned.width(), eighths) * TurboJpeg.scaled(aligned.height(), eighths);
        try (DecodeMemoryBudget.Reservation ignored = budget.reserve(pixels)) {
            return oriented(image, turboJpeg.orElseThrow().decode(image.data(), header, aligned, eighths), aligned);
        }
    }

    private static DecodedImage oriented(EncodedImage image, RgbImage storedPixels, PixelRegion storedRegion) {
        return new DecodedImage(ExifOrientation.apply(storedPixels, image.orientation()),
                ExifOrientation.toOriented(storedRegion, image.storedWidth(), image.storedHeight(), image.orientation()));
    }

    /** TurboJPEG's header when it will decode this JPEG: not CMYK/YCCK (ImageIO converts those), and it agrees on the size. */
    private TurboJpeg.Header turboJpegHeader(byte[] data, int width, int height) {
        if (turboJpeg.isEmpty()) {
            return null;
        }
        try {
            TurboJpeg.Header header = turboJpeg.get().header(data);
            return header.cmyk() || header.width() != width || header.height() != height ? null : header;
        } catch (TurboJpeg.Failure e) {
            return null;
        }
    }

    private BufferedImage read(byte[] data, PixelRegion stored, int step) {
        return withReader(data, (reader, mediaType) -> {
            List<String> warnings = new ArrayList<>();
            reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
            ImageReadParam param = reader.getDefaultReadParam();
            param.setSourceRegion(new Rectangle(stored.x(), stored.y(), stored.width(), stored.height()));
            param.setSourceSubsampling(step, step, 0, 0);
            BufferedImage image;
            try {
                image = reader.read(0, param);
            } catch (IOException | RuntimeException e) {
                throw new InvalidImageException("corrupt or truncated " + mediaType + ": " + describe(e), e);
            }
            List<String> corruption = warnings.stream().filter(ImageDecoder::signalsCorruption).toList();
            if (!corruption.isEmpty()) {
                throw new InvalidImageException("corrupt or truncated " + mediaType + ": " + String.join("; ", corruption));
            }
            return image;
        });
    }

    /** What an ImageIO reader of the bytes does, with its media type; the reader is disposed afterwards. */
    private interface ReaderWork<T> {
        T apply(ImageReader reader, String mediaType) throws IOException;
    }

    private static <T> T withReader(byte[] data, ReaderWork<T> work) {
        ImageReader reader = null;
        // read in place, not copied into a cache
        try (ImageInputStream in = new ByteArrayImageInputStream(data)) {
            reader = newReader(in);
            String mediaType = mediaType(reader);
            reader.setInput(in, true, true);
            return work.apply(reader, mediaType);
        } catch (IOException e) {
            throw new InvalidImageException("cannot read the image: " + describe(e), e);
        } finally {
            if (reader != null) {
                reader.dispose();
            }
        }
    }

    /**
     * Reader warnings about colour management or metadata leave the pixels intact (TwelveMonkeys warns about a
     * CMYK JPEG without an ICC profile, the JDK about odd JFIF/APP markers); every other warning, such as libjpeg's
     * "Premature end of JPEG file" or "Corrupt JPEG data", means pixels are missing or wrong.
     */
    static boolean signalsCorruption(String warning) {
        String w = warning.toLowerCase(Locale.ROOT);
        return !(w.contains("icc") || w.contains("color profile") || w.contains("colour profile")
                || w.contains("jfif") || w.contains("thumbnail") || w.contains("app14") || w.contains("adobe"));
    }

    private static String mediaType(ImageReader reader) {
        return reader.getOriginatingProvider().getMIMETypes()[0];
    }

    /** A JPEG or PNG reader that recognises the stream's signature; TwelveMonkeys' JPEG reader when there are several. */
    private static ImageReader newReader(ImageInputStream in) throws IOException {
        Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
        ImageReader chosen = null;
        while (readers.hasNext()) {
            ImageReader r = readers.next();
            String format = r.getFormatName().toLowerCase(Locale.ROOT);
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
