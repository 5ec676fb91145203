/**
 * S3 backend of Apache Kafka's tiered-storage SPI: {@link dev.strata.remote.s3.S3RemoteStorageManager}, usable from
 * Strata and from Apache Kafka 3.9+/4.x.
 */
package dev.strata.remote.s3;
