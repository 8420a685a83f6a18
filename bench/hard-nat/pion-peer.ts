// Builds and drives the pion/ice v2 reference peer (pion-peer/main.go) through the same stdin/stdout
// line protocol as the libnice peer of packages/ice/e2e, so bench/hard-nat runs both alike.
// The Go program is compiled offline from Debian's sources (golang-go, golang-github-pion-ice.v2-dev)
// in GOPATH mode, once per source: the binary's name carries a hash of the source and the Go version.
import { type ChildProcess, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PeerLines } from '../../packages/ice/e2e/nice-peer.ts';

const here = dirname(fileURLToPath(import.meta.url));
const sourceDir = join(here, 'pion-peer');
const buildDir = join(here, '..', '.work', 'pion-peer');
/** Debian installs Go library sources here; pion/ice v2 sits under github.com/pion/ice/v2. */
const GOPATH = '/usr/share/gocode';
const PION_ICE = join(GOPATH, 'src', 'github.com', 'pion', 'ice', 'v2');

export type PionBuild = { binary: string; skip?: undefined } | { binary?: undefined; skip: string };

let built: PionBuild | undefined;

/** Compiles the peer unless a binary of this source exists; says why not when it cannot. */
export function buildPionPeer(): PionBuild {
  if (built) return built;
  let goVersion: string;
  try {
    goVersion = execFileSync('go', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    built = { skip: 'no Go toolchain (bash scripts/install-system-deps.sh --bench)' };
    return built;
  }
  if (!existsSync(PION_ICE)) {
    built = { skip: `no pion/ice v2 sources in ${PION_ICE} (bash scripts/install-system-deps.sh --bench)` };
    return built;
  }
  const source = readFileSync(join(sourceDir, 'main.go'));
  const hash = createHash('sha256').update(goVersion).update(source).digest('hex').slice(0, 16);
  const binary = join(buildDir, `pion-peer-${hash}`);
  if (!existsSync(binary)) {
    mkdirSync(buildDir, { recursive: true });
    const partial = `${binary}.${process.pid}.tmp`;
    try {
      execFileSync('go', ['build', '-o', partial, '.'], {
        cwd: sourceDir,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          ...process.env,
          // GOPATH mode: Debian's tree is a GOPATH, not a module cache; nothing is downloaded.
          GO111MODULE: 'off',
          GOPATH,
          GOPROXY: 'off',
          GOFLAGS: '',
          GOCACHE: join(buildDir, 'gocache'),
        },
      });
    } catch (e) {
      const stderr = String((e as { stderr?: Buffer }).stderr ?? '').split('\n')[0];
      built = { skip: `go build of pion-peer failed: ${stderr || (e as Error).message}` };
      return built;
    }
    renameSync(partial, binary);
  }
  built = { binary };
  return built;
}

export interface PionDescription {
  ufrag: string;
  pwd: string;
  candidates: string[];
}

export class PionPeer {
  readonly proc: ChildProcess;
  private readonly out: PeerLines;
  readonly description: Promise<PionDescription>;

  /**
   * @param binary from buildPionPeer()
   * @param spawner starts the process (e.g. inside a lab namespace) with stdin and stdout piped
   */
  constructor(
    binary: string,
    controlling: boolean,
    address: string,
    options: { autosend?: boolean; stunServer?: string },
    spawner: (cmd: string, args: string[]) => ChildProcess,
  ) {
    const args = [controlling ? '1' : '0', address, options.autosend ? 'autosend' : '-'];
    if (options.stunServer) args.push(options.stunServer);
    this.proc = spawner(binary, args);
    this.out = new PeerLines(this.proc.stdout as NodeJS.ReadableStream, 'pion peer');
    this.description = this.out.description();
  }

  /** Resolves with the first line starting with `prefix` (already seen or future). */
  waitFor(prefix: string, timeoutMs = 15_000): Promise<string> {
    return this.out.waitFor(prefix, timeoutMs);
  }

  /** Hands the other peer's description over; checks start now. */
  setRemote(d: PionDescription): void {
    this.proc.stdin?.write(`${[`ufrag ${d.ufrag}`, `pwd ${d.pwd}`, ...d.candidates, 'done'].join('\n')}\n`);
  }

  /** Sends one datagram on the selected pair (once "ready"). */
  send(text: string): void {
    this.proc.stdin?.write(`send ${text}\n`);
  }

  close(): void {
    this.proc.stdin?.write('quit\n');
    this.proc.kill();
  }
}
