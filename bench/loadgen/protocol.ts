// Messages between the bench orchestrator and its load-generator child processes (IPC).
export interface Endpoint {
  host: string;
  port: number;
}

export interface DeviceSpec {
  index: number;
  clientId: string;
  username?: string;
  password?: string;
  topic: string;
  /** The broker this device connects to, when not the job's (several gateway instances). */
  endpoint?: Endpoint;
}

export interface BuyerSpec {
  clientId: string;
  username?: string;
  password?: string;
  topics: string[];
  /** The broker this buyer connects to, when not the job's (several gateway instances). */
  endpoint?: Endpoint;
}

export interface CodecSpec {
  kind: 'raw' | 'sealed';
  size: number;
  /** sealed: hex AES-256 key per device index, key id, sensor address per device index. */
  keys?: Record<number, { keyHex: string; keyId: number; sensor: string }>;
}

export interface PublisherJob {
  role: 'publisher';
  endpoint: Endpoint;
  devices: DeviceSpec[];
  ratePerDevice: number; // messages per second per device
  qos: 0 | 1;
  /**
   * sent from the start of the schedule (a later `start` message: CLOCK_MONOTONIC ns as a string) but on but not
   * counted: the measured part begins warmupMs later
   */
  warmupMs: number;
  durationMs: number;
  codec: CodecSpec;
}

export interface SubscriberJob {
  role: 'subscriber';
  endpoint: Endpoint;
  buyers: BuyerSpec[];
  qos: 0 | 1;
  codec: CodecSpec;
}

export interface PublisherReport {
  sent: number;
  acked: number;
  /** per device index: how many were sent */
  sentPerDevice: Record<number, number>;
  /** publish -> PUBACK latency (ms) from the scheduled time, QoS 1 only */
  ackLatencies: Float64Array;
  lateSends: number; // sends that left more than 10 ms after their scheduled time (generator overload)
  /** this process's CPU over its sending period, in cores: near 1 means the generator limits the run */
  cpuCores: number;
  errors: string[];
}

export interface SubscriberReport {
  received: number;
  duplicates: number;
  /** per buyer index: distinct (device, seq) received */
  receivedPerBuyer: number[];
  latencies: Float64Array; // publish (scheduled) -> delivery, ms
  recvOffsetsMs: Float64Array; // delivery time relative to startNs, ms (for the per-second plot)
  /** this process's CPU from the start of the schedule to the stop, in cores */
  cpuCores: number;
  errors: string[];
}

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'report'; report: PublisherReport | SubscriberReport }
  | { type: 'count'; received: number }
  | { type: 'error'; message: string };
