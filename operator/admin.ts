// The operator's view across instances (interfaces/admin.ts), read from Redis: the client lists
// the instances publish (broker/roster.ts) and the persistent sessions aedes-persistence-redis
// stores. A disconnect goes on the admin channel to the one instance serving the client.
import type { Redis } from 'ioredis';
import {
  adminKeys,
  type AdminDirectory,
  type ClientRecord,
  type DisconnectRequest,
  type StoredSession,
} from '../interfaces/admin.ts';

export class RedisAdminDirectory implements AdminDirectory {
  private readonly keys: ReturnType<typeof adminKeys>;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = adminKeys(prefix);
  }

  async clients(): Promise<ClientRecord[]> {
    const keys = await this.scan(this.keys.rosterPattern);
    if (keys.length === 0) return [];
    const lists = await this.redis.mget(...keys);
    const all = lists.flatMap((l) => (l === null ? [] : (JSON.parse(l) as ClientRecord[])));
    return all.sort((a, b) => a.clientId.localeCompare(b.clientId) || a.instance.localeCompare(b.instance));
  }

  async disconnect(clientId: string): Promise<{ clientId: string; instance: string } | undefined> {
    const at = (await this.clients()).find((c) => c.clientId === clientId);
    if (!at) return undefined;
    const request: DisconnectRequest = { clientId, instance: at.instance };
    await this.redis.publish(this.keys.channel, JSON.stringify(request));
    return request;
  }

  async sessions(limit: number): Promise<{ sessions: StoredSession[]; truncated: boolean }> {
    const ids = (await this.redis.smembers(this.keys.storedClients)).sort();
    const online = new Set((await this.clients()).map((c) => c.clientId));
    const sessions: StoredSession[] = [];
    for (const clientId of ids.slice(0, limit)) {
      const [topics, queued] = await Promise.all([
        this.redis.hkeys(this.keys.storedSubscriptions(clientId)),
        this.redis.llen(this.keys.storedOutgoing(clientId)),
      ]);
      sessions.push({ clientId, subscriptions: topics.sort(), queued, online: online.has(clientId) });
    }
    return { sessions, truncated: ids.length > limit };
  }

  private async scan(pattern: string): Promise<string[]> {
    const found: string[] = [];
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 200);
      found.push(...keys);
      cursor = next;
    } while (cursor !== '0');
    return found;
  }
}
