// A principal: connect a wallet (EIP-1193), register paying the fee with an RSA key pair made in
// this browser (the private key stays here; a file backs it up and restores it), sign in with the
// challenge. Registration first makes the key, then pays: a refused payment leaves a key unused.
import { useSignal } from '@preact/signals';
import { isItradeError } from '../../../protocol/errors.ts';
import { download, importPrincipalKey, newPrincipalKey, storedPrincipalPem } from '../keys.ts';
import { act, indexed, market, session, signIn, status, wallet } from '../state.ts';
import { connectWallet, registerAsPrincipal } from '../wallet.ts';
import { wei } from './catalogue.tsx';

export async function connectAndSignIn(): Promise<void> {
  const w = await act('Connecting the wallet ...', connectWallet);
  if (!w) return;
  wallet.value = w;
  await act('Signing in: sign the message in your wallet ...', async () => {
    try {
      await signIn(w);
    } catch (err) {
      if (!isItradeError(err, 'AUTH_NOT_PRINCIPAL')) throw err;
    }
  });
}

function Register() {
  const name = useSignal('');
  const email = useSignal('');
  const url = useSignal('');
  const register = () =>
    act(
      'Registering: confirm in your wallet, then waiting for the block ...',
      async () => {
        const w = wallet.value!;
        const pem = storedPrincipalPem(w.account) ? undefined : await newPrincipalKey(w.account);
        const key = pem ?? (await import('../keys.ts')).principalKey(w.account).then((k) => k.publicKeyPem());
        const r = await registerAsPrincipal(
          w,
          market.value!.address,
          {
            name: name.value,
            email: email.value,
            url: url.value,
          },
          await key,
        );
        await indexed(r.block);
        await signIn(w);
      },
      'Registered and signed in. Back up your private key now.',
    );
  return (
    <form class="card" onSubmit={(e) => (e.preventDefault(), void register())}>
      <h2>Register as a principal</h2>
      <p>
        This account has no principal yet. Registering costs {market.value ? wei(market.value.principalFee) : '...'} and
        puts a new RSA public key on chain; its private key is made in this browser and never leaves it.
      </p>
      <label>
        Name <input name="name" required value={name.value} onInput={(e) => (name.value = e.currentTarget.value)} />
      </label>
      <label>
        E-mail <input name="email" value={email.value} onInput={(e) => (email.value = e.currentTarget.value)} />
      </label>
      <label>
        Web address <input name="url" value={url.value} onInput={(e) => (url.value = e.currentTarget.value)} />
      </label>
      <button type="submit" disabled={status.value?.kind === 'busy'}>
        Register and pay
      </button>
    </form>
  );
}

function KeyBackup({ account }: { account: string }) {
  const pem = storedPrincipalPem(account);
  const restore = (file: File) =>
    act('Importing the key ...', async () => importPrincipalKey(account, await file.text()), 'Private key restored.');
  return (
    <div class="card">
      <h2>Your private key</h2>
      <p>{pem ? 'This browser holds your principal private key.' : 'This browser does not hold your private key.'}</p>
      {pem && (
        <button type="button" onClick={() => download(`itrade-principal-${account}.pem`, pem)}>
          Export a backup file
        </button>
      )}
      <label>
        Import a backup file{' '}
        <input
          type="file"
          accept=".pem,text/plain"
          onChange={(e) => e.currentTarget.files?.[0] && restore(e.currentTarget.files[0])}
        />
      </label>
    </div>
  );
}

export function Account() {
  const w = wallet.value;
  if (!w)
    return (
      <section class="card">
        <h2>Connect your wallet</h2>
        <p>ITrade speaks to any EIP-1193 wallet (MetaMask and the like).</p>
        <button onClick={() => void connectAndSignIn()}>Connect wallet</button>
      </section>
    );
  const s = session.value;
  return (
    <section>
      <div class="card">
        <h2>Account</h2>
        <p>
          Wallet <code>{w.account}</code> on chain {w.chainId}
        </p>
        {s ? (
          <p>
            Signed in as principal <code data-principal={s.principal}>{s.principal}</code>
          </p>
        ) : (
          <button onClick={() => void connectAndSignIn()}>Sign in</button>
        )}
      </div>
      {!s && status.value?.kind !== 'busy' && <Register />}
      <KeyBackup account={w.account} />
    </section>
  );
}
