package org.affectdml.registry.service;

import org.affectdml.proto.v1.Image;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.media.ImageFormats;

/** An image a client sent (AddSupport, Classify), checked by one rule: not empty, within the byte limit, JPEG or PNG as declared. */
record UploadedImage(byte[] bytes, String mediaType) {

    /** {@code label} names the image in messages ("support image", "image"). */
    static UploadedImage accept(Image image, String label, int maxBytes) {
        if (image.getData().isEmpty()) {
            throw Errors.invalidArgument(label + " is empty (0 bytes)");
        }
        if (image.getData().size() > maxBytes) {
            throw Errors.invalidArgument(label + " is " + image.getData().size() + " bytes, above the limit of "
                    + maxBytes + " bytes (affect.registry.max-image-bytes)");
        }
        byte[] bytes = image.getData().toByteArray();
        return new UploadedImage(bytes, ImageFormats.check(bytes, image.getMediaType()).mediaType);
    }
}
