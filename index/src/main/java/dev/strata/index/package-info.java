/**
 * The remote index of tiered storage: a RocksDB store, one per broker, of every remote segment's metadata and KIP-405
 * state and of its sparse offset and time index entries ({@link dev.strata.index.RemoteIndexStore}), and the
 * per-segment manifest from which the store is rebuilt ({@link dev.strata.index.SegmentManifest}). It knows nothing
 * of Kafka's classes, the network or replication; {@code tiering} maps its types to Kafka's storage SPI.
 */
package dev.strata.index;
