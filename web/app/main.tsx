// The ITrade web app (docs/web.md): Preact with signals, pages by hash route. Its data comes from
// the gateway's GraphQL API and MQTT over WebSocket, its crypto from the client SDK (Web Crypto),
// its wallet through EIP-1193.
import { render } from 'preact';
import { oneLine } from '../../protocol/errors.ts';
import { loadConfig, marketplace } from './api.ts';
import { Account, connectAndSignIn } from './pages/account.tsx';
import { Catalogue } from './pages/catalogue.tsx';
import { Seller } from './pages/seller.tsx';
import { SensorPage } from './pages/sensor.tsx';
import { config, market, route, session, status, wallet } from './state.ts';
import './style.css';

function Page() {
  const r = route.value;
  if (r.startsWith('/sensor/')) return <SensorPage address={r.slice('/sensor/'.length).toLowerCase()} />;
  if (r === '/account') return <Account />;
  if (r === '/sell') return <Seller />;
  return <Catalogue />;
}

function StatusLine() {
  const s = status.value;
  if (!s) return null;
  return (
    <p class={`status ${s.kind}`} role={s.kind === 'error' ? 'alert' : 'status'} data-status={s.kind}>
      {s.kind === 'busy' && <span class="spinner" />}
      {s.text}
      {s.code && <code class="code">{s.code}</code>}
      {s.kind !== 'busy' && (
        <button class="close" aria-label="dismiss" onClick={() => (status.value = undefined)}>
          ×
        </button>
      )}
    </p>
  );
}

function App() {
  return (
    <>
      <header>
        <a class="brand" href="#/">
          ITrade
        </a>
        <nav>
          <a href="#/">Sensors</a>
          <a href="#/sell">Sell</a>
          <a href="#/account">{session.value ? 'Account' : 'Sign in'}</a>
        </nav>
        {!wallet.value && (
          <button class="connect" onClick={() => void connectAndSignIn()}>
            Connect wallet
          </button>
        )}
      </header>
      <StatusLine />
      <main>
        <Page />
      </main>
      <footer>
        {market.value ? `Marketplace ${market.value.address} on chain ${market.value.chainId}` : 'Loading ...'}
      </footer>
    </>
  );
}

async function main(): Promise<void> {
  const root = document.getElementById('root')!;
  try {
    config.value = await loadConfig();
    market.value = await marketplace();
  } catch (err) {
    root.innerHTML = '';
    root.append(Object.assign(document.createElement('p'), { className: 'error', textContent: oneLine(err) }));
    return;
  }
  root.innerHTML = '';
  render(<App />, root);
}

void main();
