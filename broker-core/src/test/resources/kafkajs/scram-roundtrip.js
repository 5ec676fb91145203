// Produces and consumes through KafkaJS with SASL/SCRAM, then tries a wrong password; run by ScramAuthenticationIT.
// Environment: BROKER (host:port), MECHANISM (scram-sha-256 or scram-sha-512), USER, PASSWORD, TOPIC.
const { Kafka, logLevel } = require('kafkajs');

const env = process.env;
const client = (password) => new Kafka({
  clientId: 'strata-kafkajs-scram',
  brokers: [env.BROKER],
  sasl: { mechanism: env.MECHANISM, username: env.USER, password },
  logLevel: logLevel.NOTHING,
  retry: { retries: 2 },
});

async function main() {
  const kafka = client(env.PASSWORD);
  const producer = kafka.producer();
  await producer.connect();
  const messages = Array.from({ length: 10 }, (_, i) => ({ key: `k${i}`, value: `kafkajs-${i}` }));
  await producer.send({ topic: env.TOPIC, messages });
  await producer.disconnect();
  console.log('produced 10');

  const consumer = kafka.consumer({ groupId: 'kafkajs-scram-group' });
  await consumer.connect();
  await consumer.subscribe({ topic: env.TOPIC, fromBeginning: true });
  const seen = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${seen.length} messages`)), 60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(message.value.toString());
        if (seen.length === 10) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  console.log(`consumed ${seen.length}: ${seen.join(',')}`);

  const wrong = client('not-the-password').admin();
  try {
    await wrong.connect();
    console.log('wrong password: connected');
  } catch (e) {
    console.log(`wrong password: ${e.name}: ${e.message}`);
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(e);
  process.exit(1);
});
