package org.affectdml.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Copies of an encoded image with the same pixels but different bytes (a JPEG comment or a PNG text chunk holding
 * a run id and a counter), so each benchmark request is a first sight for the services' scene cache, as distinct
 * photos are.
 */
final class DistinctCopies {

    /** Differs per process, so a second benchmark run against the same services is not answered from the cache either. */
    private static final long RUN = new java.security.SecureRandom().nextLong();

    private DistinctCopies() {
    }

    static byte[] copy(byte[] image, long n) {
        byte[] note = ("affect-bench " + Long.toHexString(RUN) + " " + n).getBytes(StandardCharsets.US_ASCII);
        if (image.length > 2 && (image[0] & 0xFF) == 0xFF && (image[1] & 0xFF) == 0xD8) {
            // COM segment right after SOI
            return ByteBuffer.allocate(image.length + 4 + note.length).put(image, 0, 2).put((byte) 0xFF).put((byte) 0xFE)
                    .putShort((short) (note.length + 2)).put(note).put(image, 2, image.length - 2).array();
        }
        if (image.length > 33 && image[1] == 'P' && image[2] == 'N' && image[3] == 'G') {
            // tEXt chunk right after IHDR (8-byte signature + 25-byte IHDR chunk)
            byte[] type = "tEXt".getBytes(StandardCharsets.US_ASCII);
            byte[] data = ByteBuffer.allocate(8 + note.length).put("Comment".getBytes(StandardCharsets.US_ASCII)).put((byte) 0)
                    .put(note).array();
            CRC32 crc = new CRC32();
            crc.update(type);
            crc.update(data, 0, 8 + note.length);
            return ByteBuffer.allocate(image.length + 12 + data.length).put(image, 0, 33).putInt(data.length).put(type).put(data)
                    .putInt((int) crc.getValue()).put(image, 33, image.length - 33).array();
        }
        throw new IllegalArgumentException("not a JPEG or PNG");
    }
}
