package org.affectdml.serving.security;

import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.spi.Prioritized;
import org.affectdml.service.security.ServiceAuthConfig;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

/**
 * Mutual TLS for the inference services: with {@code affect.service-auth.require-client-certificate} (the "tls" profile) a
 * call whose connection presented no client certificate is refused UNAUTHENTICATED. The TLS handshake asks for one
 * and rejects a certificate the trust store does not vouch for; this refuses the caller that sent none (Quarkus'
 * "required" client authentication is fixed at build time and would also close the plain-text listener).
 */
@GlobalInterceptor
@ApplicationScoped
public class ClientCertificateCheck implements ServerInterceptor, Prioritized {

    private final boolean required;

    public ClientCertificateCheck(ServiceAuthConfig config) {
        this.required = config.requireClientCertificate();
    }

    @Override
    public int getPriority() {
        return Integer.MAX_VALUE - 20;  // before the service key check and the service itself
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers, ServerCallHandler<Q, A> next) {
        if (!required || presentedCertificate(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION))) {
            return next.startCall(call, headers);
        }
        call.close(Status.UNAUTHENTICATED.withDescription("this service requires a client certificate (mutual TLS) "
                + "signed by the authority in its trust store"), new Metadata());
        return new ServerCall.Listener<>() {
        };
    }

    private static boolean presentedCertificate(SSLSession session) {
        if (session == null) {
            return false;
        }
        try {
            return session.getPeerCertificates().length > 0;
        } catch (SSLPeerUnverifiedException none) {
            return false;
        }
    }
}
