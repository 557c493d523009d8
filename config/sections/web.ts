// The web app (docs/web.md): built static files the gateway serves at /app on the public HTTP
// API (broker.http), and where the app's MQTT over WebSocket connection goes.
import { Type } from '@sinclair/typebox';

export const WebSection = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Serve the web app at /app on the HTTP API (broker.http).' }),
    dir: Type.String({
      default: 'dist/web',
      minLength: 1,
      description: 'Folder of the built web app (npm run build:web writes it; relative: to the project root).',
    }),
    mqttUrl: Type.String({
      default: '',
      description:
        "The MQTT over WebSocket URL the app connects to (''): the page's host with " +
        'broker.listeners.ws.port and path; set it behind a proxy, e.g. wss://example.org/mqtt).',
    }),
  },
  { additionalProperties: false, default: {}, description: 'The web app at /app (docs/web.md).' },
);
