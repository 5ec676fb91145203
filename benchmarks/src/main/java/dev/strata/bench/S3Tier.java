package dev.strata.bench;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Where a benchmark broker tiers: keys under {@code keyPrefix} in a bucket on an S3 endpoint, written through Strata's
 * S3 backend ({@value #STORAGE_MANAGER}), which Strata and Apache Kafka both load as their
 * {@code RemoteStorageManager}.
 *
 * @param endpoint {@code http://127.0.0.1:<port>}
 * @param bucket the bucket, which exists
 * @param accessKey the static access key
 * @param secretKey its secret
 * @param keyPrefix prefix of every key, so that two brokers can share a bucket
 */
record S3Tier(String endpoint, String bucket, String accessKey, String secretKey, String keyPrefix) {

    static final String STORAGE_MANAGER = "dev.strata.remote.s3.S3RemoteStorageManager";

    /**
     * The interval of the remote log manager's copy task and of local retention on both brokers (defaults: 30 s and
     * 5 min). Short, so that the time to offload measures the upload rather than the wait for the next task run.
     */
    static final String TASK_INTERVAL_MS = "200";

    /** The broker settings that turn tiering on and point the backend at this bucket, the same for both brokers. */
    Map<String, String> brokerConfigs() {
        Map<String, String> c = new LinkedHashMap<>();
        c.put("remote.log.storage.system.enable", "true");
        c.put("remote.log.storage.manager.class.name", STORAGE_MANAGER);
        c.put("rsm.config.s3.bucket.name", bucket);
        c.put("rsm.config.s3.region", "us-east-1");
        c.put("rsm.config.s3.endpoint.url", endpoint);
        c.put("rsm.config.s3.path.style.access.enabled", "true");
        c.put("rsm.config.aws.access.key.id", accessKey);
        c.put("rsm.config.aws.secret.access.key", secretKey);
        c.put("rsm.config.key.prefix", keyPrefix);
        c.put("remote.log.manager.task.interval.ms", TASK_INTERVAL_MS);
        c.put("log.retention.check.interval.ms", TASK_INTERVAL_MS);
        return c;
    }
}
