/**
 * Remote log manager. So far: storage backends loaded by class name through Kafka's {@code RemoteStorageManager} SPI
 * ({@link dev.strata.tiering.RemoteStorageManagers}), the filesystem backend
 * ({@link dev.strata.tiering.FileSystemRemoteStorageManager}), and the chunk cache that serves remote reads
 * ({@link dev.strata.tiering.ChunkCache}). Copy, retention and the broker wiring come later.
 */
package dev.strata.tiering;
