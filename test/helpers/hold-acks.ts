// Preloaded into a gateway child process (node --import tsx --import <this> bin/itrade.mjs ...)
// by tests that need publishes provably in flight: SIGUSR2 starts holding Kafka's
// acknowledgements back (each batch is written to the real Kafka, but the bridge hears of it only
// on release), the next SIGUSR2 releases them. Each held batch is reported on stderr as one JSON
// line {"held":<entries>}, so the test can wait for it instead of hoping the timing gives it.
import { KafkaLogStore } from '../../bridge/kafka/store.ts';

let holding = false;
const waiting: (() => void)[] = [];

process.on('SIGUSR2', () => {
  holding = !holding;
  if (!holding) for (const release of waiting.splice(0)) release();
});

const append = KafkaLogStore.prototype.append;
KafkaLogStore.prototype.append = async function held(this: KafkaLogStore, records) {
  const offsets = await append.call(this, records);
  if (holding) {
    process.stderr.write(`${JSON.stringify({ held: records.length })}\n`);
    await new Promise<void>((release) => waiting.push(release));
  }
  return offsets;
};
