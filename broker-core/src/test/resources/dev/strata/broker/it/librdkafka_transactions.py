#!/usr/bin/env python3
"""librdkafka's transactional producer and read_committed consumer, for LibrdkafkaTransactionsIT.

Driven through Debian's python3-confluent-kafka (librdkafka underneath):

  librdkafka_transactions.py produce <bootstrap> <topic> <transactional id>
      three transactions on partitions 0 and 1 of <topic>: round 1 committed, round 2 aborted (after its records were
      delivered, so the broker holds them), round 3 committed; each record's value is round<r>-<outcome>-<i>.
  librdkafka_transactions.py consume <bootstrap> <topic> <count>
      reads <topic> from the beginning with isolation.level=read_committed until <count> records have arrived or 20 s
      passed, then prints one JSON list of [partition, value] pairs in the order received.

Any failure exits non-zero with the error on stderr.
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

ROUNDS = [("commit", 6), ("abort", 6), ("commit", 6)]
TIMEOUT_S = 30


def produce(bootstrap, topic, transactional_id):
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "transactional.id": transactional_id,
        "transaction.timeout.ms": 30000,
    })
    producer.init_transactions(TIMEOUT_S)
    for number, (outcome, records) in enumerate(ROUNDS, start=1):
        producer.begin_transaction()
        for i in range(records):
            producer.produce(topic, key="k%d" % i, value="round%d-%s-%d" % (number, outcome, i), partition=i % 2)
        if producer.flush(TIMEOUT_S) != 0:
            raise RuntimeError("round %d: records not delivered within %d s" % (number, TIMEOUT_S))
        if outcome == "commit":
            producer.commit_transaction(TIMEOUT_S)
        else:
            producer.abort_transaction(TIMEOUT_S)
    print("produced %d transactions" % len(ROUNDS))


def consume(bootstrap, topic, count):
    consumer = Consumer({
        "bootstrap.servers": bootstrap,
        "group.id": "librdkafka-read-committed",
        "isolation.level": "read_committed",
        "enable.auto.commit": False,
    })
    consumer.assign([TopicPartition(topic, 0, 0), TopicPartition(topic, 1, 0)])
    received = []
    deadline = time.monotonic() + 20
    while len(received) < count and time.monotonic() < deadline:
        message = consumer.poll(0.2)
        if message is None:
            continue
        if message.error():
            if message.error().code() == -191:  # _PARTITION_EOF, not an error
                continue
            raise RuntimeError(str(message.error()))
        received.append([message.partition(), message.value().decode("utf-8")])
    consumer.close()
    print(json.dumps(received))


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("produce", "consume"):
        sys.stderr.write(__doc__)
        sys.exit(2)
    if sys.argv[1] == "produce":
        produce(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        consume(sys.argv[2], sys.argv[3], int(sys.argv[4]))


if __name__ == "__main__":
    main()
