// What the market commands (principal, sensor, market, subscribe, stream, replay, agent, sim)
// share: the options that say where the chain, the marketplace and the gateway are and which
// profile to act as, a session that opens and closes the chain connection, value parsers, and
// Ctrl-C as an AbortSignal for the commands that run until stopped.
import type { Command } from 'commander';
import { resolveEndpoints, profileDir, type EndpointFlags, type Endpoints } from '../participant/endpoints.ts';
import { closeMarket, openMarket, openProfile, type MarketContext } from '../participant/market-ops.ts';
import { Profile } from '../participant/profile.ts';
import type { CliContext } from './context.ts';

export interface MarketOptions extends EndpointFlags {
  profile?: string;
}

export function marketOptions(cmd: Command, o: { profile?: boolean } = {}): Command {
  if (o.profile !== false)
    cmd.option(
      '-p, --profile <name|path>',
      'act as this profile: a name (kept under .cache/itrade/<chain>-<marketplace>/profiles/) or a folder path',
      'default',
    );
  return cmd
    .option('--rpc-url <url>', 'Ethereum JSON-RPC URL (default: chain.rpcUrl, else the local stack)')
    .option(
      '--marketplace <address>',
      'DataMarketplace address (default: chain.marketplace, else the deployment record)',
    )
    .option('--api <url>', 'gateway HTTP API (default: from broker.http)')
    .option('--mqtt <url>', 'gateway MQTT URL (default: from broker.listeners.tcp)');
}

export interface MarketSession {
  endpoints: Endpoints;
  ctx: MarketContext;
  /** The existing profile (SIM_PROFILE when there is none). */
  profile(): Profile;
  /** The profile when one exists. */
  maybeProfile(): Profile | undefined;
  /** The profile, created with a new account (or the one in $keyEnv) when missing. */
  openOrCreate(keyEnv?: string): Profile;
}

export async function withMarket<T>(c: CliContext, o: MarketOptions, fn: (s: MarketSession) => Promise<T>): Promise<T> {
  const endpoints = await resolveEndpoints(c.config(), o, c.log());
  const ctx = await openMarket({
    rpcUrl: endpoints.rpcUrl,
    marketplace: endpoints.marketplace,
    apiUrl: endpoints.apiUrl,
  });
  const dir = profileDir(endpoints, o.profile);
  const name = o.profile ?? 'default';
  try {
    return await fn({
      endpoints,
      ctx,
      profile: () => Profile.load(dir).checkMarket(ctx.chainId, ctx.marketplace),
      maybeProfile: () =>
        Profile.exists(dir) ? Profile.load(dir).checkMarket(ctx.chainId, ctx.marketplace) : undefined,
      openOrCreate: (keyEnv) => openProfile(ctx, dir, name, keyEnv),
    });
  } finally {
    closeMarket(ctx);
  }
}

/** An AbortSignal that Ctrl-C (or SIGTERM) fires; call the returned function when done. */
export function untilInterrupted(): { signal: AbortSignal; done: () => void } {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.once('SIGINT', stop).once('SIGTERM', stop);
  return { signal: ac.signal, done: () => void process.removeListener('SIGINT', stop).removeListener('SIGTERM', stop) };
}
