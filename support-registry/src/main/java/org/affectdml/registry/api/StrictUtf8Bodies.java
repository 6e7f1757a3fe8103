package org.affectdml.registry.api;

import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;
import org.affectdml.service.errors.Inputs;

import java.io.IOException;

/**
 * Request bodies read as text are decoded as strict UTF-8: bytes that are not UTF-8 are a 400 naming their offset,
 * never replacement characters stored in place of what the client sent. (Streamed bodies are checked line by line
 * by {@link NdjsonLines}.)
 */
@Provider
public class StrictUtf8Bodies implements ReaderInterceptor {

    @Override
    public Object aroundReadFrom(ReaderInterceptorContext context) throws IOException {
        if (context.getType() != String.class) {
            return context.proceed();
        }
        byte[] bytes = context.getInputStream().readAllBytes();
        return Inputs.utf8(bytes, 0, bytes.length, "the request body");
    }
}
