/** Load driver and JMH micro-benchmarks. */
package dev.strata.bench;
