// A seller's key agent in this tab (the SDK's KeyAgent over MQTT/WebSocket): it answers the
// gateway's key requests with the sensors' keys kept in this browser, wrapped for each entitled
// buyer. It runs while the tab is open; `itrade agent` runs one without a browser.
import { signal } from '@preact/signals';
import { KeyAgent } from '../../sdk/index.ts';
import { LocalKeyrings, principalKey } from './keys.ts';
import type { Session } from './state.ts';

export const agentRunning = signal(false);
let running: KeyAgent | undefined;

export async function startAgent(s: Session, mqttUrl: string): Promise<void> {
  if (running) return;
  running = await KeyAgent.start(
    { seller: s.principal, keyrings: new LocalKeyrings('seller'), principalKey: await principalKey(s.account) },
    { url: mqttUrl, username: s.principal, password: s.token, clientId: `${s.principal}:agent-web` },
  );
  agentRunning.value = true;
}

export async function stopAgent(): Promise<void> {
  await running?.stop();
  running = undefined;
  agentRunning.value = false;
}
