package dev.strata.broker.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Self-signed key stores for TLS tests, made with the JDK's {@code keytool} in a directory of their own: the broker's
 * key pair (subject {@code CN=localhost}, valid for 127.0.0.1 and localhost) in a PKCS12 key store, a client's
 * ({@code CN=alice,OU=clients,O=Strata}) in another, and two JKS trust stores: the clients' (holding the broker's
 * certificate) and the broker's (holding the client's). Every store has the password {@link #PASSWORD}.
 */
final class TestCertificates {
    static final String PASSWORD = "test-store-secret";
    static final String CLIENT_SUBJECT = "CN=alice,OU=clients,O=Strata";

    final Path brokerKeystore;
    final Path brokerTruststore;
    final Path clientKeystore;
    final Path clientTruststore;

    private TestCertificates(Path dir) {
        this.brokerKeystore = dir.resolve("broker.p12");
        this.brokerTruststore = dir.resolve("broker-trust.jks");
        this.clientKeystore = dir.resolve("client.p12");
        this.clientTruststore = dir.resolve("client-trust.jks");
    }

    /** The broker's certificate, PEM text. */
    String brokerCertificatePem() throws IOException {
        return Files.readString(brokerKeystore.resolveSibling("broker.pem"));
    }

    /** The broker's private key as unencrypted PKCS#8 PEM text, for {@code ssl.keystore.type=PEM}. */
    String brokerKeyPem() throws java.security.GeneralSecurityException, IOException {
        java.security.KeyStore store = java.security.KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(brokerKeystore)) {
            store.load(in, PASSWORD.toCharArray());
        }
        byte[] pkcs8 = store.getKey("broker", PASSWORD.toCharArray()).getEncoded();
        return "-----BEGIN PRIVATE KEY-----\n"
                + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(pkcs8)
                + "\n-----END PRIVATE KEY-----\n";
    }

    /**
     * Key stores in a new temporary directory, for a test class's static setup; {@link #delete} removes them.
     *
     * @throws IllegalStateException when {@code keytool} fails
     */
    static TestCertificates inTemporaryDirectory(String prefix) {
        try {
            return create(Files.createTempDirectory(prefix));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Deletes the directory of the key stores. */
    void delete() throws IOException {
        try (java.util.stream.Stream<Path> files = Files.walk(brokerKeystore.getParent())) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    static TestCertificates create(Path dir) throws IOException, InterruptedException {
        TestCertificates c = new TestCertificates(dir);
        Path brokerCert = dir.resolve("broker.pem");
        Path clientCert = dir.resolve("client.pem");
        keyPair(
                "broker",
                "CN=localhost",
                List.of("-ext", "SAN=ip:127.0.0.1,dns:localhost"),
                c.brokerKeystore,
                brokerCert);
        keyPair("alice", CLIENT_SUBJECT, List.of(), c.clientKeystore, clientCert);
        importCertificate("broker", brokerCert, "JKS", c.clientTruststore);
        importCertificate("alice", clientCert, "JKS", c.brokerTruststore);
        return c;
    }

    /** A broker key store whose certificate a certificate authority signed, and a trust store holding that authority. */
    record Signed(Path keystore, Path truststore) {}

    /**
     * A new certificate authority named {@code ca} and, signed by it, a broker key store with the subject and
     * alternative names of {@link #brokerKeystore}, in the key stores' directory; the trust store
     * (JKS) holds the authority alone, so a client that trusts it trusts no other broker certificate.
     */
    Signed signedBy(String ca) throws IOException, InterruptedException {
        Path dir = brokerKeystore.getParent();
        Path caStore = dir.resolve(ca + ".p12");
        Path caCert = dir.resolve(ca + ".pem");
        Path keystore = dir.resolve("broker-" + ca + ".p12");
        Path request = dir.resolve("broker-" + ca + ".csr");
        Path signed = dir.resolve("broker-" + ca + ".pem");
        Path truststore = dir.resolve(ca + "-trust.jks");
        List<String> san = List.of("-ext", "SAN=ip:127.0.0.1,dns:localhost");
        keyPair("ca", "CN=" + ca, List.of("-ext", "bc:c"), caStore, caCert);
        keyPair("broker", "CN=localhost", san, keystore, dir.resolve("broker-" + ca + "-self.pem"));
        keytool(
                "-certreq",
                "-alias",
                "broker",
                "-keystore",
                keystore.toString(),
                "-storepass",
                PASSWORD,
                "-file",
                request.toString());
        List<String> gencert = new ArrayList<>(List.of("-gencert", "-rfc", "-alias", "ca", "-validity", "2"));
        gencert.addAll(List.of("-keystore", caStore.toString(), "-storepass", PASSWORD));
        gencert.addAll(List.of("-infile", request.toString(), "-outfile", signed.toString()));
        gencert.addAll(san);
        keytool(gencert.toArray(String[]::new));
        importCertificate("ca", caCert, "PKCS12", keystore);
        importCertificate("broker", signed, "PKCS12", keystore);
        importCertificate("ca", caCert, "JKS", truststore);
        return new Signed(keystore, truststore);
    }

    /** Adds a certificate (PEM file) to a store, a new one or a key store whose key it signs. */
    private static void importCertificate(String alias, Path cert, String storeType, Path store)
            throws IOException, InterruptedException {
        keytool(
                "-importcert",
                "-noprompt",
                "-alias",
                alias,
                "-file",
                cert.toString(),
                "-storetype",
                storeType,
                "-keystore",
                store.toString(),
                "-storepass",
                PASSWORD);
    }

    /** A key pair in a PKCS12 key store of its own, and its certificate exported as PEM. */
    private static void keyPair(String alias, String subject, List<String> extensions, Path keystore, Path cert)
            throws IOException, InterruptedException {
        List<String> args = new ArrayList<>(List.of("-genkeypair", "-alias", alias, "-keyalg", "EC"));
        args.addAll(List.of("-groupname", "secp256r1", "-validity", "2", "-dname", subject, "-storetype", "PKCS12"));
        args.addAll(List.of("-keystore", keystore.toString(), "-storepass", PASSWORD));
        args.addAll(extensions);
        keytool(args.toArray(String[]::new));
        keytool(
                "-exportcert",
                "-rfc",
                "-alias",
                alias,
                "-keystore",
                keystore.toString(),
                "-storepass",
                PASSWORD,
                "-file",
                cert.toString());
    }

    private static void keytool(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "keytool").toString());
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        byte[] output = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException("keytool " + args[0] + " failed: " + new String(output, StandardCharsets.UTF_8));
        }
    }
}
