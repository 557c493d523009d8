// itrade sensor register | activate | deactivate | status | rotate-key
import { InvalidArgumentError, type Command } from 'commander';
import { BUILTIN_SENSOR_TYPES } from '../../contracts/client.ts';
import { describeSensor } from '../../participant/market-list.ts';
import { registerSensor, sellerPublicKey, sensorToken, setSensorActive } from '../../participant/market-ops.ts';
import { itradeError } from '../../protocol/errors.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { marketOptions, withMarket, type MarketOptions } from '../market-session.ts';
import { address, amount, decimal } from '../args.ts';

const norm = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

function sensorType(v: string): number {
  if (/^\d+$/.test(v)) return Number(v);
  const i = BUILTIN_SENSOR_TYPES.findIndex((t) => norm(t) === norm(v));
  if (i < 0) throw new InvalidArgumentError(`a type id, or one of ${BUILTIN_SENSOR_TYPES.join(', ')}`);
  return i;
}

const micro = (deg: number) => Math.round(deg * 1e6);

interface RegisterOptions extends MarketOptions {
  type: number;
  lat: number;
  lon: number;
  price: bigint;
}

type Run = (o: MarketOptions, fn: Parameters<typeof withMarket>[2]) => Promise<void>;
type Sub = (cmd: Command, ctx: () => CliContext, run: Run) => void;

const registerSub: Sub = (cmd, ctx, run) => {
  marketOptions(cmd.command('register'))
    .description(
      'Register a sensor of your principal (it starts inactive) and create its AES key file (key id 1, 0600); ' +
        'prints the sensor address',
    )
    .requiredOption(
      '--type <id|name>',
      `sensor type: ${BUILTIN_SENSOR_TYPES.map((t, i) => `${i} ${t}`).join(', ')}`,
      sensorType,
    )
    .requiredOption('--lat <degrees>', 'latitude', decimal)
    .requiredOption('--lon <degrees>', 'longitude', decimal)
    .requiredOption('--price <amount>', 'price of one data entry: wei, or "10 gwei"', amount)
    .action((o: RegisterOptions) =>
      run(o, async (s) => {
        const p = s.profile();
        ctx().err('registering the sensor on chain ...');
        const r = await registerSensor(s.ctx, p, {
          sensorType: o.type,
          latitudeE6: micro(o.lat),
          longitudeE6: micro(o.lon),
          pricePerDataEntry: o.price,
        });
        ctx().err(
          `key file ${p.sellerKeys().pathOf(r.sensor)} (copy it to the device); next: itrade sensor activate ` +
            `${r.sensor}`,
        );
        ctx().out(r.sensor);
      }),
    );
};

const activateSub: Sub = (cmd, ctx, run) => {
  marketOptions(cmd.command('activate'))
    .description(
      'Activate the sensor on chain and get its device token from the gateway (proof: the registration transaction)',
    )
    .argument('<sensor>', 'sensor address', address)
    .option('--print-token', "print the device's JWT (its MQTT password) instead of the status")
    .action((sensor: string, o: MarketOptions & { printToken?: boolean }) =>
      run(o, async (s) => {
        const p = s.profile();
        ctx().err(`activating ${sensor} on chain ...`);
        const changed = await setSensorActive(s.ctx, p, sensor, true);
        const token = await sensorToken(s.ctx, p, sensor);
        ctx().out(
          o.printToken
            ? token
            : `${sensor} is active${changed ? '' : ' (it already was)'}; device token saved in ${p.dir}/profile.json`,
        );
      }),
    );
};

const deactivateSub: Sub = (cmd, ctx, run) => {
  marketOptions(cmd.command('deactivate'))
    .description('Deactivate the sensor on chain: its device is disconnected; subscriptions stay valid')
    .argument('<sensor>', 'sensor address', address)
    .action((sensor: string, o: MarketOptions) =>
      run(o, async (s) => {
        ctx().err(`deactivating ${sensor} on chain ...`);
        const changed = await setSensorActive(s.ctx, s.profile(), sensor, false);
        ctx().out(`${sensor} is inactive${changed ? '' : ' (it already was)'}`);
      }),
    );
};

const statusSub: Sub = (cmd, ctx, run) => {
  marketOptions(cmd.command('status'))
    .description('What the chain says about a sensor (any sensor), and its key ids when it is yours')
    .argument('<sensor>', 'sensor address', address)
    .option(
      '--seller-key',
      "print only the seller's RSA public key (PEM) from chain: what a buyer checks wrapped keys' signatures with",
    )
    .action((sensor: string, o: MarketOptions & { sellerKey?: boolean }) =>
      run(o, async (s) => {
        if (o.sellerKey) {
          const pem = await sellerPublicKey(s.ctx, sensor);
          if (!pem)
            throw itradeError('CRYPTO_RSA_KEY_INVALID', `the seller of ${sensor} has no RSA public key on chain`);
          return ctx().out(pem.trim());
        }
        const d = await describeSensor(s.ctx.provider, s.ctx.marketplace, sensor);
        const lines = [
          `sensor        ${d.sensor}`,
          `status        ${d.status}`,
          `type          ${d.sensorType} (${d.typeName})`,
          `location      ${d.latitude}, ${d.longitude}`,
          `price         ${d.price} wei per entry`,
          `seller        ${d.principal} (account ${d.owner})`,
          `subscriptions ${d.subscriptions}`,
        ];
        const keys = s.maybeProfile()?.sellerKeys();
        if (keys?.has(sensor))
          lines.push(
            `keys          ${keys.get(sensor).keyIds().join(', ')} (current ${keys.get(sensor).current().keyId})`,
          );
        for (const l of lines) ctx().out(l);
      }),
    );
};

const rotateSub: Sub = (cmd, ctx, run) => {
  marketOptions(cmd.command('rotate-key'))
    .description(
      'Make a new AES key current for your sensor (key id + 1); old keys stay for history. Copy the key file to ' +
        'the device; the key agent serves the new key at once',
    )
    .argument('<sensor>', 'sensor address', address)
    .action((sensor: string, o: MarketOptions) =>
      run(o, async (s) => {
        const p = s.profile();
        p.sensor(sensor);
        const e = p.sellerKeys().rotate(sensor);
        ctx().err(`key file ${p.sellerKeys().pathOf(sensor)}`);
        ctx().out(`${sensor} key ${e.keyId}`);
      }),
    );
};

export function registerSensorCommand(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  const cmd = program
    .command('sensor')
    .description('Your sensors, as a seller: register, activate, inspect, rotate their key');
  const run: Run = (o, fn) => withMarket(ctx(), o, fn).then(() => setExit(EXIT.ok));
  for (const sub of [registerSub, activateSub, deactivateSub, statusSub, rotateSub]) sub(cmd, ctx, run);
}
