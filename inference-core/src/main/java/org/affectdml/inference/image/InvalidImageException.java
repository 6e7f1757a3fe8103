package org.affectdml.inference.image;

/** The client sent an image or box that cannot be used; the message says why, for a person to act on. */
public class InvalidImageException extends IllegalArgumentException {

    public InvalidImageException(String message) {
        super(message);
    }

    public InvalidImageException(String message, Throwable cause) {
        super(message, cause);
    }
}
