package org.affectdml.service.media;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ImageFormatsTest {

    private static final byte[] JPEG = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 0, 0x10};
    private static final byte[] PNG = {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0};

    private static String rejected(byte[] data, String mediaType) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> ImageFormats.check(data, mediaType));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        return e.getStatus().getDescription();
    }

    @Test
    void formatsAreToldFromTheSignatureAndAgreeingMediaTypesPass() {
        assertEquals(ImageFormats.Format.JPEG, ImageFormats.check(JPEG, ""));
        assertEquals(ImageFormats.Format.JPEG, ImageFormats.check(JPEG, "image/jpg"));
        assertEquals(ImageFormats.Format.JPEG, ImageFormats.check(JPEG, " Image/JPEG; q=1"));
        assertEquals(ImageFormats.Format.PNG, ImageFormats.check(PNG, "image/png"));
        assertEquals(ImageFormats.Format.PNG, ImageFormats.check(PNG, null));
    }

    @Test
    void otherBytesAreRefusedWithTheirFirstBytes() {
        assertTrue(rejected("GIF89a....".getBytes(), "").contains("not a JPEG or PNG image (first bytes 0x4749463839612e2e)"));
        assertTrue(rejected(new byte[0], "").contains("empty"));
        assertTrue(rejected(Arrays.copyOf(PNG, 5), "").contains("not a JPEG or PNG"));
    }

    @Test
    void aMediaTypeThatContradictsTheBytesOrIsUnsupportedIsRefused() {
        assertTrue(rejected(PNG, "image/jpeg").contains("does not match the bytes, which are image/png"));
        assertTrue(rejected(PNG, "image/gif").contains("unsupported media type 'image/gif'"));
    }

    @Test
    void anUnboundedMediaTypeIsNeverEchoedWhole() {
        String huge = "x".repeat(10_000);
        String message = rejected(JPEG, huge);
        assertTrue(message.length() < 200, message);
        assertTrue(message.contains("media type has 10000 characters, above the limit of 255"), message);
        assertTrue(!message.contains("x".repeat(65)), message);
        String controlled = rejected(JPEG, "image/jpeg\u0000");
        assertTrue(controlled.contains("media type has a control character (U+0000)"), controlled);
    }
}
