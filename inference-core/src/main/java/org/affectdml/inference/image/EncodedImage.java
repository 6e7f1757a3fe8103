package org.affectdml.inference.image;

/**
 * An encoded JPEG or PNG whose header has been read and checked against the limits, before any pixel is
 * decoded: its format, stored size and EXIF orientation. {@link #width()} and {@link #height()} are the size
 * as displayed (after orientation), the frame person boxes refer to.
 */
public final class EncodedImage {

    private final byte[] data;
    private final String mediaType;
    private final int storedWidth;
    private final int storedHeight;
    private final int orientation;
    private final TurboJpeg.Header jpegHeader;

    EncodedImage(byte[] data, String mediaType, int storedWidth, int storedHeight, int orientation, TurboJpeg.Header jpegHeader) {
        this.data = data;
        this.mediaType = mediaType;
        this.storedWidth = storedWidth;
        this.storedHeight = storedHeight;
        this.orientation = orientation;
        this.jpegHeader = jpegHeader;
    }

    public byte[] data() {
        return data;
    }

    /** "image/jpeg" or "image/png". */
    public String mediaType() {
        return mediaType;
    }

    public int width() {
        return ExifOrientation.orientedWidth(storedWidth, storedHeight, orientation);
    }

    public int height() {
        return ExifOrientation.orientedHeight(storedWidth, storedHeight, orientation);
    }

    /** EXIF orientation 1..8 (1 when absent). */
    public int orientation() {
        return orientation;
    }

    public PixelRegion whole() {
        return new PixelRegion(0, 0, width(), height());
    }

    int storedWidth() {
        return storedWidth;
    }

    int storedHeight() {
        return storedHeight;
    }

    /** TurboJPEG's view of the header; null when it is not used for this image. */
    TurboJpeg.Header jpegHeader() {
        return jpegHeader;
    }
}
