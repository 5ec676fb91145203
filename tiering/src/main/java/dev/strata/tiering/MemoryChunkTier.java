package dev.strata.tiering;

import java.nio.ByteBuffer;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.server.log.remote.storage.RemoteLogSegmentId;

/**
 * The memory tier of the {@link ChunkCache}: chunks in least-recently-used order, evicted from the cold end while their
 * bytes exceed the budget. Chunks are read-only buffers, shared by every reader.
 */
final class MemoryChunkTier {

    private long capacityBytes;
    private final LinkedHashMap<ChunkKey, ByteBuffer> chunks = new LinkedHashMap<>(64, 0.75f, true);
    private long usedBytes;
    private long evictions;

    MemoryChunkTier(long capacityBytes) {
        this.capacityBytes = capacityBytes;
    }

    /** The chunk, marked as just used, or null. */
    synchronized ByteBuffer get(ChunkKey key) {
        return chunks.get(key);
    }

    /** Whether the chunk is here, without changing its place in the eviction order. */
    synchronized boolean contains(ChunkKey key) {
        return chunks.containsKey(key);
    }

    synchronized void put(ChunkKey key, ByteBuffer chunk) {
        ByteBuffer previous = chunks.put(key, chunk);
        if (previous != null) {
            usedBytes -= previous.capacity();
        }
        usedBytes += chunk.capacity();
        evictBeyondCapacity(key);
    }

    /** Changes the budget; a smaller one evicts the coldest chunks at once. */
    synchronized void resize(long capacityBytes) {
        this.capacityBytes = capacityBytes;
        evictBeyondCapacity(null);
    }

    synchronized long capacityBytes() {
        return capacityBytes;
    }

    /** Evicts from the cold end until the bytes fit, sparing {@code keep} (the chunk just put). */
    private void evictBeyondCapacity(ChunkKey keep) {
        Iterator<Map.Entry<ChunkKey, ByteBuffer>> coldestFirst =
                chunks.entrySet().iterator();
        while (usedBytes > capacityBytes && coldestFirst.hasNext()) {
            Map.Entry<ChunkKey, ByteBuffer> coldest = coldestFirst.next();
            if (coldest.getKey().equals(keep)) {
                continue;
            }
            usedBytes -= coldest.getValue().capacity();
            coldestFirst.remove();
            evictions++;
        }
    }

    synchronized void removeSegment(RemoteLogSegmentId segmentId) {
        chunks.entrySet().removeIf(entry -> {
            if (entry.getKey().segmentId().equals(segmentId)) {
                usedBytes -= entry.getValue().capacity();
                return true;
            }
            return false;
        });
    }

    synchronized void clear() {
        chunks.clear();
        usedBytes = 0;
    }

    synchronized long usedBytes() {
        return usedBytes;
    }

    synchronized long evictions() {
        return evictions;
    }
}
