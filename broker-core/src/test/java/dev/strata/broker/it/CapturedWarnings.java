package dev.strata.broker.it;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * What one logger of the broker in this JVM writes at WARN and above while the capture is open: what an operator would
 * see in the broker's log.
 */
final class CapturedWarnings implements AutoCloseable {

    private final Logger logger;
    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();

    private CapturedWarnings(Logger logger) {
        this.logger = logger;
        appender.start();
        logger.addAppender(appender);
    }

    static CapturedWarnings of(Class<?> loggingClass) {
        return new CapturedWarnings((Logger) LoggerFactory.getLogger(loggingClass));
    }

    /** The formatted messages captured so far, oldest first. */
    List<String> messages() {
        synchronized (appender.list) {
            return appender.list.stream()
                    .filter(e -> e.getLevel().isGreaterOrEqual(Level.WARN))
                    .map(ILoggingEvent::getFormattedMessage)
                    .toList();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        appender.stop();
    }
}
