/** Remote-segment metadata index on RocksDB (tiered storage; not wired yet). */
package dev.strata.index;
