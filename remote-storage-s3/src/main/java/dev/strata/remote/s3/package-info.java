/** S3 implementation of Kafka's RemoteStorageManager (not wired yet). */
package dev.strata.remote.s3;
