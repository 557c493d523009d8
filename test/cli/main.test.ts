import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { TokenService } from '../../auth/jwt.ts';
import { main } from '../../cli/main.ts';
import { fromRoot } from '../../lib/paths.ts';
import { VERSION } from '../../lib/version.ts';

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

const dir = mkdtempSync(join(tmpdir(), 'itrade-cli-'));

test('--help lists the commands and exits 0', async () => {
  const r = await run('--help');
  assert.is(r.code, 0);
  assert.match(r.out.join('\n'), /stack <action>/);
  assert.match(r.out.join('\n'), /config/);
});

test('--version prints the version; every command has --help', async () => {
  const v = await run('--version');
  assert.equal([v.code, v.out], [0, [VERSION]]);
  for (const cmd of ['gateway', 'operator-token', 'stack', 'deploy', 'config']) {
    const r = await run(cmd, '--help');
    assert.is(r.code, 0, cmd);
    assert.match(r.out.join('\n'), new RegExp(`^Usage: itrade ${cmd}`), cmd);
  }
});

const SECRET = 'cli-test-secret-that-is-at-least-32-bytes';
const withSecret = join(dir, 'secret.yaml');
writeFileSync(withSecret, `broker:\n  auth:\n    jwt:\n      secret: ${SECRET}\n    operatorTokenTtlSec: 600\n`);

test('operator-token prints a token the gateway accepts, for the given name', async () => {
  const r = await run('--config', withSecret, 'operator-token', 'alice');
  assert.is(r.code, 0);
  assert.is(r.out.length, 1);
  const tokens = await TokenService.create({
    alg: 'HS256',
    secret: SECRET,
    privateKeyFile: '',
    publicKeyFile: '',
    issuer: 'itrade-gateway',
    audience: 'itrade',
  });
  const id = await tokens.verify(r.out[0]!);
  assert.equal([id.kind, id.sub], ['operator', 'operator:alice']);
  assert.ok(id.exp - id.iat === 600);
});

test('operator-token: a bad name is a usage error (exit 2)', async () => {
  const r = await run('--config', withSecret, 'operator-token', 'no spaces please');
  assert.is(r.code, 2);
  assert.match(r.err.join('\n'), /use 1 to 64 of/);
});

test('gateway: a bad configuration exits 3 in one line before anything is started', async () => {
  const file = join(dir, 'bad-cidr.yaml');
  writeFileSync(file, 'sovereignty:\n  deny: ["10.0.0.0/40"]\n');
  const r = await run('gateway', '--config', file);
  assert.is(r.code, 3);
  assert.equal(r.err, [
    `itrade: sovereignty.deny[0]: must be an IPv4 or IPv6 network in CIDR notation (got "10.0.0.0/40") ` +
      `[ITRADE_ERR_CONFIG_INVALID]`,
  ]);
  const missing = await run('gateway', '--config', join(dir, 'nope.yaml'));
  assert.is(missing.code, 3);
  assert.match(missing.err[0]!, /nope\.yaml: cannot read configuration file \[ITRADE_ERR_CONFIG_FILE\]/);
});

test('deploy: an --rpc-url that is not a URL is a usage error (exit 2)', async () => {
  const r = await run('deploy', '--rpc-url', 'localhost:8545');
  assert.is(r.code, 2);
  assert.match(r.err.join('\n'), /--rpc-url.*must be an http\(s\):\/\/ or ws\(s\):\/\/ URL/);
});

test('config check: the shipped file is ok', async () => {
  const r = await run('config', 'check', fromRoot('config', 'itrade.yaml'));
  assert.is(r.code, 0);
  assert.match(r.out[0]!, /itrade\.yaml: ok/);
  assert.match(
    r.out.at(-1)!,
    /^country database: @ip-location-db\/geo-whois-asn-country [\d.]+, data of \d{4}-\d{2}-\d{2} \(not used\)$/,
  );
});

test('config check: a bad file exits 3 with one line naming the key', async () => {
  const file = join(dir, 'bad.yaml');
  writeFileSync(file, 'kafka:\n  brokers: [nohost]\n');
  const r = await run('config', 'check', file);
  assert.is(r.code, 3);
  assert.equal(r.out, []);
  assert.is(r.err.length, 1);
  assert.match(
    r.err[0]!,
    /^itrade: .*bad\.yaml: kafka\.brokers\[0\]: must be host:port \(got "nohost"\) \[ITRADE_ERR_CONFIG_INVALID\]$/,
  );
});

test('--verbose adds the stack trace', async () => {
  const file = join(dir, 'bad2.yaml');
  writeFileSync(file, 'nope: 1\n');
  const r = await run('--verbose', 'config', 'check', file);
  assert.is(r.code, 3);
  assert.ok(r.err.length > 1);
  assert.match(r.err.slice(1).join('\n'), /\n\s+at /);
});

test('unknown command and bad stack action are usage errors (exit 2)', async () => {
  assert.is((await run('stak')).code, 2);
  const r = await run('stack', 'sideways');
  assert.is(r.code, 2);
  assert.match(r.err.join('\n'), /sideways/);
});

// cli/main.ts loads only the module of the command asked for: the word after the global options.
test('a command after --config <file> is found; a misspelt one gets a suggestion from every command', async () => {
  const r = await run('--config', withSecret, 'crypto', '--help');
  assert.is(r.code, 0);
  assert.match(r.out.join('\n'), /^Usage: itrade crypto/);
  const c = await run('-c', withSecret, '-v', 'operator-token', 'alice');
  assert.is(c.code, 0, c.err.join('\n'));
  const s = await run('sensr');
  assert.is(s.code, 2);
  assert.match(s.err.join('\n'), /Did you mean sensor\?/);
});

test('every market command has --help, exit 0', async () => {
  const commands = [
    ['principal', 'register'],
    ['principal', 'token'],
    ['sensor', 'register'],
    ['sensor', 'activate'],
    ['sensor', 'deactivate'],
    ['sensor', 'status'],
    ['sensor', 'rotate-key'],
    ['market', 'list'],
    ['subscribe'],
    ['stream'],
    ['replay'],
    ['agent'],
    ['sim'],
  ];
  for (const c of commands) {
    const r = await run(...c, '--help');
    assert.is(r.code, 0, c.join(' '));
    assert.match(r.out.join('\n'), new RegExp(`Usage: itrade ${c.join(' ')}`));
    assert.match(r.out.join('\n'), c[0] === 'sim' ? /--devices <n>/ : /--profile <name\|path>/);
  }
});

test('market commands check their arguments before touching the network (exit 2)', async () => {
  for (const argv of [
    ['subscribe', 'not-an-address', '--entries', '5'],
    ['subscribe', `0x${'1'.repeat(40)}`],
    ['market', 'list', '--near', '91,0'],
    ['sim', '--rate', '0'],
    ['replay', `0x${'1'.repeat(40)}`, '--from', '1', '--offset', '2'],
  ]) {
    const r = await run(...argv);
    assert.is(r.code, 2, argv.join(' '));
    assert.ok(r.err.length > 0, 'says why');
  }
});

test.run();
