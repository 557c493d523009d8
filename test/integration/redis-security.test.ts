// Redis over TLS with an ACL user, as a managed Redis wants it: a private redis-server started by
// the test (test/helpers/secure-redis.ts), TLS only, the default user off. A gateway with the
// user, the password from the environment and the test CA starts, reports Redis ready and
// accepts an MQTT session (the sessions and the bus connect with the same settings); a wrong
// password or a server certificate of another CA fails the start, naming the key.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { parseConfig } from '../../config/load.ts';
import { TestPki } from '../helpers/pki.ts';
import { REDIS_USER, startSecureRedis, type SecureRedis } from '../helpers/secure-redis.ts';
import { connectMqtt, testGateway } from '../helpers/gateway.ts';

const pki = new TestPki();
const rogue = new TestPki('rogue-ca');
let redis: SecureRedis;

test.before(async () => {
  redis = await startSecureRedis(pki);
});

test.after(async () => {
  await redis?.stop();
  pki.rm();
  rogue.rm();
});

function redisSection(o: { password?: string; ca?: string } = {}) {
  return {
    url: redis.url,
    username: REDIS_USER.username,
    password: o.password ?? REDIS_USER.password,
    tls: { enabled: true, ca: o.ca ?? pki.ca.cert },
  };
}

async function startRefused(section: Record<string, unknown>): Promise<Error & { code?: string }> {
  try {
    const gw = await testGateway({ redis: section });
    await gw.close();
  } catch (err) {
    return err as Error;
  }
  throw new Error('the gateway started');
}

test('the password comes from the environment', () => {
  const yaml = 'redis:\n  username: itrade\n  password: ${ITRADE_REDIS_PASSWORD}\n';
  const cfg = parseConfig(yaml, 'itrade.yaml', { env: { ITRADE_REDIS_PASSWORD: REDIS_USER.password } });
  assert.is(cfg.redis.password, REDIS_USER.password);
});

test('a gateway on TLS with an ACL user starts, reports Redis ready and keeps an MQTT session', async () => {
  const gw = await testGateway({ redis: redisSection() });
  try {
    const report = await gw.ready();
    assert.ok(report.checks.redis!.ok, report.checks.redis!.detail);
    const { token } = await gw.tokens.issueOperator('ops', 600);
    const c = await connectMqtt(`mqtt://127.0.0.1:${gw.mqtt.tcp}`, {
      clientId: 'operator:ops',
      username: 'operator:ops',
      password: token,
      clean: false,
    });
    assert.is(c.returnCode, 0);
    c.client.end(true);
  } finally {
    await gw.close();
  }
});

test('a wrong password fails the start: ITRADE_ERR_REDIS_AUTH naming redis.password and the user', async () => {
  const err = await startRefused(redisSection({ password: 'wrong' }));
  assert.is(err.code, 'ITRADE_ERR_REDIS_AUTH', err.message);
  assert.match(err.message, /^redis\.password: redis refused user "itrade": WRONGPASS/);
});

test('a Redis whose certificate another CA signed fails the start, naming redis.tls.ca', async () => {
  const err = await startRefused(redisSection({ ca: rogue.ca.cert }));
  assert.is(err.code, 'ITRADE_ERR_REDIS_AUTH', err.message);
  assert.match(err.message, /^redis\.tls\.ca: TLS with redis failed/);
});

test.run();
