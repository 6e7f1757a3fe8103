package org.affectdml.inference.bundle;

/** A bundle is missing, malformed or fails verification; the message names the file and the check. */
public class BundleException extends RuntimeException {

    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
