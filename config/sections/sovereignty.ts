// Data sovereignty (paper II and V): the region this gateway serves, and which client networks
// may use it. Enforced at MQTT CONNECT (CONNACK 5) on every listener and on the HTTP API (403);
// docs/sovereignty.md says where Kafka, Redis and the chain node must run to keep data in region.
import { Type } from '@sinclair/typebox';
import { errorCode } from '../../protocol/errors.ts';

// IPv4 or IPv6 address with an optional prefix length; config/network.ts parses it for real at
// start-up and names the key when a value is not a network.
const Cidr = Type.String({
  pattern: '^([0-9]{1,3}(\\.[0-9]{1,3}){3}|[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*)(/[0-9]{1,3})?$',
  hint:
    'an IPv4 or IPv6 network in CIDR notation, e.g. "10.0.0.0/8" or "2001:db8::/32" (a bare address means ' +
    '/32 or /128)',
  description: 'CIDR network',
});

const Country = Type.String({
  pattern: '^[A-Z]{2}$',
  hint: 'an ISO 3166-1 alpha-2 country code in capitals, e.g. "DE" or "CH"',
  description: 'country code',
});

const Countries = Type.Object(
  {
    allow: Type.Array(Country, {
      default: [],
      description:
        'Countries (ISO 3166-1 alpha-2) whose client addresses are allowed, beside the allow networks: with either ' +
        'list set, an address must be in an allowed network or country. Addresses in no country (private ranges) ' +
        'need an allow network.',
    }),
    deny: Type.Array(Country, {
      default: [],
      description: `Countries whose client addresses are refused (${errorCode('SOVEREIGNTY_DENIED')}); deny wins.`,
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description:
      'Allow or deny by country, from the offline database of the npm package ' +
      '@ip-location-db/geo-whois-asn-country (its date: itrade config check, GET /v1/info).',
  },
);

export const SovereigntySection = Type.Object(
  {
    region: Type.String({
      default: '',
      maxLength: 64,
      description:
        'Name of the region this gateway serves (for example "eu-central"), shown by GET /v1/info. ' +
        'Informational: keeping data in region is a deployment duty (docs/sovereignty.md).',
    }),
    allow: Type.Array(Cidr, {
      default: [],
      description: 'Client networks allowed to connect (MQTT) and call the HTTP API. Empty: every network not denied.',
    }),
    deny: Type.Array(Cidr, {
      default: [],
      description:
        `Client networks refused (CONNACK 5, HTTP 403, ${errorCode('SOVEREIGNTY_DENIED')}). ` + 'Deny wins over allow.',
    }),
    countries: Countries,
    trustedProxies: Type.Array(Cidr, {
      default: [],
      description:
        'Reverse proxies / load balancers whose PROXY protocol header (MQTT listeners with proxyProtocol) and ' +
        'X-Forwarded-For header (WebSocket listener and HTTP API) are believed. The client address is the ' +
        'right-most X-Forwarded-For entry not in this list. Empty: no header is believed and the peer address counts.',
    }),
  },
  {
    additionalProperties: false,
    default: {},
    description:
      'Data sovereignty: the served region and the client networks allowed and denied (docs/sovereignty.md).',
  },
);
