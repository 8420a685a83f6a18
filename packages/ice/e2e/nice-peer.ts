// Builds and drives the libnice C test peer (nice-peer.c) through its stdin/stdout line protocol.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { IceDescription } from '../src/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const source = join(here, 'nice-peer.c');
const binary = join(here, '.build', 'nice-peer');

/** Compiles the peer unless the binary is newer than its source. */
export function buildNicePeer(): string {
  let fresh = false;
  try {
    fresh = statSync(binary).mtimeMs > statSync(source).mtimeMs;
  } catch {}
  if (!fresh) {
    mkdirSync(dirname(binary), { recursive: true });
    const flags = execFileSync('pkg-config', ['--cflags', '--libs', 'nice'], { encoding: 'utf8' })
      .trim()
      .split(/\s+/);
    execFileSync('gcc', ['-O1', '-o', binary, source, ...flags], { stdio: 'inherit' });
  }
  return binary;
}

/**
 * The lines a peer process prints on stdout, and a wait for the first line with a prefix. Shared
 * by the libnice peer here and bench/hard-nat's pion peer (the same line protocol).
 */
export class PeerLines {
  readonly lines: string[] = [];
  private waiters: (() => void)[] = [];

  /** @param who names the peer in the timeout error */
  constructor(
    stdout: NodeJS.ReadableStream,
    private readonly who: string,
  ) {
    createInterface({ input: stdout }).on('line', (l) => {
      this.lines.push(l);
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** Resolves with the first line starting with `prefix` (already seen or future). */
  waitFor(prefix: string, timeoutMs = 15_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.who} never printed "${prefix}"`)), timeoutMs);
      const check = () => {
        const l = this.lines.find((x) => x.startsWith(prefix));
        if (l !== undefined) {
          clearTimeout(timer);
          resolve(l);
        } else this.waiters.push(check);
      };
      check();
    });
  }

  /** ufrag, pwd and a=candidate lines, once the peer printed "gathered". */
  async description(): Promise<{ ufrag: string; pwd: string; candidates: string[] }> {
    await this.waitFor('gathered');
    return {
      ufrag: this.lines.find((l) => l.startsWith('ufrag '))?.slice(6) ?? '',
      pwd: this.lines.find((l) => l.startsWith('pwd '))?.slice(4) ?? '',
      candidates: this.lines.filter((l) => l.startsWith('a=candidate:')),
    };
  }
}

export class NicePeer {
  readonly proc: ChildProcess;
  private readonly out: PeerLines;
  readonly description: Promise<IceDescription>;

  constructor(
    controlling: boolean,
    address = '127.0.0.1',
    options: {
      autosend?: boolean;
      /** gather a server-reflexive candidate from this STUN server (port 3478) */
      stunServer?: string;
      /** how to start the process (e.g. inside a lab namespace) */
      spawner?: (cmd: string, args: string[]) => ChildProcess;
    } = {},
  ) {
    const args = [controlling ? '1' : '0', address, options.autosend ? 'autosend' : '-'];
    if (options.stunServer) args.push(options.stunServer);
    const bin = buildNicePeer();
    this.proc = options.spawner
      ? options.spawner(bin, args)
      : spawn(bin, args, { stdio: ['pipe', 'pipe', 'inherit'] });
    this.out = new PeerLines(this.proc.stdout as NodeJS.ReadableStream, 'libnice peer');
    this.description = this.out.description().then((d) => ({ ...d, endOfCandidates: true }));
  }

  /** Resolves with the first line starting with `prefix` (already seen or future). */
  waitFor(prefix: string, timeoutMs = 15_000): Promise<string> {
    return this.out.waitFor(prefix, timeoutMs);
  }

  /** Hands our description to libnice; its checks start now. */
  setRemote(d: IceDescription): void {
    const out = [
      `ufrag ${d.ufrag}`,
      `pwd ${d.pwd}`,
      ...d.candidates.map((c) => (c.startsWith('a=') ? c : `a=${c}`)),
      'done',
    ];
    this.proc.stdin?.write(`${out.join('\n')}\n`);
  }

  send(text: string): void {
    this.proc.stdin?.write(`send ${text}\n`);
  }

  close(): void {
    this.proc.stdin?.write('quit\n');
    this.proc.kill();
  }
}
