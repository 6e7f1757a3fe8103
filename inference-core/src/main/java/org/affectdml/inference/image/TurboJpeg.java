package org.affectdml.inference.image;

import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.NativeLongByReference;
import com.sun.jna.ptr.PointerByReference;
import org.jboss.logging.Logger;

import java.nio.ByteOrder;
import java.util.Optional;

/**
 * libjpeg-turbo's TurboJPEG C API (Debian {@code libturbojpeg0}, any 2.x or 3.x), bound with JNA: DCT-domain
 * scaled decoding (n/8 of the size, skipping most of the inverse DCT) and lossless cropping on MCU boundaries,
 * which ImageIO cannot do. Absent library = {@link #load()} is empty and callers use ImageIO.
 */
final class TurboJpeg {

    private static final Logger LOG = Logger.getLogger(TurboJpeg.class);

    // turbojpeg.h constants (stable across 1.x-3.x).
    static final int CS_CMYK = 3;
    static final int CS_YCCK = 4;
    private static final int ERR_WARNING = 0;
    private static final int FLAG_ACCURATE_DCT = 4096;
    private static final int XOPT_CROP = 1 << 2;
    private static final int PF_BGRX = 3;
    private static final int PF_XRGB = 5;
    private static final int[] MCU_WIDTH = {8, 16, 16, 8, 8, 32};
    private static final int[] MCU_HEIGHT = {8, 8, 16, 8, 16, 8};

    /** The slice of turbojpeg.h used here. */
    interface Api extends Library {
        Pointer tjInitDecompress();

        Pointer tjInitTransform();

        int tjDestroy(Pointer handle);

        int tjDecompressHeader3(Pointer handle, byte[] jpeg, NativeLong size, IntByReference width, IntByReference height,
                                IntByReference subsampling, IntByReference colorspace);

        int tjDecompress2(Pointer handle, byte[] jpeg, NativeLong size, int[] dst, int width, int pitch, int height,
                          int pixelFormat, int flags);

        int tjDecompress2(Pointer handle, Pointer jpeg, NativeLong size, int[] dst, int width, int pitch, int height,
                          int pixelFormat, int flags);

        int tjTransform(Pointer handle, byte[] jpeg, NativeLong size, int n, PointerByReference dstBuffers,
                        NativeLongByReference dstSizes, Transform transforms, int flags);

        void tjFree(Pointer buffer);

        String tjGetErrorStr2(Pointer handle);

        int tjGetErrorCode(Pointer handle);
    }

    /** struct tjtransform: a crop region, an operation (0 = none), options, and an unused custom filter. */
    @Structure.FieldOrder({"x", "y", "w", "h", "op", "options", "data", "customFilter"})
    public static class Transform extends Structure {
        public int x;
        public int y;
        public int w;
        public int h;
        public int op;
        public int options;
        public Pointer data;
        public Pointer customFilter;
    }

    /** What the JPEG header says, without decoding. */
    record Header(int width, int height, int subsampling, int colorspace) {
        boolean cmyk() {
            return colorspace == CS_CMYK || colorspace == CS_YCCK;
        }

        int mcuWidth() {
            return subsampling >= 0 && subsampling < MCU_WIDTH.length ? MCU_WIDTH[subsampling] : 32;
        }

        int mcuHeight() {
            return subsampling >= 0 && subsampling < MCU_HEIGHT.length ? MCU_HEIGHT[subsampling] : 16;
        }
    }

    /** TurboJPEG failed or warned; the ImageIO path then decides whether the data is corrupt (one rule for both). */
    static final class Failure extends Exception {
        Failure(String message) {
            super(message, null, false, false);
        }
    }

    private static final class Holder {
        static final Optional<TurboJpeg> INSTANCE = tryLoad();
    }

    private final Api api;

    private TurboJpeg(Api api) {
        this.api = api;
    }

    /** The library, loaded once; empty when the system has no libturbojpeg (or it is disabled by the caller). */
    static Optional<TurboJpeg> load() {
        return Holder.INSTANCE;
    }

    private static Optional<TurboJpeg> tryLoad() {
        try {
            Api api = Native.load("turbojpeg", Api.class);
            Pointer probe = api.tjInitDecompress();
            api.tjDestroy(probe);
            LOG.debug("JPEG decoding: TurboJPEG (DCT-scaled)");
            return Optional.of(new TurboJpeg(api));
        } catch (LinkageError | RuntimeException e) {
            LOG.infof("JPEG decoding: ImageIO (libturbojpeg not found: %s); install libturbojpeg0 for DCT-scaled decoding",
                    e.getMessage());
            return Optional.empty();
        }
    }

    Header header(byte[] jpeg) throws Failure {
        Pointer handle = api.tjInitDecompress();
        try {
            IntByReference w = new IntByReference();
            IntByReference h = new IntByReference();
            IntByReference subsampling = new IntByReference();
            IntByReference colorspace = new IntByReference();
            if (api.tjDecompressHeader3(handle, jpeg, new NativeLong(jpeg.length), w, h, subsampling, colorspace) != 0) {
                throw new Failure(api.tjGetErrorStr2(handle));
            }
            return new Header(w.getValue(), h.getValue(), subsampling.getValue(), colorspace.getValue());
        } finally {
            api.tjDestroy(handle);
        }
    }

    /**
     * Decodes the stored (not yet EXIF-oriented) region at {@code eighths}/8 of its size. The region must start
     * on an MCU boundary ({@link Header#mcuWidth()}); the whole image needs no cropping.
     */
    RgbImage decode(byte[] jpeg, Header header, PixelRegion region, int eighths) throws Failure {
        boolean whole = region.x() == 0 && region.y() == 0 && region.width() == header.width() && region.height() == header.height();
        int outW = scaled(region.width(), eighths);
        int outH = scaled(region.height(), eighths);
        int[] pixels = new int[outW * outH];
        int format = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? PF_BGRX : PF_XRGB;
        Pointer handle = api.tjInitDecompress();
        try {
            int status;
            if (whole) {
                status = api.tjDecompress2(handle, jpeg, new NativeLong(jpeg.length), pixels, outW, 0, outH, format, FLAG_ACCURATE_DCT);
            } else {
                status = decodeCropped(handle, jpeg, region, pixels, outW, outH, format);
            }
            if (status != 0) {
                // A warning (e.g. premature end of data) leaves the pixels partly grey: never use them.
                throw new Failure((api.tjGetErrorCode(handle) == ERR_WARNING ? "warning: " : "") + api.tjGetErrorStr2(handle));
            }
        } finally {
            api.tjDestroy(handle);
        }
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] &= 0xFFFFFF;
        }
        return new RgbImage(outW, outH, pixels);
    }

    /** Lossless crop to the region (coefficients copied, no IDCT), then a scaled decode of just that. */
    private int decodeCropped(Pointer decompressor, byte[] jpeg, PixelRegion region, int[] pixels, int outW, int outH,
                              int format) throws Failure {
        Pointer transformer = api.tjInitTransform();
        PointerByReference cropped = new PointerByReference();
        NativeLongByReference croppedSize = new NativeLongByReference();
        try {
            Transform crop = new Transform();
            crop.x = region.x();
            crop.y = region.y();
            crop.w = region.width();
            crop.h = region.height();
            crop.options = XOPT_CROP;
            if (api.tjTransform(transformer, jpeg, new NativeLong(jpeg.length), 1, cropped, croppedSize, crop, 0) != 0) {
                throw new Failure(api.tjGetErrorStr2(transformer));
            }
            return api.tjDecompress2(decompressor, cropped.getValue(), croppedSize.getValue(), pixels, outW, 0, outH,
                    format, FLAG_ACCURATE_DCT);
        } finally {
            if (cropped.getValue() != null) {
                api.tjFree(cropped.getValue());
            }
            api.tjDestroy(transformer);
        }
    }

    /** TJSCALED: a dimension at n/8, rounded up. */
    static int scaled(int dimension, int eighths) {
        return (dimension * eighths + 7) / 8;
    }
}
