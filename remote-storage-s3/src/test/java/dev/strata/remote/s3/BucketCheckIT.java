package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * The bucket check {@link S3RemoteStorageManager#configure} starts: a missing bucket or an unreachable endpoint is
 * named in the log at once, and configuring never fails on it.
 */
class BucketCheckIT {

    private static final Duration TIMEOUT = Duration.ofSeconds(60);

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger logger = (Logger) LoggerFactory.getLogger(S3RemoteStorageManager.class);
    private S3ProxyFixture proxy;

    @BeforeEach
    void start() throws Exception {
        proxy = S3ProxyFixture.start();
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void stop() {
        logger.detachAppender(appender);
        proxy.close();
    }

    @Test
    void aMissingBucketIsReportedAtStartup() throws Exception {
        try (S3RemoteStorageManager rsm = new S3RemoteStorageManager()) {
            rsm.configure(configs(proxy.endpoint(), "no-such-bucket"));
            ILoggingEvent event = awaitMessageContaining("no-such-bucket");
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).contains("HTTP 404", "no such bucket");
        }
    }

    @Test
    void anUnreachableEndpointIsReportedWithoutFailingConfigure() throws Exception {
        String endpoint = proxy.endpoint();
        proxy.stop();
        try (S3RemoteStorageManager rsm = new S3RemoteStorageManager()) {
            rsm.configure(configs(endpoint, "tier"));
            ILoggingEvent event = awaitMessageContaining("cannot be reached");
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).contains("tier").doesNotContain(S3ProxyFixture.SECRET_KEY);
        }
    }

    private static Map<String, Object> configs(String endpoint, String bucket) {
        return Map.of(
                "s3.bucket.name",
                bucket,
                "s3.region",
                "us-east-1",
                "s3.endpoint.url",
                endpoint,
                "s3.path.style.access.enabled",
                "true",
                "aws.access.key.id",
                S3ProxyFixture.ACCESS_KEY,
                "aws.secret.access.key",
                S3ProxyFixture.SECRET_KEY,
                "s3.retry.max.attempts",
                "1");
    }

    private ILoggingEvent awaitMessageContaining(String text) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            List<ILoggingEvent> events;
            synchronized (appender) { // AppenderBase.doAppend holds the appender's lock
                events = List.copyOf(appender.list);
            }
            for (ILoggingEvent event : events) {
                if (event.getFormattedMessage().contains(text) && event.getLevel() == Level.WARN) {
                    return event;
                }
            }
            LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
        }
        throw new AssertionError("No WARN containing '" + text + "' within " + TIMEOUT + ": " + appender.list);
    }
}
