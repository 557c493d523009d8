// Which client networks may use this gateway (data sovereignty, docs/sovereignty.md), and who the
// client is when a trusted proxy stands in front. One policy serves every MQTT listener and the
// HTTP API, so a network refused at CONNECT is refused on HTTP too. Matching is node:net's
// BlockList, which also matches IPv4-mapped IPv6 addresses (::ffff:10.0.0.1) against IPv4 rules.
import { BlockList, isIP } from 'node:net';
import { itradeError } from '../protocol/errors.ts';

export interface NetworkRules {
  allow: readonly string[];
  deny: readonly string[];
  trustedProxies: readonly string[];
  /** ISO 3166-1 alpha-2 codes, matched through a CountryLookup (sovereignty/countries.ts). */
  countries?: { allow: readonly string[]; deny: readonly string[] };
}

/** The country of an address, or undefined (private, reserved, not in the database). */
export interface CountryLookup {
  country(address: string): string | undefined;
}

export class NetworkPolicy {
  private readonly allowList: BlockList | undefined;
  private readonly denyList: BlockList | undefined;
  private readonly proxies: BlockList | undefined;
  private readonly countryAllow: ReadonlySet<string>;
  private readonly countryDeny: ReadonlySet<string>;

  /**
   * Throws CONFIG_INVALID naming the key (`sovereignty.deny[1]`) when a rule is not a network, or
   * when countries are listed and no lookup is given.
   */
  constructor(
    rules: NetworkRules,
    section = 'sovereignty',
    private readonly lookup?: CountryLookup,
  ) {
    this.allowList = blockList(rules.allow, `${section}.allow`);
    this.denyList = blockList(rules.deny, `${section}.deny`);
    this.proxies = blockList(rules.trustedProxies, `${section}.trustedProxies`);
    this.countryAllow = new Set(rules.countries?.allow ?? []);
    this.countryDeny = new Set(rules.countries?.deny ?? []);
    if (this.byCountry && !lookup)
      throw itradeError('CONFIG_INVALID', `${section}.countries: no country database to match them with`);
  }

  /** True when a country is allowed or denied. */
  get byCountry(): boolean {
    return this.countryAllow.size > 0 || this.countryDeny.size > 0;
  }

  /** True when some network or country is allowed or denied (otherwise every address passes). */
  get restricted(): boolean {
    return this.allowList !== undefined || this.denyList !== undefined || this.byCountry;
  }

  /**
   * Deny wins (a denied network or country); with no allow rule every address not denied
   * passes, else the address must be in an allowed network or an allowed country. An address
   * that is unknown or not an IP fails closed whenever any rule is set, and so does one in no
   * country (private, reserved) when countries are allowed, unless an allowed network holds it.
   */
  allows(address: string | undefined): boolean {
    if (!this.restricted) return true;
    const family = familyOf(address);
    if (!family) return false;
    if (this.denyList?.check(address!, family)) return false;
    const country = this.byCountry ? this.lookup!.country(address!) : undefined;
    if (country !== undefined && this.countryDeny.has(country)) return false;
    if (this.allowList === undefined && this.countryAllow.size === 0) return true;
    if (this.allowList?.check(address!, family)) return true;
    return country !== undefined && this.countryAllow.has(country);
  }

  /**
   * The client's address: the peer itself, unless the peer is a trusted proxy; then the
   * right-most X-Forwarded-For entry that is not a trusted proxy (entries left of it were
   * written by the client and prove nothing).
   */
  clientAddress(peer: string | undefined, forwardedFor?: string | string[]): string | undefined {
    if (!this.proxies || !forwardedFor || !this.isProxy(peer)) return normalise(peer);
    const hops = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor)
      .split(',')
      .map((h) => normalise(h.trim()));
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i];
      if (!this.isProxy(hop) || i === 0) return hop;
    }
    return normalise(peer);
  }

  /** True when the peer is one of sovereignty.trustedProxies (none listed: never). */
  isProxy(address: string | undefined): boolean {
    const family = familyOf(address);
    return family !== undefined && this.proxies !== undefined && this.proxies.check(address!, family);
  }
}

function familyOf(address: string | undefined): 'ipv4' | 'ipv6' | undefined {
  const v = address ? isIP(address) : 0;
  return v === 4 ? 'ipv4' : v === 6 ? 'ipv6' : undefined;
}

/** `::ffff:1.2.3.4` is the IPv4 client 1.2.3.4 (a dual-stack listener reports it so). */
export function normalise(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1] : address;
}

function blockList(cidrs: readonly string[], key: string): BlockList | undefined {
  if (cidrs.length === 0) return undefined;
  const list = new BlockList();
  cidrs.forEach((cidr, i) => {
    const [address = '', bits, extra] = cidr.split('/');
    const family = familyOf(address);
    const max = family === 'ipv4' ? 32 : 128;
    const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
    if (!family || extra !== undefined || !(prefix >= 0 && prefix <= max)) {
      throw itradeError(
        'CONFIG_INVALID',
        `${key}[${i}]: must be an IPv4 or IPv6 network in CIDR notation (got "${cidr}")`,
      );
    }
    list.addSubnet(address, prefix, family);
  });
  return list;
}

/**
 * The key a per-address rate limit counts under: the IPv4 address, or the /64 an IPv6 address
 * is in (one subscriber line usually holds a whole /64, so per-address limits would be moot).
 */
export function rateKey(address: string | undefined): string {
  if (!address) return 'unknown';
  if (isIP(address) !== 6) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  let a = address.split('%')[0]!;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(a);
  if (v4) {
    const [b0, b1, b2, b3] = v4.slice(1).map(Number) as [number, number, number, number];
    a = a.slice(0, v4.index) + `${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
  }
  const [head = '', tail] = a.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ''));
}
