// A seller: registers a sensor (type, price, location picked on the map), activates it and takes
// what the device needs (its token, its key file, the exact mosquitto_pub line), rotates its keys,
// runs or starts its key agent, withdraws earnings. The sensor's data keys are made here and kept
// in this browser; the gateway never sees them.
import { useSignal, useSignalEffect } from '@preact/signals';
import { useEffect } from 'preact/hooks';
import { formatEther, parseEther } from 'ethers';
import { Keyring } from '../../../sdk/index.ts';
import { gql, SENSOR_FIELDS, type SensorView } from '../api.ts';
import { agentRunning, startAgent, stopAgent } from '../agent.ts';
import { download, LocalKeyrings } from '../keys.ts';
import { WorldMap } from '../map.tsx';
import { SensorTypeSelect } from '../sensor-type.tsx';
import { act, config, indexed, market, session, status, wallet } from '../state.ts';
import { registerNewSensor, setActive, withdrawEarnings } from '../wallet.ts';
import { wei } from './catalogue.tsx';

const keyrings = new LocalKeyrings('seller');
const txKey = (sensor: string) => `itrade:sensor-tx:${sensor}`;
const tokenKey = (sensor: string) => `itrade:sensor-token:${sensor}`;

interface Mine {
  pendingWithdrawal: string;
  sensors: { edges: { node: SensorView }[] };
}

async function mine(token: string): Promise<Mine> {
  const q = `{ me { pendingWithdrawal sensors(first: 100) { edges { node { ${SENSOR_FIELDS} } } } } }`;
  return (await gql<{ me: Mine }>(q, {}, token)).me;
}

function NewSensor({ done }: { done: () => void }) {
  const type = useSignal('0');
  const price = useSignal('0.0001');
  const at = useSignal<{ latitude: number; longitude: number } | undefined>(undefined);
  const register = () =>
    act(
      'Registering the sensor: confirm in your wallet, then waiting for the block ...',
      async () => {
        if (!at.value) throw new Error("pick the sensor's location on the map first");
        const r = await registerNewSensor(wallet.value!, session.value!.principal, {
          sensorType: Number(type.value),
          ...at.value,
          priceWei: parseEther(price.value),
        });
        localStorage.setItem(txKey(r.sensor), r.txHash);
        if (!keyrings.load(r.sensor)) keyrings.save(Keyring.generate(r.sensor));
        await indexed(r.block);
        done();
      },
      'Sensor registered (inactive): activate it to get the device token.',
    );
  return (
    <form class="card" onSubmit={(e) => (e.preventDefault(), void register())}>
      <h2>Register a sensor</h2>
      <p>Fee {market.value ? wei(market.value.sensorFee) : '...'}. Click the map where the sensor is.</p>
      <WorldMap sensors={[]} picked={at.value} onPick={(latitude, longitude) => (at.value = { latitude, longitude })} />
      <p data-picked={at.value ? `${at.value.latitude},${at.value.longitude}` : ''}>
        {at.value ? `Location ${at.value.latitude}, ${at.value.longitude}` : 'No location picked yet.'}
      </p>
      <SensorTypeSelect value={type} name="type" />
      <label>
        Price per entry (ETH)
        <input name="price" value={price.value} onInput={(e) => (price.value = e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={status.value?.kind === 'busy'}>
        Register and pay
      </button>
    </form>
  );
}

function DeviceKit({ sensor, token }: { sensor: string; token: string }) {
  const gw = `-h ${location.hostname} -p ${config.value?.tcpPort ?? '<MQTT port>'}`;
  const line =
    `itrade crypto seal --sensor ${sensor} --dir ./sensor-keys --type 0 --value 21.4 --seq 1 \\\n` +
    `  | mosquitto_pub ${gw} -u ${sensor} -i ${sensor} -P "$(cat ${sensor}.token)" -q 1 -t sensors/${sensor} -s`;
  const ring = keyrings.load(sensor);
  return (
    <div class="kit">
      <button onClick={() => download(`${sensor}.token`, token)}>Download device token</button>
      {ring && (
        <button onClick={() => download(`${sensor}.json`, ring.toJson(), 'application/json')}>Download key file</button>
      )}
      <pre class="cmd" data-mosquitto={sensor}>
        {line}
      </pre>
    </div>
  );
}

function SensorRow({ s, reload }: { s: SensorView; reload: () => void }) {
  const token = localStorage.getItem(tokenKey(s.address));
  const activate = () =>
    act(
      'Activating: confirm in your wallet, then waiting for the block ...',
      async () => {
        if (s.status !== 'ACTIVE') await indexed(await setActive(wallet.value!, s.address, true));
        const tx = localStorage.getItem(txKey(s.address));
        if (!tx) throw new Error('this browser did not register the sensor: its registration transaction is unknown');
        const q = 'mutation($tx: String!) { activateSensor(txHash: $tx) { token } }';
        const a = await gql<{ activateSensor: { token: string } }>(q, { tx }, session.value!.token);
        localStorage.setItem(tokenKey(s.address), a.activateSensor.token);
        reload();
      },
      'Sensor active: download what the device needs below.',
    );
  const rotate = () =>
    act(
      'Rotating the key ...',
      async () => {
        const ring = keyrings.load(s.address)!;
        const k = ring.rotate();
        keyrings.save(ring);
        return k;
      },
      'New current key: download the key file again for the device.',
    );
  return (
    <li class="card" data-my-sensor={s.address}>
      <b>{s.type.name}</b> <code>{s.address}</code>{' '}
      <span class={`badge ${s.status.toLowerCase()}`}>{s.status.toLowerCase()}</span>
      <div>
        {wei(s.price)} per entry · {s.activity.entriesStored} entries stored · {s.subscriptionCount} subscriptions
      </div>
      <button onClick={() => void activate()}>{s.status === 'ACTIVE' ? 'New device token' : 'Activate'}</button>
      {keyrings.load(s.address) && <button onClick={() => void rotate()}>Rotate key</button>}
      {token && s.status === 'ACTIVE' && <DeviceKit sensor={s.address} token={token} />}
    </li>
  );
}

const AGENT_POLL_MS = 3000;

/** Whether the gateway sees a key agent of this seller (GraphQL Principal.keyAgentOnline), asked every few seconds. */
function useAgentOnline(token: string): { online: boolean | undefined; check: () => void } {
  const online = useSignal<boolean | undefined>(undefined);
  const check = () =>
    void gql<{ me: { principal: { keyAgentOnline: boolean } | null } }>(
      '{ me { principal { keyAgentOnline } } }',
      {},
      token,
    ).then(
      (r) => (online.value = r.me.principal?.keyAgentOnline ?? false),
      () => (online.value = undefined),
    );
  useEffect(() => {
    check();
    const t = setInterval(check, AGENT_POLL_MS);
    return () => clearInterval(t);
  }, [token]);
  return { online: online.value, check };
}

function Agent() {
  const s = session.value!;
  const { online, check: reload } = useAgentOnline(s.token);
  return (
    <div class="card">
      <h2>Key agent</h2>
      <p data-agent={agentRunning.value ? 'running' : 'stopped'}>
        {agentRunning.value
          ? 'The key agent runs in this tab: buyers get keys while it stays open.'
          : 'No key agent runs in this tab: buyers get no keys until one runs here or elsewhere.'}
      </p>
      <p data-agent-online={String(online)} class={online ? 'ok' : online === false ? 'warn' : 'loading'}>
        {online === undefined
          ? 'Asking the gateway whether your key agent is online ...'
          : online
            ? 'The gateway sees your key agent online: buyers get keys.'
            : 'The gateway sees no key agent of yours online: start one here or with the command below.'}{' '}
        <button class="small" onClick={reload}>
          Check again
        </button>
      </p>
      {agentRunning.value ? (
        <button onClick={() => void act('Stopping the agent ...', stopAgent).then(reload)}>Stop the key agent</button>
      ) : (
        <button
          onClick={() => void act('Starting the agent ...', () => startAgent(s, config.value!.mqttUrl)).then(reload)}
        >
          Run the key agent in this tab
        </button>
      )}
      <p>Or without a browser, with the key files exported from here:</p>
      <pre class="cmd">
        {`itrade agent --key-file principal.pem --keys-dir ./sensor-keys --seller ${s.principal}` +
          ` --token "$ITRADE_TOKEN"`}
      </pre>
    </div>
  );
}

export function Seller() {
  const data = useSignal<Mine | undefined>(undefined);
  const error = useSignal<string | undefined>(undefined);
  const load = () => {
    const s = session.value;
    if (s)
      mine(s.token).then(
        (m) => (data.value = m),
        (e: Error) => (error.value = e.message),
      );
  };
  useSignalEffect(load);
  if (!session.value) return <p class="empty">Sign in (Account) to sell data.</p>;
  const withdraw = () =>
    act(
      'Withdrawing: confirm in your wallet ...',
      async () => {
        await indexed(await withdrawEarnings(wallet.value!, market.value!.address));
        load();
      },
      'Earnings sent to your account.',
    );
  const sensors = data.value?.sensors.edges.map((e) => e.node);
  return (
    <section>
      {error.value && <p class="error">{error.value}</p>}
      {!data.value && !error.value && <p class="loading">Loading your sensors ...</p>}
      {data.value && (
        <div class="card">
          <h2>Earnings</h2>
          <p>{formatEther(data.value.pendingWithdrawal)} ETH to withdraw</p>
          <button disabled={data.value.pendingWithdrawal === '0'} onClick={() => void withdraw()}>
            Withdraw
          </button>
        </div>
      )}
      <Agent />
      {sensors?.length === 0 && <p class="empty">You have no sensors yet.</p>}
      <ul class="my-sensors">
        {sensors?.map((s) => (
          <SensorRow key={s.address} s={s} reload={load} />
        ))}
      </ul>
      <NewSensor done={load} />
    </section>
  );
}
