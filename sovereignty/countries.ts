// Which country an IP address is in, from an offline database: the npm package
// @ip-location-db/geo-whois-asn-country (CC0; IP ranges to ISO 3166-1 alpha-2 codes, from the
// regional internet registries' whois and ASN data, republished monthly; updating the package
// updates the data). Its "-num" CSV files (start,end,country, sorted, not overlapping) are read
// once into arrays and searched by bisection: no native code, nothing fetched at run time.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { isIP } from 'node:net';
import { NetworkPolicy, type CountryLookup, type NetworkRules } from './network.ts';

const PACKAGE = '@ip-location-db/geo-whois-asn-country';

export interface CountryDbInfo {
  source: string;
  /** The date of the data (YYYY-MM-DD), from the package version (2.3.YYYYMMDDHH). */
  date: string;
  version: string;
}

interface Table<N> {
  starts: N[];
  ends: N[];
  codes: string[];
}

export class CountryDb implements CountryLookup {
  private constructor(
    readonly info: CountryDbInfo,
    private readonly v4: Table<number>,
    private readonly v6: Table<bigint>,
  ) {}

  /** Reads the database the installed package carries (about a second; do it once at start-up). */
  static load(): CountryDb {
    const dir = packageDir();
    const read = (f: string) => readFileSync(join(dir, f), 'utf8');
    return new CountryDb(
      CountryDb.describe(),
      table(read('geo-whois-asn-country-ipv4-num.csv'), Number),
      table(read('geo-whois-asn-country-ipv6-num.csv'), BigInt),
    );
  }

  /** The package's name, version and data date, without reading the data. */
  static describe(): CountryDbInfo {
    const pkg = JSON.parse(readFileSync(join(packageDir(), 'package.json'), 'utf8')) as { version: string };
    const m = /^\d+\.\d+\.(\d{4})(\d{2})(\d{2})/.exec(pkg.version);
    return { source: PACKAGE, version: pkg.version, date: m ? `${m[1]}-${m[2]}-${m[3]}` : 'unknown' };
  }

  /** The ISO 3166-1 alpha-2 code of the address's country, or undefined (private, reserved, unknown). */
  country(address: string | undefined): string | undefined {
    if (!address) return undefined;
    const v = isIP(address);
    if (v === 4) return find(this.v4, ipv4Number(address));
    if (v === 6) {
      const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
      return mapped ? find(this.v4, ipv4Number(mapped[1]!)) : find(this.v6, ipv6Number(address));
    }
    return undefined;
  }
}

function packageDir(): string {
  return dirname(createRequire(import.meta.url).resolve(`${PACKAGE}/package.json`));
}

function table<N>(csv: string, num: (s: string) => N): Table<N> {
  const t: Table<N> = { starts: [], ends: [], codes: [] };
  for (const line of csv.split('\n')) {
    const [a, b, c] = line.split(',');
    if (!a || !b || !c) continue;
    t.starts.push(num(a));
    t.ends.push(num(b));
    t.codes.push(c.trim());
  }
  return t;
}

function find<N extends number | bigint>(t: Table<N>, x: N): string | undefined {
  let lo = 0;
  let hi = t.starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (t.starts[mid]! > x) hi = mid - 1;
    else if (t.ends[mid]! < x) lo = mid + 1;
    else return t.codes[mid];
  }
  return undefined;
}

function ipv4Number(a: string): number {
  return a.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** An IPv6 address (with :: and an optional dotted IPv4 tail) as a 128-bit integer. */
function ipv6Number(a: string): bigint {
  let s = a.split('%')[0]!;
  const tail = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (tail) {
    const n = ipv4Number(tail[1]!);
    s = s.slice(0, -tail[1]!.length) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, rest] = s.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const r = rest ? rest.split(':') : [];
  const groups = rest === undefined ? h : [...h, ...Array<string>(8 - h.length - r.length).fill('0'), ...r];
  return groups.reduce((n, g) => (n << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

/**
 * The network policy of a sovereignty section, with the country database read only when the
 * section lists countries (reading it takes a second or more and tens of MB).
 */
export function sovereigntyPolicy(rules: NetworkRules, section = 'sovereignty'): NetworkPolicy {
  const c = rules.countries;
  const byCountry = c !== undefined && (c.allow.length > 0 || c.deny.length > 0);
  return new NetworkPolicy(rules, section, byCountry ? CountryDb.load() : undefined);
}
