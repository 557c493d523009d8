// A minimal MQTT 3.1.1 client for the load generator: mqtt-packet over a raw socket, writes
// corked per tick, no reconnect, no store. It exists so the load generator costs little CPU and
// is never the bottleneck it measures (mqtt.js does far more per message).
import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import mqttPacket, { type IPublishPacket, type Packet } from 'mqtt-packet';

export interface LiteOptions {
  host: string;
  port: number;
  clientId: string;
  username?: string;
  password?: string;
  clean?: boolean;
  keepalive?: number;
}

export class ConnackError extends Error {
  constructor(readonly returnCode: number) {
    super(`CONNACK return code ${returnCode}`);
  }
}

export class LiteClient extends EventEmitter {
  private nextId = 1;
  private readonly acks = new Map<number, () => void>();
  private readonly subacks = new Map<number, (granted: number[]) => void>();
  private corked = false;
  private ping?: NodeJS.Timeout;
  /** The CONNACK's session present flag: the broker kept this client id's session (clean: false). */
  sessionPresent = false;

  private constructor(private readonly socket: Socket) {
    super();
  }

  static connect(opts: LiteOptions): Promise<LiteClient> {
    return new Promise((resolve, reject) => {
      const socket = netConnect({ host: opts.host, port: opts.port });
      socket.setNoDelay(true);
      const client = new LiteClient(socket);
      const parser = mqttPacket.parser({ protocolVersion: 4 });
      parser.on('packet', (p: Packet) => {
        if (p.cmd === 'connack') {
          client.sessionPresent = p.sessionPresent;
          if (p.returnCode === 0) resolve(client);
          else reject(new ConnackError(p.returnCode ?? -1));
          return;
        }
        client.onPacket(p);
      });
      parser.on('error', (e: Error) => client.emit('error', e));
      socket.on('data', (d: Buffer) => parser.parse(d));
      socket.on('error', (e) => (client.listenerCount('error') ? client.emit('error', e) : reject(e)));
      socket.on('close', () => {
        clearInterval(client.ping);
        client.emit('close');
        reject(new Error('connection closed before CONNACK'));
      });
      const keepalive = opts.keepalive ?? 60;
      client.write({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clientId: opts.clientId,
        clean: opts.clean ?? true,
        keepalive,
        username: opts.username,
        password: opts.password === undefined ? undefined : Buffer.from(opts.password),
      });
      client.ping = setInterval(() => client.write({ cmd: 'pingreq' }), (keepalive * 1000) / 2).unref();
    });
  }

  /** QoS 1: `onAck` runs at PUBACK. Messages are never retried: a lost one is a finding. */
  publish(topic: string, payload: Buffer, qos: 0 | 1, onAck?: () => void): void {
    const packet: IPublishPacket = { cmd: 'publish', topic, payload, qos, dup: false, retain: false };
    if (qos === 1) {
      packet.messageId = this.allocId();
      if (onAck) this.acks.set(packet.messageId, onAck);
    }
    this.write(packet);
  }

  subscribe(filters: { topic: string; qos: 0 | 1 }[]): Promise<number[]> {
    const messageId = this.allocId();
    return new Promise((resolve) => {
      this.subacks.set(messageId, resolve);
      this.write({ cmd: 'subscribe', messageId, subscriptions: filters.map((f) => ({ topic: f.topic, qos: f.qos })) });
    });
  }

  get inflight(): number {
    return this.acks.size;
  }

  end(): Promise<void> {
    clearInterval(this.ping);
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.once('close', () => resolve());
      this.write({ cmd: 'disconnect' });
      this.socket.end();
    });
  }

  destroy(): void {
    clearInterval(this.ping);
    this.socket.destroy();
  }

  private onPacket(p: Packet): void {
    switch (p.cmd) {
      case 'publish':
        if (p.qos === 1 && p.messageId !== undefined) this.write({ cmd: 'puback', messageId: p.messageId });
        this.emit('message', p.topic, p.payload as Buffer);
        break;
      case 'puback': {
        const cb = this.acks.get(p.messageId!);
        this.acks.delete(p.messageId!);
        cb?.();
        break;
      }
      case 'suback': {
        const cb = this.subacks.get(p.messageId!);
        this.subacks.delete(p.messageId!);
        cb?.(p.granted.map((g) => (typeof g === 'number' ? g : (g as { qos: number }).qos)));
        break;
      }
      default:
        break;
    }
  }

  private allocId(): number {
    // [MQTT-2.3.1-1] non-zero 16-bit identifiers; skip ids still awaiting their PUBACK.
    do {
      this.nextId = this.nextId >= 65535 ? 1 : this.nextId + 1;
    } while (this.acks.has(this.nextId) || this.subacks.has(this.nextId));
    return this.nextId;
  }

  private write(p: Packet): void {
    if (this.socket.destroyed) return;
    // Cork until the end of this tick: one syscall for a burst of small packets.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(mqttPacket.generate(p));
  }
}
