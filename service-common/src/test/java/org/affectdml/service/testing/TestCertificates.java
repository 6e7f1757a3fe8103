package org.affectdml.service.testing;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.util.io.pem.PemObject;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Certificates a test makes for itself (BouncyCastle): a certificate authority and certificates it signs, written
 * as PEM files (certificate, PKCS#8 key) that Quarkus' TLS registry, its gRPC clients and grpc-java read.
 */
public final class TestCertificates {

    /** A certificate and its private key on disk, and the authority's certificate that signed it. */
    public record Issued(Path cert, Path key, Path ca) {
    }

    private static final AtomicLong SERIAL = new AtomicLong(System.currentTimeMillis());

    private final X500Name caName;
    private final KeyPair caKeys;
    private final X509Certificate caCert;
    private final Path dir;
    private final Path caFile;

    /** A new authority named {@code name}, writing its files under {@code dir}. */
    public TestCertificates(Path dir, String name) throws Exception {
        this.dir = Files.createDirectories(dir);
        this.caName = new X500Name("CN=" + name);
        this.caKeys = keys();
        X509v3CertificateBuilder b = builder(caName, caName, caKeys);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        this.caCert = sign(b, caKeys);
        this.caFile = write(name + "-ca.pem", pem(caCert));
    }

    /** The authority's certificate (what a trust store holds). */
    public Path caCertificate() {
        return caFile;
    }

    /**
     * A certificate for a service on this machine: valid as server (for {@code 127.0.0.1}, {@code localhost} and the
     * given extra names) and as client, as each service both serves and calls.
     */
    public Issued issue(String commonName, String... dnsNames) throws Exception {
        KeyPair keys = keys();
        X509v3CertificateBuilder b = builder(caName, new X500Name("CN=" + commonName), keys);
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false,
                new ExtendedKeyUsage(new KeyPurposeId[]{KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
        GeneralName[] names = new GeneralName[2 + dnsNames.length];
        names[0] = new GeneralName(GeneralName.iPAddress, "127.0.0.1");
        names[1] = new GeneralName(GeneralName.dNSName, "localhost");
        for (int i = 0; i < dnsNames.length; i++) {
            names[2 + i] = new GeneralName(GeneralName.dNSName, dnsNames[i]);
        }
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names));
        X509Certificate cert = sign(b, caKeys);
        Path certFile = write(commonName + ".pem", pem(cert));
        Path keyFile = write(commonName + "-key.pem", pem(new PemObject("PRIVATE KEY", keys.getPrivate().getEncoded())));
        return new Issued(certFile, keyFile, caFile);
    }

    private static KeyPair keys() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair();
    }

    private static X509v3CertificateBuilder builder(X500Name issuer, X500Name subject, KeyPair keys) {
        Instant now = Instant.now();
        return new JcaX509v3CertificateBuilder(issuer, BigInteger.valueOf(SERIAL.incrementAndGet()), Date.from(now.minus(Duration.ofHours(1))),
                Date.from(now.plus(Duration.ofDays(2))), subject, keys.getPublic());
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, KeyPair signer) throws Exception {
        return new JcaX509CertificateConverter().getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer.getPrivate())));
    }

    private static String pem(Object o) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(out)) {
            w.writeObject(o);
        }
        return out.toString();
    }

    private Path write(String name, String content) throws IOException {
        Path file = dir.resolve(name);
        Files.writeString(file, content);
        return file;
    }
}
