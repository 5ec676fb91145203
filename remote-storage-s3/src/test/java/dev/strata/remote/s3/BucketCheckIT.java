package dev.strata.remote.s3;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import dev.strata.testing.Await;
import dev.strata.testing.S3ProxyEndpoint;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
    private S3ProxyEndpoint proxy;

    @BeforeEach
    void start() throws Exception {
        proxy = S3ProxyEndpoint.inMemory();
        appender.start();
        logger.addAppender(appender);
    }

    @AfterEach
    void stop() throws Exception {
        logger.detachAppender(appender);
        proxy.close();
    }

    @Test
    void aMissingBucketIsReportedAtStartup() throws Exception {
        try (S3RemoteStorageManager rsm = new S3RemoteStorageManager()) {
            rsm.configure(configs(proxy.url(), "no-such-bucket"));
            ILoggingEvent event = awaitMessageContaining("no-such-bucket");
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).contains("HTTP 404", "no such bucket");
        }
    }

    @Test
    void anUnreachableEndpointIsReportedWithoutFailingConfigure() throws Exception {
        String endpoint = proxy.url();
        proxy.stop();
        try (S3RemoteStorageManager rsm = new S3RemoteStorageManager()) {
            rsm.configure(configs(endpoint, "tier"));
            ILoggingEvent event = awaitMessageContaining("cannot be reached");
            assertThat(event.getLevel()).isEqualTo(Level.WARN);
            assertThat(event.getFormattedMessage()).contains("tier").doesNotContain(S3ProxyEndpoint.SECRET_KEY);
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
                S3ProxyEndpoint.ACCESS_KEY,
                "aws.secret.access.key",
                S3ProxyEndpoint.SECRET_KEY,
                "s3.retry.max.attempts",
                "1");
    }

    private ILoggingEvent awaitMessageContaining(String text) {
        Await.until(
                TIMEOUT, "a WARN containing '" + text + "'", () -> warning(text).isPresent(), () -> ": " + events());
        return warning(text).orElseThrow();
    }

    private Optional<ILoggingEvent> warning(String text) {
        return events().stream()
                .filter(event -> event.getFormattedMessage().contains(text) && event.getLevel() == Level.WARN)
                .findFirst();
    }

    private List<ILoggingEvent> events() {
        synchronized (appender) { // AppenderBase.doAppend holds the appender's lock
            return List.copyOf(appender.list);
        }
    }
}
