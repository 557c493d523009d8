import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EXIT, exitCodeFor } from '../../cli/exit.ts';
import { itradeError } from '../../protocol/errors.ts';

test('configuration 3, unreachable services 4, refusals by the market 5, anything else 1', () => {
  assert.is(exitCodeFor(itradeError('CONFIG_INVALID')), EXIT.config);
  assert.is(exitCodeFor(itradeError('CHAIN_WRONG_NETWORK')), EXIT.config);
  for (const n of ['STACK_UNREACHABLE', 'CHAIN_RPC', 'SIM_GATEWAY_UNREACHABLE', 'CRYPTO_MQTT_CONNECT'] as const)
    assert.is(exitCodeFor(itradeError(n)), EXIT.unavailable, n);
  for (const n of [
    'SIM_TX_FAILED',
    'SIM_SUBSCRIBE_REFUSED',
    'CRYPTO_KEY_NOT_ENTITLED',
    'REPLAY_PAID_UP',
    'BROKER_ACTIVATION_REJECTED',
  ] as const)
    assert.is(exitCodeFor(itradeError(n)), EXIT.refused, n);
  for (const n of ['SIM_VERIFY_FAILED', 'SIM_PROFILE', 'CRYPTO_DECRYPT_FAILED'] as const)
    assert.is(exitCodeFor(itradeError(n)), EXIT.failed, n);
  assert.is(exitCodeFor(new Error('plain')), EXIT.failed);
});

test.run();
