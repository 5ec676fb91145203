package dev.strata.tiering;

import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;

/** Names one chunk: chunk {@code index} of a remote segment holds its log's bytes from {@code index * chunkSize}. */
record ChunkKey(RemoteLogSegmentId segmentId, int index) {

    /** A file name for the chunk, unique because segment UUIDs are (base64url has no dots). */
    String fileName() {
        return segmentId.id() + "." + index + ".chunk";
    }
}
