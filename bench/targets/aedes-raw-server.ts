// Baseline target: plain Aedes 1.x with its in-memory persistence, no authentication, no Kafka:
// the ceiling the gateway's guarantees are measured against.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  const addr = server.address();
  process.send?.({ type: 'listening', port: typeof addr === 'object' && addr ? addr.port : 0 });
});
process.on('SIGTERM', () => {
  server.close();
  broker.close(() => process.exit(0));
});
