package dev.strata.broker.it;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * An S3 endpoint in the test JVM: S3Proxy on 127.0.0.1 over a filesystem blob store, with AWS V2/V4 signatures checked
 * against one key pair.
 *
 * <p>{@link #stop()} takes the endpoint down and keeps the blobs; {@link #start()} brings it back on the same port
 * with the same blobs.
 */
final class S3ProxyEndpoint implements AutoCloseable {

    static final String ACCESS_KEY = "strata-it-access";
    static final String SECRET_KEY = "strata-it-secret-0123456789";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final BlobStore store;
    private S3Proxy proxy;
    private int port;

    private S3ProxyEndpoint(BlobStore store) {
        this.store = store;
    }

    /** Starts an endpoint on a free port whose blobs live under {@code blobDir}. */
    static S3ProxyEndpoint start(Path blobDir) throws Exception {
        Files.createDirectories(blobDir);
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", blobDir.toString());
        S3ProxyEndpoint endpoint = new S3ProxyEndpoint(BlobStores.create("filesystem", props));
        endpoint.start();
        return endpoint;
    }

    /** Serves again, on the port of the first start (a free one the first time), and waits until it accepts. */
    void start() throws Exception {
        if (proxy != null) {
            throw new IllegalStateException("S3Proxy is already running on port " + port);
        }
        S3Proxy started = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:" + port))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .stopTimeout(0)
                .build();
        started.start();
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!"STARTED".equals(started.getState())) {
            if (System.nanoTime() - deadline > 0) {
                started.stop();
                throw new IllegalStateException("S3Proxy did not start: " + started.getState());
            }
            LockSupport.parkNanos(1_000_000);
        }
        proxy = started;
        port = started.getPort();
    }

    /** Stops serving, keeping the blobs: connections to {@link #url()} are refused until {@link #start()}. */
    void stop() throws Exception {
        if (proxy != null) {
            S3Proxy stopping = proxy;
            proxy = null;
            stopping.stop();
        }
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    int port() {
        return port;
    }

    @Override
    public void close() throws Exception {
        try {
            stop();
        } finally {
            store.close();
        }
    }
}
