// The page's state as Preact signals: what the gateway said (marketplace), who is here (wallet,
// session), where the page is (hash route), and the one status line every action reports to:
// loading, a transaction waiting for its block, an error in words with its code.
import { signal } from '@preact/signals';
import { isItradeError, oneLine } from '../../protocol/errors.ts';
import { gql, type AppConfig, type MarketView } from './api.ts';
import type { Wallet } from './wallet.ts';

export interface Session {
  token: string;
  principal: string;
  account: string;
  expiresAt: string;
}

export const config = signal<AppConfig | undefined>(undefined);
export const market = signal<MarketView | undefined>(undefined);
export const wallet = signal<Wallet | undefined>(undefined);
/** The account's principal (null: the account registered none), once looked up. */
export const principal = signal<string | null | undefined>(undefined);
export const session = signal<Session | undefined>(undefined);
export const route = signal<string>(location.hash.slice(1) || '/');

export type Status = { kind: 'busy' | 'ok' | 'error'; text: string; code?: string } | undefined;
export const status = signal<Status>(undefined);

addEventListener('hashchange', () => (route.value = location.hash.slice(1) || '/'));

export function go(path: string): void {
  location.hash = path;
}

/** Runs an action with `busy` as the status line; its error is shown in words with its code. */
export async function act<T>(busy: string, fn: () => Promise<T>, done?: string): Promise<T | undefined> {
  status.value = { kind: 'busy', text: busy };
  try {
    const out = await fn();
    status.value = done ? { kind: 'ok', text: done } : undefined;
    return out;
  } catch (err) {
    status.value = { kind: 'error', text: oneLine(err), code: isItradeError(err) ? err.code : undefined };
    return undefined;
  }
}

/** Waits until the catalogue index has read `block` (a transaction's), so the next query shows it. */
export async function indexed(block: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await gql<{ marketplace: { indexedBlock: number } }>('{ marketplace { indexedBlock } }');
    if (d.marketplace.indexedBlock >= block) return;
    if (Date.now() > deadline) throw new Error(`the gateway's index has not reached block ${block} yet`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Challenge, personal_sign by the wallet, login: the principal token (docs/graphql.md). */
export async function signIn(w: Wallet): Promise<Session> {
  const c = await gql<{ challenge: { nonce: string; message: string } }>(
    'mutation($a: Address!) { challenge(address: $a) { nonce message } }',
    { a: w.account },
  );
  const signature = await w.signer.signMessage(c.challenge.message);
  const s = await gql<{ login: Session }>(
    'mutation($n: String!, $s: String!) { login(nonce: $n, signature: $s) { token principal account expiresAt } }',
    { n: c.challenge.nonce, s: signature },
  );
  session.value = s.login;
  return s.login;
}
