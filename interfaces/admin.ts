// The operator's view of the cluster (the admin API, http/admin.ts): the clients every instance
// serves, the persistent sessions stored in Redis, and disconnecting one client wherever it is.
// Each broker instance publishes its own client list (broker/roster.ts); operator/admin.ts reads
// them all. The Redis names both sides use are here, so they cannot drift apart.

export interface ClientRecord {
  clientId: string;
  identity: { kind: 'principal' | 'sensor' | 'operator'; sub: string };
  /** The broker instance (Aedes id) the client is connected to. */
  instance: string;
  /** The client address the network policy saw (after PROXY protocol or X-Forwarded-For), if known. */
  address?: string;
  /** ISO 8601. */
  connectedSince: string;
  subscriptions: string[];
}

export interface StoredSession {
  clientId: string;
  /** Topic filters stored for the client (a clean-session=false client keeps them offline). */
  subscriptions: string[];
  /** QoS 1 messages waiting for the client. */
  queued: number;
  /** True when some instance serves the client now. */
  online: boolean;
}

export interface AdminDirectory {
  clients(): Promise<ClientRecord[]>;
  /** Asks the instance serving `clientId` to close it; undefined when no instance serves it. */
  disconnect(clientId: string): Promise<{ clientId: string; instance: string } | undefined>;
  sessions(limit: number): Promise<{ sessions: StoredSession[]; truncated: boolean }>;
}

/** A disconnect request on the admin channel. */
export interface DisconnectRequest {
  clientId: string;
  instance: string;
}

export const adminKeys = (prefix: string) => ({
  /** One key per instance, a JSON array of ClientRecord, with a TTL the instance keeps refreshing. */
  roster: (instance: string) => `${prefix}admin:clients:${instance}`,
  rosterPattern: `${prefix}admin:clients:*`,
  channel: `${prefix}admin`,
  /** aedes-persistence-redis' keys under the broker's `mqtt:` prefix (canary: test/broker/internals.test.ts). */
  storedClients: `${prefix}mqtt:clients`,
  storedSubscriptions: (clientId: string) => `${prefix}mqtt:client:${encodeURIComponent(clientId)}`,
  storedOutgoing: (clientId: string) => `${prefix}mqtt:outgoing:${encodeURIComponent(clientId)}`,
});
