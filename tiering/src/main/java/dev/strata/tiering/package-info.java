/**
 * The remote log manager: everything between a broker's partitions and a storage backend, with no knowledge of the
 * network or of replication.
 *
 * <ul>
 *   <li>Backends: loaded by class name through Kafka's {@code RemoteStorageManager} SPI
 *       ({@link dev.strata.tiering.RemoteStorageManagers}, which also says whether a backend keeps segment manifests,
 *       Strata's {@link dev.strata.storage.api.SegmentManifestStorage}), and the filesystem backend
 *       ({@link dev.strata.tiering.FileSystemRemoteStorageManager}). The S3 backend lives in its own module.
 *   <li>Copy and expiry: {@link dev.strata.tiering.RemoteLogManager} copies sealed segments with their index entries
 *       and manifests, deletes remote segments by retention, and records both in the RocksDB remote index; it sees a
 *       partition only as a {@link dev.strata.tiering.TieredPartition} and its {@link dev.strata.tiering.LocalSegment}s.
 *       It schedules the work; the package-private {@code SegmentCopier}, {@code RemoteRetention},
 *       {@code TopicDeletions} and {@code RemoteSegmentDeleter} do it.
 *   <li>Reads: {@link dev.strata.tiering.RemoteLogReader} serves fetches below the local log start offset through the
 *       {@link dev.strata.tiering.ChunkCache} (memory and disk, with read-ahead), checking every batch's CRC.
 *   <li>Recovery: {@link dev.strata.tiering.RemoteIndexRebuild} restores a lost remote index from the backend's
 *       manifests before the broker tiers or serves anything.
 * </ul>
 */
package dev.strata.tiering;
