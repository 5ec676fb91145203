/**
 * Strata's extension interfaces for storage backends, beyond Apache Kafka's {@code RemoteStorageManager} SPI: segment
 * manifests, from which a broker rebuilds a lost remote index ({@link dev.strata.storage.api.SegmentManifestStorage}),
 * and the read-ahead a backend lists them with ({@link dev.strata.storage.api.ManifestReadAhead}).
 *
 * <p>A small artifact of its own, which depends only on {@code kafka-storage-api} (provided by the broker), so that a
 * backend implements these interfaces without depending on Strata's engine and stays a plugin that Apache Kafka loads
 * too.
 */
package dev.strata.storage.api;
