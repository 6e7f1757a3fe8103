package org.affectdml.registry.service;

import org.affectdml.service.errors.Errors;

/** Page sizes of the List calls (AIP-158): 0 asks for the default, larger than the maximum is cut to it. */
final class Paging {

    static final int DEFAULT_PAGE_SIZE = 50;
    static final int MAX_PAGE_SIZE = 500;

    private Paging() {
    }

    static int pageSize(int requested) {
        if (requested < 0) {
            throw Errors.invalidArgument("page_size must be >= 0 (0 = " + DEFAULT_PAGE_SIZE + "), got " + requested);
        }
        return requested == 0 ? DEFAULT_PAGE_SIZE : Math.min(requested, MAX_PAGE_SIZE);
    }
}
