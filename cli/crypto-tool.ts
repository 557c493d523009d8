// itrade crypto tool: the seller's and buyer's key handling from a shell, next to mosquitto_pub and
// mosquitto_sub (docs/mosquitto.md). Run: npx tsx cli/crypto-tool.ts <command> --help
//   keygen / rotate     a sensor's AES key file (seller)
//   rsa-keygen          a principal's RSA key pair: private key file, public PEM for the chain
//   seal                one reading -> one binary envelope on stdout (mosquitto_pub -s)
//   decrypt             envelopes as mosquitto_sub -F '%t %x' prints them -> readings (JSON lines)
//   unwrap              a key answer from buyers/<buyer>/keys/<id> -> the buyer's key file
//   agent               the seller's key agent, serving key requests over MQTT
import { Command, InvalidArgumentError } from 'commander';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { oneLine } from '../protocol/errors.ts';
import { createLogger } from '../lib/log.ts';
import { KeyringStore } from '../sdk/crypto/keyring.ts';
import { PrincipalKey } from '../sdk/crypto/rsa.ts';
import { buildReading, decryptEnvelope, decryptLine, unwrapAnswer } from '../participant/crypto-io.ts';
import { KeyAgent } from '../sdk/key-agent.ts';

function int(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('not a non-negative integer');
  return n;
}

function num(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('not a number');
  return n;
}

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const program = new Command()
  .name('crypto-tool')
  .description('ITrade sensor keys, envelopes and key exchange from the shell')
  .showHelpAfterError();

program
  .command('keygen')
  .description("create a sensor's key file (key id 1) in the keys folder, mode 0600")
  .requiredOption('--sensor <address>', 'sensor contract address')
  .requiredOption('--dir <folder>', 'keys folder (one <sensor>.json per sensor)')
  .action((o: { sensor: string; dir: string }) => {
    const ring = new KeyringStore(o.dir).create(o.sensor);
    console.log(JSON.stringify({ file: ring.path, sensor: ring.sensor, keyId: ring.current().keyId }));
  });

program
  .command('rotate')
  .description('make a new key current for a sensor; old keys stay for history')
  .requiredOption('--sensor <address>', 'sensor contract address')
  .requiredOption('--dir <folder>', 'keys folder')
  .action((o: { sensor: string; dir: string }) => {
    const e = new KeyringStore(o.dir).get(o.sensor).rotate();
    console.log(JSON.stringify({ sensor: o.sensor.toLowerCase(), keyId: e.keyId, sinceMs: e.sinceMs }));
  });

program
  .command('rsa-keygen')
  .description('create a principal RSA key pair: private key file (0600), public PEM on stdout (register it on chain)')
  .requiredOption('--out <file>', 'private key file to create')
  .option('--bits <n>', 'modulus size', int, 2048)
  .action((o: { out: string; bits: number }) => {
    const key = PrincipalKey.generate(o.bits);
    key.save(o.out);
    process.stdout.write(key.publicKeyPem() + '\n');
  });

program
  .command('seal')
  .description(
    'encrypt one reading into a binary envelope on stdout (for mosquitto_pub -s); without --value, reads the ' +
      'reading JSON from stdin',
  )
  .requiredOption('--sensor <address>', 'sensor contract address')
  .requiredOption('--dir <folder>', 'keys folder')
  .option('--type <n>', 'sensor type (0 temperature, 1 humidity, 2 air pollution, 3 water pollution)', int)
  .option('--value <v>', 'the measured value', num)
  .option('--seq <n>', 'sequence number', int)
  .option('--unit <unit>', 'unit (default: the built-in unit of the type)')
  .option('--hex', 'print hex instead of raw bytes')
  .action(
    async (o: {
      sensor: string;
      dir: string;
      type?: number;
      value?: number;
      seq?: number;
      unit?: string;
      hex?: boolean;
    }) => {
      const json = o.value === undefined ? (await readStdin()).toString('utf8') : undefined;
      const reading = buildReading(o, json);
      const env = new KeyringStore(o.dir).get(o.sensor).seal(Buffer.from(JSON.stringify(reading)));
      process.stdout.write(o.hex ? `${env.toString('hex')}\n` : env);
    },
  );

program
  .command('decrypt')
  .description(
    "decrypt envelopes from stdin: lines 'topic hex' (mosquitto_sub -F '%t %x') or 'hex' with --sensor; prints " +
      'JSON lines',
  )
  .requiredOption('--dir <folder>', 'keys folder with the sensor key files')
  .option('--sensor <address>', 'sensor of hex-only lines')
  .option('--raw', 'stdin is one raw binary envelope (mosquitto_sub -C 1 -N)')
  .action(async (o: { dir: string; sensor?: string; raw?: boolean }) => {
    const store = new KeyringStore(o.dir);
    const print = (d: ReturnType<typeof decryptLine>) =>
      console.log(JSON.stringify({ sensor: d.sensor, keyId: d.keyId, ...d.reading, latencyMs: d.latencyMs }));
    if (o.raw) {
      if (!o.sensor) throw new InvalidArgumentError('--raw needs --sensor');
      return print(decryptEnvelope(await readStdin(), store, o.sensor));
    }
    let failed = 0;
    for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
      if (!line.trim()) continue;
      try {
        print(decryptLine(line, store, o.sensor));
      } catch (err) {
        failed++; // one bad envelope must not stop the stream
        console.error(`decrypt: ${oneLine(err)}`);
      }
    }
    if (failed > 0) process.exitCode = 1;
  });

program
  .command('unwrap')
  .description(
    "read a key answer (JSON from buyers/<buyer>/keys/<id>) on stdin, unwrap it, add the key to the buyer's " +
      'keys folder',
  )
  .requiredOption('--buyer <address>', "the buyer's principal address")
  .requiredOption('--key <file>', "the buyer's RSA private key file")
  .requiredOption('--dir <folder>', "the buyer's keys folder")
  .option('--seller-key <file>', "the seller's public key PEM (from chain): verify the seller's signature")
  .action(async (o: { buyer: string; key: string; dir: string; sellerKey?: string }) => {
    const seller = o.sellerKey ? readFileSync(o.sellerKey, 'utf8') : undefined;
    const r = unwrapAnswer(
      (await readStdin()).toString('utf8'),
      PrincipalKey.load(o.key),
      new KeyringStore(o.dir),
      o.buyer,
      seller,
    );
    console.log(JSON.stringify(r));
  });

program
  .command('agent')
  .description("run the seller's key agent: answer key requests with keys wrapped for the buyer")
  .requiredOption('--url <url>', 'broker URL, e.g. mqtt://localhost:1883')
  .requiredOption('--seller <address>', "the seller's principal address")
  .requiredOption('--key <file>', "the seller's RSA private key file")
  .requiredOption('--dir <folder>', "the seller's keys folder")
  .option('--token <jwt>', "the seller's principal JWT (default: $ITRADE_TOKEN)")
  .option('--username <name>', 'MQTT username (default: the seller address)')
  .action(async (o: { url: string; seller: string; key: string; dir: string; token?: string; username?: string }) => {
    const log = createLogger({ level: 'info' });
    const token = o.token ?? process.env.ITRADE_TOKEN;
    const agent = await KeyAgent.start(
      { seller: o.seller, keyrings: new KeyringStore(o.dir), principalKey: PrincipalKey.load(o.key), log },
      { url: o.url, ...(token ? { password: token } : {}), ...(o.username ? { username: o.username } : {}) },
    );
    log.info({ seller: o.seller.toLowerCase() }, 'key agent running');
    const stop = () => void agent.stop().then(() => process.exit(0));
    process.once('SIGINT', stop).once('SIGTERM', stop);
  });

try {
  await program.parseAsync(process.argv);
} catch (err) {
  console.error(`crypto-tool: ${oneLine(err)}`);
  process.exitCode = 1;
}
