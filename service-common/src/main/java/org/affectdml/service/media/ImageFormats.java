package org.affectdml.service.media;

import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;

import java.util.Locale;

/**
 * The image formats the API accepts (common.proto: JPEG and PNG), told from the file signature alone, and the
 * check that a declared media type agrees with the bytes. No decoding here (that is inference-core's
 * ImageDecoder), so services that only store uploads, like support-registry, carry no imaging code.
 * Failures are INVALID_ARGUMENT with a message that says what to send.
 */
public final class ImageFormats {

    /** Longest declared media type accepted (RFC 6838: type and subtype of up to 127 characters each). */
    public static final int MAX_MEDIA_TYPE = 255;

    private ImageFormats() {
    }

    public enum Format {
        JPEG("image/jpeg"), PNG("image/png");

        public final String mediaType;

        Format(String mediaType) {
            this.mediaType = mediaType;
        }
    }

    /** The format of {@code data}; a declared media type (may be empty: detect) must agree with it. */
    public static Format check(byte[] data, String declaredMediaType) {
        Format actual = sniff(data);
        if (declaredMediaType != null && !declaredMediaType.isBlank()) {
            Format declared = declared(declaredMediaType);
            if (declared != actual) {
                throw Errors.invalidArgument("media type " + Inputs.quoted(declaredMediaType) + " does not match the bytes, which are "
                        + actual.mediaType);
            }
        }
        return actual;
    }

    /** The format from the file signature; anything else is not an image the services read. */
    private static Format sniff(byte[] d) {
        if (d == null || d.length == 0) {
            throw Errors.invalidArgument("image is empty (0 bytes); send the encoded JPEG or PNG file");
        }
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
        throw Errors.invalidArgument("bytes are not a JPEG or PNG image (first bytes 0x" + head
                + "); supported media types: image/jpeg, image/png");
    }

    private static Format declared(String mediaType) {
        Inputs.requireText("media type", mediaType, MAX_MEDIA_TYPE, false);
        // strip(), not trim(): trim() would also drop control characters such as NUL.
        String normalized = mediaType.strip().toLowerCase(Locale.ROOT);
        int semicolon = normalized.indexOf(';');
        if (semicolon >= 0) {
            normalized = normalized.substring(0, semicolon).trim();
        }
        return switch (normalized) {
            case "image/jpeg", "image/jpg", "image/pjpeg" -> Format.JPEG;
            case "image/png" -> Format.PNG;
            default -> throw Errors.invalidArgument("unsupported media type " + Inputs.quoted(mediaType)
                    + "; supported: image/jpeg, image/png (or leave it empty to detect)");
        };
    }
}
