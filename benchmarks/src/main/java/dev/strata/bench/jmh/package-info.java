/**
 * JMH micro-benchmarks of Strata's hot paths: request decode and response encode with the kafka-clients message
 * classes, record batch validation, log append and offset index lookup. Run them with {@code org.openjdk.jmh.Main}
 * on the benchmarks' classpath (see {@code benchmarks/README.md}).
 */
package dev.strata.bench.jmh;
