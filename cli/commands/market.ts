// itrade market list [--type T] [--max-price P] [--near LAT,LON --radius KM] [--all] [--json]
import { InvalidArgumentError, type Command } from 'commander';
import { formatUnits } from 'ethers';
import { listSensors, type MarketFilter } from '../../participant/market-list.ts';
import type { CliContext } from '../context.ts';
import { EXIT } from '../exit.ts';
import { marketOptions, withMarket, type MarketOptions } from '../market-session.ts';
import { amount, positive } from '../args.ts';

interface ListOptions extends MarketOptions {
  type: string[];
  maxPrice?: bigint;
  near?: { latitude: number; longitude: number };
  radius: number;
  all?: boolean;
  json?: boolean;
}

function point(v: string): { latitude: number; longitude: number } {
  const [lat, lon] = v.split(',').map(Number);
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat!) > 90 || Math.abs(lon!) > 180)
    throw new InvalidArgumentError('LAT,LON in degrees, e.g. 47.37,8.54');
  return { latitude: lat!, longitude: lon! };
}

const collect = (v: string, prev: string[]) => [...prev, ...v.split(',').filter(Boolean)];

export function registerMarketCommand(program: Command, ctx: () => CliContext, setExit: (code: number) => void): void {
  const cmd = program.command('market').description('Search the marketplace');
  marketOptions(cmd.command('list'))
    .description('List active sensors from the chain, cheapest first: filter by type, price and area')
    .option(
      '--type <id|name>',
      'sensor type id or name, repeatable or comma-separated (temperature, humidity, ...)',
      collect,
      [],
    )
    .option('--max-price <amount>', 'at most this price per entry: wei, or "10 gwei"', amount)
    .option('--near <lat,lon>', 'only sensors within --radius of this point', point)
    .option('--radius <km>', 'radius around --near', positive, 10)
    .option('--all', 'also list inactive and blocked sensors')
    .option('--json', 'one JSON object per line')
    .action((o: ListOptions) =>
      withMarket(ctx(), o, async (s) => {
        const f: MarketFilter = {
          types: o.type,
          ...(o.maxPrice !== undefined ? { maxPrice: o.maxPrice } : {}),
          ...(o.near ? { near: { ...o.near, radiusKm: o.radius } } : {}),
          ...(o.all ? { all: true } : {}),
        };
        const list = await listSensors(s.ctx.provider, s.ctx.marketplace, s.endpoints.fromBlock, f);
        const c = ctx();
        if (o.json) for (const l of list) c.out(JSON.stringify({ ...l, price: l.price.toString() }));
        else {
          c.out(
            `${'sensor'.padEnd(42)}  ${'type'.padEnd(14)}  ${'gwei/entry'.padStart(10)}  ${'status'.padEnd(8)}  ` +
              `${'location'.padEnd(20)}  subs${o.near ? '  km' : ''}`,
          );
          for (const l of list) {
            const km = l.distanceKm === undefined ? '' : `  ${l.distanceKm.toFixed(1)}`;
            c.out(
              `${l.sensor}  ${l.typeName.padEnd(14)}  ${formatUnits(l.price, 'gwei').padStart(10)}  ` +
                `${l.status.padEnd(8)}  ${`${l.latitude.toFixed(4)},${l.longitude.toFixed(4)}`.padEnd(20)}  ` +
                `${String(l.subscriptions).padStart(4)}${km}`,
            );
          }
          c.err(`${list.length} sensor(s)`);
        }
        setExit(EXIT.ok);
      }),
    );
}
