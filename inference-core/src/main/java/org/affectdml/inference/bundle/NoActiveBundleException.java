package org.affectdml.inference.bundle;

/** No verified bundle is loaded yet (none activated, or the active one failed verification). */
public class NoActiveBundleException extends RuntimeException {

    public NoActiveBundleException(String message) {
        super(message);
    }
}
