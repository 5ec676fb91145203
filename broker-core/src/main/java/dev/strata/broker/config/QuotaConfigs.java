package dev.strata.broker.config;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.common.config.ConfigDef.Importance;
import org.apache.kafka.common.config.ConfigDef.Range;
import org.apache.kafka.common.config.ConfigDef.Type;

/**
 * How client quotas measure rates, with Kafka's names and defaults; part of {@link BrokerConfigs#DEF}. The quotas
 * themselves are set per user and client id (AlterClientQuotas), not here.
 */
public final class QuotaConfigs {
    public static final String QUOTA_WINDOW_NUM = "quota.window.num";
    public static final String QUOTA_WINDOW_SIZE_SECONDS = "quota.window.size.seconds";
    public static final String CONTROLLER_QUOTA_WINDOW_NUM = "controller.quota.window.num";
    public static final String CONTROLLER_QUOTA_WINDOW_SIZE_SECONDS = "controller.quota.window.size.seconds";

    private QuotaConfigs() {}

    static void define(ConfigDef def) {
        def.define(
                        QUOTA_WINDOW_NUM,
                        Type.INT,
                        11,
                        Range.atLeast(1),
                        Importance.LOW,
                        "windows a client's byte rate is measured over, against its quota")
                .define(
                        QUOTA_WINDOW_SIZE_SECONDS,
                        Type.INT,
                        1,
                        Range.atLeast(1),
                        Importance.LOW,
                        "length of each of those windows, in seconds")
                .define(
                        CONTROLLER_QUOTA_WINDOW_NUM,
                        Type.INT,
                        11,
                        Range.atLeast(1),
                        Importance.LOW,
                        "windows of a client's controller mutation quota: its burst is this many windows at its rate")
                .define(
                        CONTROLLER_QUOTA_WINDOW_SIZE_SECONDS,
                        Type.INT,
                        1,
                        Range.atLeast(1),
                        Importance.LOW,
                        "length of each of those windows, in seconds");
    }
}
