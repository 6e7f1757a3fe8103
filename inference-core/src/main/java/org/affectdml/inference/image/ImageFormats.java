package org.affectdml.inference.image;

/**
 * JPEG or PNG, told from the file signature alone. Kept apart from {@link ImageDecoder} (ImageIO, AWT) so that
 * services that only check uploads, like support-registry, pull in no imaging code (and build natively).
 */
public final class ImageFormats {

    private ImageFormats() {
    }

    public enum Format {
        JPEG("image/jpeg"), PNG("image/png");

        public final String mediaType;

        Format(String mediaType) {
            this.mediaType = mediaType;
        }
    }

    /** The media type from the file signature ("image/jpeg" or "image/png"); INVALID_ARGUMENT-worthy otherwise. */
    public static String mediaTypeOf(byte[] data) {
        if (data == null || data.length == 0) {
            throw new InvalidImageException("image is empty (0 bytes); send the encoded JPEG or PNG file");
        }
        return sniff(data).mediaType;
    }

    /** The format from the file signature; anything else is not an image this service reads. */
    static Format sniff(byte[] d) {
        if (d.length >= 3 && (d[0] & 0xFF) == 0xFF && (d[1] & 0xFF) == 0xD8 && (d[2] & 0xFF) == 0xFF) {
            return Format.JPEG;
        }
        if (d.length >= 8 && (d[0] & 0xFF) == 0x89 && d[1] == 'P' && d[2] == 'N' && d[3] == 'G'
                && d[4] == 0x0D && d[5] == 0x0A && d[6] == 0x1A && d[7] == 0x0A) {
            return Format.PNG;
        }
        StringBuilder head = new StringBuilder();
        for (int i = 0; i < Math.min(8, d.length); i++) {
            head.append(String.format("%02x", d[i] & 0xFF));
        }
        throw new InvalidImageException("bytes are not a JPEG or PNG image (first bytes 0x" + head
                + "); supported media types: image/jpeg, image/png");
    }
}
