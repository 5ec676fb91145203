package dev.strata.broker.log;

import java.nio.ByteBuffer;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The log cleaner's map from record key to the offset of the key's latest record in the dirty part of a log.
 *
 * <p>A key is stored as its 16-byte MD5 digest, not as its bytes, so every entry takes the same 24 bytes (two longs
 * of digest, one long of offset) whatever the key's size, and {@code log.cleaner.dedupe.buffer.size} bounds the map
 * exactly; two keys sharing a digest is far less likely than a disk error. The slots (the budget rounded down to a
 * power of two, so a mask finds a key's slot) are open-addressed with linear probing in three parallel {@code long[]}. The arrays start small and double as keys arrive, up to the byte budget,
 * so a broker whose compacted logs are small never pays for the whole budget. The map counts as full at 90% of the
 * budget's slots, which keeps probe sequences short.
 *
 * <p>Not thread-safe: each cleaner thread owns one.
 */
final class OffsetMap {

    private static final int ENTRY_BYTES = 24;
    private static final double LOAD_FACTOR = 0.9;
    private static final int INITIAL_SLOTS = 1024;

    private final MessageDigest md5;
    private final int maxSlots;
    private final byte[] digest = new byte[16];
    private long[] hashHigh;
    private long[] hashLow;
    private long[] offsets;
    private int size;

    /** @param maxBytes the most memory the slots may take */
    OffsetMap(long maxBytes) {
        // a power of two, so that a mask finds a slot
        this.maxSlots = Integer.highestOneBit((int) Math.min(1 << 30, maxBytes / ENTRY_BYTES));
        if (maxSlots < 2) {
            throw new IllegalArgumentException("An offset map needs room for two entries");
        }
        try {
            this.md5 = MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("The JVM has no MD5", e);
        }
        allocate(Math.min(INITIAL_SLOTS, maxSlots));
    }

    /** How many keys the map holds before it counts as full. */
    int capacity() {
        return (int) (maxSlots * LOAD_FACTOR);
    }

    int size() {
        return size;
    }

    /** Whether {@code more} further keys may not fit. */
    boolean wouldOverflow(int more) {
        return (long) size + more > capacity();
    }

    /** Records {@code offset} as the latest offset of {@code key}; offsets must be put in ascending order. */
    void put(ByteBuffer key, long offset) {
        hash(key);
        long high = longAt(0);
        long low = longAt(8);
        int slot = find(high, low);
        if (offsets[slot] < 0) {
            if (size >= capacity()) {
                throw new IllegalStateException("The offset map is full at " + size + " keys");
            }
            if (size + 1 > offsets.length * LOAD_FACTOR && offsets.length < maxSlots) {
                allocateAndRehash((int) Math.min(maxSlots, 2L * offsets.length));
                slot = find(high, low);
            }
            hashHigh[slot] = high;
            hashLow[slot] = low;
            size++;
        }
        offsets[slot] = offset;
    }

    /** The latest offset recorded for {@code key}, or -1. */
    long get(ByteBuffer key) {
        hash(key);
        return offsets[find(longAt(0), longAt(8))];
    }

    void clear() {
        if (offsets.length > INITIAL_SLOTS) {
            allocate(Math.min(INITIAL_SLOTS, maxSlots));
        } else {
            Arrays.fill(offsets, -1L);
        }
        size = 0;
    }

    /** The slot holding the digest, or the empty slot where it belongs. */
    private int find(long high, long low) {
        int mask = offsets.length - 1;
        int slot = (int) (low ^ (low >>> 32) ^ high) & mask;
        while (offsets[slot] >= 0 && (hashHigh[slot] != high || hashLow[slot] != low)) {
            slot = (slot + 1) & mask;
        }
        return slot;
    }

    private void hash(ByteBuffer key) {
        md5.reset();
        md5.update(key.duplicate());
        try {
            md5.digest(digest, 0, digest.length);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
    }

    private long longAt(int from) {
        long value = 0;
        for (int i = from; i < from + 8; i++) {
            value = (value << 8) | (digest[i] & 0xFF);
        }
        return value;
    }

    private void allocate(int slots) {
        hashHigh = new long[slots];
        hashLow = new long[slots];
        offsets = new long[slots];
        Arrays.fill(offsets, -1L);
    }

    private void allocateAndRehash(int slots) {
        long[] oldHigh = hashHigh;
        long[] oldLow = hashLow;
        long[] oldOffsets = offsets;
        allocate(slots);
        for (int i = 0; i < oldOffsets.length; i++) {
            if (oldOffsets[i] >= 0) {
                int slot = find(oldHigh[i], oldLow[i]);
                hashHigh[slot] = oldHigh[i];
                hashLow[slot] = oldLow[i];
                offsets[slot] = oldOffsets[i];
            }
        }
    }
}
