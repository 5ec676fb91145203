package dev.strata.broker.api;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.apache.kafka.common.errors.InvalidConfigurationException;
import org.apache.kafka.common.errors.InvalidRequestException;
import org.apache.kafka.common.message.DescribeConfigsResponseData.DescribeConfigsResourceResult;
import org.apache.kafka.common.message.IncrementalAlterConfigsRequestData.AlterableConfig;
import org.apache.kafka.common.requests.DescribeConfigsResponse.ConfigSource;
import org.slf4j.LoggerFactory;

/**
 * The BROKER_LOGGER resource (Kafka's KIP-412): DescribeConfigs lists the broker's loggers with their effective level,
 * IncrementalAlterConfigs sets (SET) or unsets (DELETE, the logger then inherits its parent's level) a logger's level
 * at once. As in Kafka the change lives in memory only: a restart goes back to the logging configuration file. The
 * resource name must be this broker's id; a logger that does not exist or a level that is not one of Kafka's
 * ({@code TRACE DEBUG INFO WARN ERROR FATAL}; FATAL is logback's ERROR) is INVALID_CONFIG, APPEND and SUBTRACT and
 * unsetting the root logger are INVALID_REQUEST, as in Kafka. The root logger is named {@code root}.
 */
final class BrokerLoggers {
    static final String ROOT = "root";
    private static final Set<String> LEVELS = Set.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");
    private static final byte SET = 0;
    private static final byte DELETE = 1;
    private static final org.slf4j.Logger LOG = LoggerFactory.getLogger(BrokerLoggers.class);

    private final String nodeEntity;

    BrokerLoggers(String nodeEntity) {
        this.nodeEntity = nodeEntity;
    }

    List<DescribeConfigsResourceResult> describe(String resourceName) {
        if (resourceName.isEmpty()) {
            throw new InvalidRequestException("Broker id must not be empty");
        }
        BrokerConfigAlter.requireNodeId(resourceName, nodeEntity);
        List<DescribeConfigsResourceResult> out = new ArrayList<>();
        for (Logger logger : context().getLoggerList()) {
            out.add(new DescribeConfigsResourceResult()
                    .setName(name(logger))
                    .setValue(logger.getEffectiveLevel().toString())
                    .setConfigSource(ConfigSource.DYNAMIC_BROKER_LOGGER_CONFIG.id())
                    .setIsSensitive(false)
                    .setReadOnly(false)
                    .setSynonyms(List.of()));
        }
        return out;
    }

    /** Checks every operation, then (unless {@code validateOnly}) applies them all. */
    void alter(String resourceName, Collection<AlterableConfig> ops, boolean validateOnly) {
        BrokerConfigAlter.checkOps(ops);
        BrokerConfigAlter.requireNodeId(resourceName, nodeEntity);
        for (AlterableConfig op : ops) {
            validate(op);
        }
        if (validateOnly) {
            return;
        }
        for (AlterableConfig op : ops) {
            Logger logger = existing(op.name());
            if (op.configOperation() == SET) {
                logger.setLevel(level(op.value()));
                LOG.warn("Updated the log level of {} to {}", op.name(), op.value());
            } else {
                logger.setLevel(null);
                LOG.warn("Unset the log level of {}", op.name());
            }
        }
    }

    private static void validate(AlterableConfig op) {
        switch (op.configOperation()) {
            case SET -> {
                existing(op.name());
                if (!LEVELS.contains(op.value())) {
                    throw new InvalidConfigurationException("Cannot set the log level of " + op.name() + " to "
                            + op.value() + " as it is not a supported log level. Valid log levels are DEBUG, ERROR,"
                            + " FATAL, INFO, TRACE, WARN");
                }
            }
            case DELETE -> {
                existing(op.name());
                if (op.name().equals(ROOT)) {
                    throw new InvalidRequestException(
                            "Removing the log level of the " + ROOT + " logger is not allowed");
                }
            }
            case 2, 3 -> throw new InvalidRequestException((op.configOperation() == 2 ? "APPEND" : "SUBTRACT")
                    + " operation is not allowed for the BROKER_LOGGER resource");
            default -> throw new InvalidRequestException("Unknown operation type " + op.configOperation()
                    + " is not allowed for the BROKER_LOGGER resource");
        }
    }

    private static Level level(String kafkaLevel) {
        return kafkaLevel.equals("FATAL") ? Level.ERROR : Level.toLevel(kafkaLevel);
    }

    private static Logger existing(String name) {
        Logger logger = name.equals(ROOT)
                ? context().getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                : context().exists(name);
        if (logger == null) {
            throw new InvalidConfigurationException("Logger " + name + " does not exist!");
        }
        return logger;
    }

    private static String name(Logger logger) {
        return logger.getName().equals(org.slf4j.Logger.ROOT_LOGGER_NAME) ? ROOT : logger.getName();
    }

    private static LoggerContext context() {
        if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
            return context;
        }
        throw new InvalidRequestException("The broker does not log through logback; its log levels cannot be changed");
    }
}
