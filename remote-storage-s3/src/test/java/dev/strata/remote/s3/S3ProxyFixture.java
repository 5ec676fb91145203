package dev.strata.remote.s3;

import java.net.URI;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;

/**
 * An S3 endpoint in the test JVM: S3Proxy over an in-memory blob store on 127.0.0.1 and a free port, with AWS
 * V2/V4 signatures checked against one key pair.
 */
final class S3ProxyFixture implements AutoCloseable {

    static final String ACCESS_KEY = "strata-test-access";
    static final String SECRET_KEY = "strata-test-secret-0123456789";

    private final BlobStore store;
    private final S3Proxy proxy;

    private S3ProxyFixture(BlobStore store, S3Proxy proxy) {
        this.store = store;
        this.proxy = proxy;
    }

    /** Starts a proxy and waits until it accepts requests. */
    static S3ProxyFixture start() throws Exception {
        return start(BlobStores.create("transient", new Properties()));
    }

    /** Starts a proxy over {@code store}, which it closes when closed, and waits until it accepts requests. */
    static S3ProxyFixture start(BlobStore store) throws Exception {
        S3Proxy proxy = S3Proxy.builder()
                .blobStore(store)
                .endpoint(URI.create("http://127.0.0.1:0"))
                .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS_KEY, SECRET_KEY)
                .stopTimeout(0)
                .build();
        proxy.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!"STARTED".equals(proxy.getState())) {
            if (System.nanoTime() > deadline) {
                proxy.stop();
                throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
            }
            LockSupport.parkNanos(1_000_000);
        }
        return new S3ProxyFixture(store, proxy);
    }

    String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    /** Stops serving; requests to {@link #endpoint()} are refused from now on. */
    void stop() {
        try {
            proxy.stop();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while stopping S3Proxy", e);
        } catch (Exception e) {
            throw new IllegalStateException("S3Proxy did not stop", e);
        }
    }

    @Override
    public void close() {
        try {
            stop();
        } finally {
            store.close();
        }
    }
}
