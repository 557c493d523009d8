// itrade crypto keygen | rotate | rsa-keygen | seal | decrypt | unwrap: the seller's and buyer's
// key handling from a shell, next to mosquitto_pub and mosquitto_sub (docs/mosquitto.md). The
// steps are participant/crypto-io.ts; this adds arguments, stdin and stdout. The seller's key
// agent is `itrade agent` (with --key-file to run from key files alone).
import { InvalidArgumentError, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { oneLine } from '../../protocol/errors.ts';
import { toHex } from '../../protocol/bytes.ts';
import {
  buildReading,
  decryptEnvelope,
  decryptLine,
  unwrapAnswer,
  type DecryptedLine,
} from '../../participant/crypto-io.ts';
import { KeyringFolder, loadPrincipalKey, PrincipalKey, savePrincipalKey } from '../../sdk/node.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { decimal, int } from '../args.ts';

async function readStdin(): Promise<Buffer> {
  if (process.stdin.isTTY) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

interface SealOptions {
  sensor: string;
  dir: string;
  type?: number;
  value?: number;
  seq?: number;
  unit?: string;
  hex?: boolean;
}

function registerKeyFiles(cmd: Command, ctx: () => CliContext): void {
  cmd
    .command('keygen')
    .description("create a sensor's key file (key id 1) in the keys folder, mode 0600; prints {file, sensor, keyId}")
    .requiredOption('--sensor <address>', 'sensor contract address')
    .requiredOption('--dir <folder>', 'keys folder (one <sensor>.json per sensor)')
    .action((o: { sensor: string; dir: string }) => {
      const folder = new KeyringFolder(o.dir);
      const ring = folder.create(o.sensor);
      ctx().out(JSON.stringify({ file: folder.pathOf(ring.sensor), sensor: ring.sensor, keyId: ring.current().keyId }));
    });
  cmd
    .command('rotate')
    .description('make a new key current for a sensor; old keys stay for history; prints {sensor, keyId, sinceMs}')
    .requiredOption('--sensor <address>', 'sensor contract address')
    .requiredOption('--dir <folder>', 'keys folder')
    .action((o: { sensor: string; dir: string }) => {
      const e = new KeyringFolder(o.dir).rotate(o.sensor);
      ctx().out(JSON.stringify({ sensor: o.sensor.toLowerCase(), keyId: e.keyId, sinceMs: e.sinceMs }));
    });
  cmd
    .command('rsa-keygen')
    .description(
      'create a principal RSA key pair: private key file (PKCS#8, 0600), public SPKI PEM on stdout (for the chain)',
    )
    .requiredOption('--out <file>', 'private key file to create')
    .option('--bits <n>', 'modulus size', int, 2048)
    .action(async (o: { out: string; bits: number }) => {
      const key = await PrincipalKey.generate(o.bits);
      savePrincipalKey(key, o.out);
      ctx().out(key.publicKeyPem().trimEnd());
    });
}

function registerEnvelopes(cmd: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  cmd
    .command('seal')
    .description(
      'encrypt one reading into a binary envelope on stdout (for ' +
        'mosquitto_pub -s); without --value, reads the reading JSON from stdin',
    )
    .requiredOption('--sensor <address>', 'sensor contract address')
    .requiredOption('--dir <folder>', 'keys folder (the current key of <sensor>.json seals)')
    .option('--type <n>', 'sensor type (0 temperature, 1 humidity, 2 air pollution, 3 water pollution)', int)
    .option('--value <v>', 'the measured value', decimal)
    .option('--seq <n>', 'sequence number', int)
    .option('--unit <unit>', 'unit (default: the built-in unit of the type)')
    .option('--hex', 'print hex instead of raw bytes')
    .action(async (o: SealOptions) => {
      const json = o.value === undefined ? (await readStdin()).toString('utf8') : undefined;
      const reading = buildReading(o, json);
      const env = await new KeyringFolder(o.dir).get(o.sensor).seal(Buffer.from(JSON.stringify(reading)));
      if (o.hex) ctx().out(toHex(env));
      else process.stdout.write(env);
    });
  cmd
    .command('decrypt')
    .description(
      "decrypt envelopes from stdin: lines 'topic hex' (mosquitto_sub " +
        "-F '%t %x') or 'hex' with --sensor; prints JSON lines",
    )
    .requiredOption('--dir <folder>', 'keys folder with the sensor key files')
    .option('--sensor <address>', 'sensor of hex-only lines')
    .option('--raw', 'stdin is one raw binary envelope (mosquitto_sub -C 1 -N)')
    .action(async (o: { dir: string; sensor?: string; raw?: boolean }) => {
      const c = ctx();
      const store = new KeyringFolder(o.dir);
      const print = (d: DecryptedLine) =>
        c.out(JSON.stringify({ sensor: d.sensor, keyId: d.keyId, ...d.reading, latencyMs: d.latencyMs }));
      if (o.raw) {
        if (!o.sensor) throw new InvalidArgumentError('--raw needs --sensor');
        return print(await decryptEnvelope(await readStdin(), store, o.sensor));
      }
      let failed = 0;
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        if (!line.trim()) continue;
        try {
          print(await decryptLine(line, store, o.sensor));
        } catch (err) {
          failed++; // one bad envelope must not stop the stream
          c.err(`decrypt: ${oneLine(err)}`);
        }
      }
      setExit(failed > 0 ? EXIT.failed : EXIT.ok);
    });
  cmd
    .command('unwrap')
    .description(
      'read a key answer (JSON from buyers/<buyer>/keys/<id>) on ' +
        "stdin, unwrap it, add the key to the buyer's keys folder",
    )
    .requiredOption('--buyer <address>', "the buyer's principal address")
    .requiredOption('--key <file>', "the buyer's RSA private key file")
    .requiredOption('--dir <folder>', "the buyer's keys folder")
    .option('--seller-key <file>', "the seller's public key PEM (from chain): verify the seller's signature")
    .action(async (o: { buyer: string; key: string; dir: string; sellerKey?: string }) => {
      const seller = o.sellerKey ? readFileSync(o.sellerKey, 'utf8') : undefined;
      const answer = (await readStdin()).toString('utf8');
      const r = await unwrapAnswer(answer, await loadPrincipalKey(o.key), new KeyringFolder(o.dir), o.buyer, seller);
      ctx().out(JSON.stringify(r));
    });
}

export function registerCryptoCommand(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  const cmd = program
    .command('crypto')
    .description(
      'Sensor keys, envelopes and key answers from the shell, ' +
        'next to mosquitto_pub / mosquitto_sub (docs/mosquitto.md)',
    );
  registerKeyFiles(cmd, ctx);
  registerEnvelopes(cmd, ctx, setExit);
}
