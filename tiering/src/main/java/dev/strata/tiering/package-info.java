/** Remote log manager: copies sealed segments to a remote storage backend (not wired yet). */
package dev.strata.tiering;
