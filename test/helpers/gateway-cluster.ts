// Gateway instances in child processes (test/helpers/gateway-process.ts, the runner of `itrade
// gateway`) for the tests of several instances sharing Redis, Kafka and the chain, and the
// TokenService that signs with the test secret, so a test issues tokens every instance accepts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { TokenService } from '../../auth/jwt.ts';
import { fromRoot } from '../../lib/paths.ts';
import { TEST_SECRET } from './gateway.ts';

/** Tokens signed as the test gateways sign them (HS256 with TEST_SECRET). */
export function testTokens(): Promise<TokenService> {
  return TokenService.create({
    alg: 'HS256',
    secret: TEST_SECRET,
    privateKeyFile: '',
    publicKeyFile: '',
    issuer: 'itrade-gateway',
    audience: 'itrade',
  });
}

/**
 * Starts a gateway process with this (plain, JSON-able) configuration and resolves once it prints
 * READY, with its MQTT TCP port; `procs` collects it for the test's after hook. The start takes a
 * second on a quiet machine and took over 30 s beside the whole suite on 2 cores: 90 s by default.
 */
export function startGatewayProcess(
  config: object,
  procs: ChildProcess[],
  readyWithinMs = 90_000,
): Promise<{ proc: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, ['--import', 'tsx', fromRoot('test', 'helpers', 'gateway-process.ts')], {
      env: { ...process.env, ITRADE_TEST_GATEWAY_CONFIG: JSON.stringify(config) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    procs.push(proc);
    const timer = setTimeout(
      () => reject(new Error(`gateway process not ready in ${readyWithinMs / 1000} s`)),
      readyWithinMs,
    );
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      if (!line.startsWith('READY ')) return;
      clearTimeout(timer);
      resolve({ proc, port: (JSON.parse(line.slice(6)) as { tcp: number }).tcp });
    });
    proc.once('exit', (code, signal) => reject(new Error(`gateway process exited (${code ?? signal})`)));
  });
}

/** SIGTERM (the graceful shutdown), resolved once the process has exited; at once if it already has. */
export function stopGatewayProcess(proc: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
    proc.once('exit', () => resolve());
    proc.kill('SIGTERM');
  });
}
