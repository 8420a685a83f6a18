// Receives announced entries into a directory. Nothing lands under its final name until its
// SHA-256 matched: data goes to a hidden temporary file opened exclusively, then is linked into
// place (which fails rather than overwrite) or, with --force, renamed over the old file.
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { type FileHandle, link, lstat, open, rename, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, UserError } from './exit-codes.js';
import type { Entry } from './messages.js';
import { checkRelativePath, makeDirectoriesBelow } from './safe-path.js';

interface Pending {
  entry: Entry;
  dir: string;
  name: string;
}

interface Open {
  pending: Pending;
  tempPath: string;
  handle: FileHandle;
  hash: Hash;
  written: number;
}

export class FilesReceiver {
  private entries: Entry[] = [];
  private paths = new Set<string>();
  private queue: Pending[] = [];
  private current: Open | undefined;
  private temps = new Set<string>();
  readonly received: string[] = [];
  totalBytes = 0;
  bytesWritten = 0;

  constructor(
    private readonly outDir: string,
    private readonly force: boolean,
  ) {}

  addEntry(entry: Entry): void {
    checkRelativePath(entry.path);
    if (this.paths.has(entry.path)) {
      throw new UserError(`the peer announced ${entry.path} twice: refused`, ExitCode.TransferError);
    }
    if (this.entries.length >= 1_000_000) throw new UserError('the peer announced too many files', 1);
    this.paths.add(entry.path);
    this.entries.push(entry);
  }

  /** All entries known: check space and existing names before the first byte is written. */
  async entriesEnd(): Promise<void> {
    this.totalBytes = this.entries.reduce((n, e) => n + e.size, 0);
    const fs = await statfs(this.outDir);
    const free = Number(fs.bavail) * Number(fs.bsize);
    if (this.totalBytes > free) {
      throw new UserError(
        `not enough free space in ${this.outDir}: the peer sends ${formatBytes(this.totalBytes)}, ${formatBytes(free)} free`,
        ExitCode.TransferError,
      );
    }
    for (const e of this.entries) {
      if (e.type !== 'file') continue;
      const final = join(this.outDir, ...checkRelativePath(e.path));
      if (!this.force && (await exists(final))) {
        throw new UserError(`${final} already exists: nothing was written (use --force to overwrite)`, 1);
      }
    }
    for (const e of this.entries) {
      const parts = checkRelativePath(e.path);
      if (e.type === 'dir') {
        await makeDirectoriesBelow(this.outDir, parts);
      } else {
        const dir = await makeDirectoriesBelow(this.outDir, parts.slice(0, -1));
        this.queue.push({ entry: e, dir, name: parts[parts.length - 1]! });
      }
    }
  }

  private async openNext(): Promise<Open> {
    if (this.current) return this.current;
    const pending = this.queue.shift();
    if (!pending)
      throw new UserError('the peer sent data for a file it never announced', ExitCode.TransferError);
    const tempPath = join(
      pending.dir,
      `.${pending.name.slice(0, 200)}.p2pcat-${randomBytes(4).toString('hex')}.part`,
    );
    // 'wx' = O_CREAT|O_EXCL: never opens an existing file or follows a planted link.
    const handle = await open(tempPath, 'wx', 0o600);
    this.temps.add(tempPath);
    this.current = { pending, tempPath, handle, hash: createHash('sha256'), written: 0 };
    return this.current;
  }

  async fileData(data: Uint8Array): Promise<void> {
    const cur = await this.openNext();
    if (cur.written + data.length > cur.pending.entry.size) {
      throw new UserError(`the peer sent more data for ${cur.pending.entry.path} than it announced`, 1);
    }
    cur.hash.update(data);
    await cur.handle.write(data);
    cur.written += data.length;
    this.bytesWritten += data.length;
  }

  async fileEnd(sha256: Uint8Array): Promise<string> {
    const cur = await this.openNext();
    this.current = undefined;
    await cur.handle.sync();
    await cur.handle.close();
    const digest = cur.hash.digest();
    const final = join(cur.pending.dir, cur.pending.name);
    if (cur.written !== cur.pending.entry.size || sha256.length !== 32 || !digest.equals(sha256)) {
      await this.discard(cur.tempPath);
      throw new UserError(
        `${cur.pending.entry.path}: SHA-256 mismatch, the file was not kept`,
        ExitCode.IntegrityFailure,
      );
    }
    if (this.force) {
      await rename(cur.tempPath, final);
    } else {
      try {
        await link(cur.tempPath, final);
      } catch (e) {
        await this.discard(cur.tempPath);
        if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
          throw new UserError(`${final} appeared while receiving: not overwritten (use --force)`, 1);
        }
        throw e;
      }
      await unlink(cur.tempPath);
    }
    this.temps.delete(cur.tempPath);
    this.received.push(final);
    return final;
  }

  /** True when every announced file has arrived whole. */
  get complete(): boolean {
    return this.queue.length === 0 && this.current === undefined;
  }

  /** Removes every temporary file: called on any failure or interruption. */
  async cleanup(): Promise<void> {
    if (this.current) {
      await this.current.handle.close().catch(() => {});
      this.current = undefined;
    }
    for (const t of [...this.temps]) await this.discard(t);
  }

  private async discard(path: string): Promise<void> {
    await unlink(path).catch(() => {});
    this.temps.delete(path);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
