package dev.strata.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import org.gaul.s3proxy.BlobStores;
import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import software.amazon.awssdk.services.s3.model.DeleteObjectsRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectsResponse;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;

/**
 * An S3 endpoint in the test JVM: S3Proxy on 127.0.0.1 over a blob store (in memory, on disk, or one the test
 * supplies), with AWS V2/V4 signatures checked against one key pair, {@link #ACCESS_KEY} and {@link #SECRET_KEY}.
 *
 * <p>{@link #stop()} takes the endpoint down and keeps the blobs; {@link #start()} brings it back on the same port
 * with the same blobs. {@link #holdUploads} stops chosen uploads inside the store, so that a test can catch a broker in
 * the middle of a copy; {@link #dropHeldUploads()} fails them without storing anything, as S3 does with a PUT whose
 * client went away. {@link #close()} stops it and closes the store.
 *
 * <p>S3Proxy logs request bodies at DEBUG: a module using this keeps {@code org.gaul} at WARN in its
 * {@code logback-test.xml}.
 */
public final class S3ProxyEndpoint implements S3Store {

    public static final String ACCESS_KEY = "strata-test-access";
    public static final String SECRET_KEY = "strata-test-secret-0123456789";

    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

    private final HoldingBlobStore store;
    private S3Proxy proxy;
    /**
     * Below the kernel's ephemeral range ({@link Ports#free()}): an ephemeral port may go to any outgoing connection
     * while the endpoint is stopped, and {@link #start()} could not bind it again.
     */
    private int port = Ports.free();

    private S3ProxyEndpoint(BlobStore store) {
        this.store = new HoldingBlobStore(store);
    }

    /** Starts an endpoint on a free port over an in-memory store. */
    public static S3ProxyEndpoint inMemory() throws Exception {
        return over(BlobStores.create("transient", new Properties()));
    }

    /** Starts an endpoint on a free port whose blobs live under {@code blobDir}, which it creates. */
    public static S3ProxyEndpoint onDisk(Path blobDir) throws Exception {
        try {
            Files.createDirectories(blobDir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        Properties props = new Properties();
        props.setProperty("jclouds.filesystem.basedir", blobDir.toString());
        return over(BlobStores.create("filesystem", props));
    }

    /**
     * Starts an endpoint on a free port over {@code store}, such as a {@link ForwardingBlobStore} that watches or
     * delays requests; {@link #close()} closes it.
     */
    public static S3ProxyEndpoint over(BlobStore store) throws Exception {
        S3ProxyEndpoint endpoint = new S3ProxyEndpoint(store);
        try {
            endpoint.start();
        } catch (Exception | Error e) {
            store.close();
            throw e;
        }
        return endpoint;
    }

    /** Serves (again), always on the same free port, and waits until it accepts. */
    public void start() throws Exception {
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
    public void stop() throws Exception {
        if (proxy != null) {
            S3Proxy stopping = proxy;
            proxy = null;
            stopping.stop();
        }
    }

    /** {@code http://127.0.0.1:<port>}. */
    @Override
    public String url() {
        return "http://127.0.0.1:" + port;
    }

    @Override
    public String accessKey() {
        return ACCESS_KEY;
    }

    @Override
    public String secretKey() {
        return SECRET_KEY;
    }

    public int port() {
        return port;
    }

    /** From now on, PUTs of keys matching {@code keys} wait inside the store until {@link #dropHeldUploads()}. */
    public void holdUploads(Predicate<String> keys) {
        store.hold(keys);
    }

    /** How many uploads are waiting in {@link #holdUploads}. */
    public int heldUploads() {
        return store.held.get();
    }

    /** Fails the held uploads without storing them and stops holding new ones. */
    public void dropHeldUploads() {
        store.dropHeld();
    }

    @Override
    public void close() throws Exception {
        try {
            store.dropHeld();
            stop();
        } finally {
            store.close();
        }
    }

    /** A blob store that can hold chosen PUTs until they are dropped. */
    private static final class HoldingBlobStore extends ForwardingBlobStore {
        private final AtomicInteger held = new AtomicInteger();
        private volatile Predicate<String> holding = key -> false;
        private volatile CountDownLatch drop = new CountDownLatch(1);

        HoldingBlobStore(BlobStore delegate) {
            super(delegate);
        }

        void hold(Predicate<String> keys) {
            drop = new CountDownLatch(1);
            holding = keys;
        }

        void dropHeld() {
            holding = key -> false;
            drop.countDown();
        }

        /** Forwarded as one call (the default deletes key by key), so the store below sees one DeleteObjects. */
        @Override
        public DeleteObjectsResponse removeBlobs(DeleteObjectsRequest request) {
            return delegate().removeBlobs(request);
        }

        @Override
        public PutObjectResponse putBlob(PutObjectRequest request, InputStream payload) {
            if (!holding.test(request.key())) {
                return super.putBlob(request, payload);
            }
            CountDownLatch released = drop;
            held.incrementAndGet();
            try {
                if (!released.await(5, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("upload of " + request.key() + " held for too long");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                held.decrementAndGet();
            }
            throw new IllegalStateException("upload of " + request.key() + " dropped by the test");
        }
    }
}
