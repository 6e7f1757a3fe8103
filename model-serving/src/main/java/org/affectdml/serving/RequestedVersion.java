package org.affectdml.serving;

import org.affectdml.inference.bundle.BundleManifest;
import org.affectdml.service.errors.Errors;
import org.affectdml.service.errors.Inputs;

/** The model_version field of a request: empty (the active bundle) or a well-formed bundle version. */
public final class RequestedVersion {

    private RequestedVersion() {
    }

    /** The version as given; INVALID_ARGUMENT with a bounded echo when it cannot be a bundle version. */
    public static String check(String version) {
        if (!version.isEmpty() && !BundleManifest.VERSION_PATTERN.matcher(version).matches()) {
            throw Errors.invalidArgument("model_version " + Inputs.quoted(version)
                    + " is not a bundle version (1-128 of A-Z, a-z, 0-9, '.', '_', '-'); leave it empty for the active one");
        }
        return version;
    }
}
