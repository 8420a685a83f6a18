// Receives announced entries into a directory. Nothing is created before the whole list was
// announced, checked (names, count, space, inodes, existing names) and accepted; nothing lands
// under its final name until its SHA-256 matched: data goes to a hidden temporary file opened
// exclusively, then is linked into place (which fails rather than overwrite) or, with --force,
// renamed over the old file. On failure, cleanup() first stops every further write, waits for the
// one in flight, then removes the temporary file and the directories this receiver created.
import { createHash, type Hash, randomBytes } from 'node:crypto';
import { type FileHandle, link, lstat, open, rename, rmdir, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeForTerminal } from './escape.js';
import { ExitCode, UserError } from './exit-codes.js';
import type { Entry } from './messages.js';
import { checkRelativePath, makeDirectoriesBelow } from './safe-path.js';

/** At most this many entries (files and directories) in one transfer. */
export const MAX_ENTRIES = 100_000;
/** At most this many directories, announced or implied by a file's path. */
export const MAX_DIRECTORIES = 100_000;
/** At most this many bytes of names (entries and implied directories) held in memory. */
export const MAX_NAME_BYTES = 32 * 1024 * 1024;

export interface ReceiverOptions {
  outDir: string;
  force: boolean;
  /** accept names with a leading dot */
  allowHidden?: boolean;
}

/** What the peer offers, for the person to accept or decline. */
export interface Offer {
  /** every announced path, in announcement order (unescaped: escape before printing) */
  paths: string[];
  files: number;
  directories: number;
  totalBytes: number;
}

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

const halted = () => new UserError('the transfer was stopped', ExitCode.TransferError);

export class FilesReceiver {
  private entries: Entry[] = [];
  private paths = new Set<string>();
  private filePaths = new Set<string>();
  /** directories announced or implied (relative paths) */
  private dirPaths = new Set<string>();
  private nameBytes = 0;
  private announced = false;
  private accepted = false;
  private queue: Pending[] = [];
  private current: Open | undefined;
  private temps = new Set<string>();
  /** directories made by this receiver, parents first */
  private created: string[] = [];
  private stopped = false;
  /** the operation in progress (cleanup waits for it) */
  private busy: Promise<unknown> = Promise.resolve();
  readonly received: string[] = [];
  totalBytes = 0;
  bytesWritten = 0;

  constructor(private readonly o: ReceiverOptions) {}

  /** Runs one operation at a time; none starts once cleanup() began. */
  private op<T>(fn: () => Promise<T>): Promise<T> {
    if (this.stopped) return Promise.reject(halted());
    const p = this.busy.then(() => {
      if (this.stopped) throw halted();
      return fn();
    });
    this.busy = p.catch(() => {});
    return p;
  }

  addEntry(entry: Entry): void {
    if (this.stopped) throw halted();
    if (this.announced)
      throw new UserError('the peer announced a file after the end of its list', ExitCode.IntegrityFailure);
    const parts = checkRelativePath(entry.path, { allowHidden: this.o.allowHidden });
    const shown = escapeForTerminal(entry.path);
    if (this.paths.has(entry.path))
      throw new UserError(`the peer announced ${shown} twice: refused`, ExitCode.TransferError);
    if (this.entries.length >= MAX_ENTRIES)
      throw new UserError(
        `the peer announced more than ${MAX_ENTRIES} files and directories: refused`,
        ExitCode.TransferError,
      );
    // Every parent must be a directory, and nothing announced as a file may be one.
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (this.filePaths.has(dir))
        throw new UserError(
          `the peer announced ${escapeForTerminal(dir)} as a file and a directory`,
          ExitCode.TransferError,
        );
      this.addDir(dir);
    }
    if (entry.type === 'dir') this.addDir(entry.path);
    else {
      if (this.dirPaths.has(entry.path))
        throw new UserError(`the peer announced ${shown} as a file and a directory`, ExitCode.TransferError);
      this.filePaths.add(entry.path);
    }
    this.nameBytes += entry.path.length;
    if (this.nameBytes > MAX_NAME_BYTES)
      throw new UserError('the peer announced too many long names: refused', ExitCode.TransferError);
    this.paths.add(entry.path);
    this.entries.push(entry);
  }

  private addDir(dir: string): void {
    if (this.dirPaths.has(dir)) return;
    this.dirPaths.add(dir);
    this.nameBytes += dir.length;
    if (this.dirPaths.size > MAX_DIRECTORIES)
      throw new UserError(
        `the peer announced more than ${MAX_DIRECTORIES} directories: refused`,
        ExitCode.TransferError,
      );
  }

  /**
   * All entries known: checks space, inodes and existing names before anything is created, and
   * returns the offer to show. Nothing is written until accept().
   */
  entriesEnd(): Promise<Offer> {
    return this.op(async () => {
      if (this.announced)
        throw new UserError('the peer ended its list of files twice', ExitCode.IntegrityFailure);
      this.announced = true;
      this.totalBytes = this.entries.reduce((n, e) => n + e.size, 0);
      const files = this.entries.filter((e) => e.type === 'file');
      const fs = await statfs(this.o.outDir);
      const bsize = Math.max(1, Number(fs.bsize));
      // Directories that do not exist yet: each takes an inode and (at least) one block.
      let newDirs = 0;
      for (const d of this.dirPaths) if (!(await exists(join(this.o.outDir, d)))) newDirs++;
      const blocks = files.reduce((n, e) => n + Math.ceil(e.size / bsize), 0) + newDirs;
      const free = Number(fs.bavail) * bsize;
      if (blocks * bsize > free) {
        throw new UserError(
          `not enough free space in ${escapeForTerminal(this.o.outDir)}: the peer sends ${formatBytes(this.totalBytes)} in ${files.length} file(s) and ${newDirs} new director${newDirs === 1 ? 'y' : 'ies'}, ${formatBytes(free)} free`,
          ExitCode.TransferError,
        );
      }
      // A file system without an inode limit (btrfs, some network ones) reports 0 inodes.
      const inodes = files.length + newDirs;
      if (Number(fs.files) > 0 && inodes > Number(fs.ffree)) {
        throw new UserError(
          `not enough free inodes in ${escapeForTerminal(this.o.outDir)}: the peer sends ${inodes} files and directories, ${Number(fs.ffree)} inodes free`,
          ExitCode.TransferError,
        );
      }
      for (const e of files) {
        const final = join(this.o.outDir, ...checkRelativePath(e.path, { allowHidden: this.o.allowHidden }));
        if (!this.o.force && (await exists(final))) {
          throw new UserError(
            `${escapeForTerminal(final)} already exists: nothing was written (use --force to overwrite)`,
            ExitCode.TransferError,
          );
        }
      }
      return {
        paths: this.entries.map((e) => e.path),
        files: files.length,
        directories: this.dirPaths.size,
        totalBytes: this.totalBytes,
      };
    });
  }

  /** The offer was accepted: creates the directories and expects the files' data. */
  accept(): Promise<void> {
    return this.op(async () => {
      if (!this.announced || this.accepted) throw new Error('accept() out of order');
      this.accepted = true;
      const made = (d: string) => this.created.push(d);
      for (const e of this.entries) {
        const parts = checkRelativePath(e.path, { allowHidden: this.o.allowHidden });
        if (e.type === 'dir') {
          await makeDirectoriesBelow(this.o.outDir, parts, made);
        } else {
          const dir = await makeDirectoriesBelow(this.o.outDir, parts.slice(0, -1), made);
          this.queue.push({ entry: e, dir, name: parts[parts.length - 1]! });
        }
        if (this.stopped) throw halted();
      }
    });
  }

  private async openNext(): Promise<Open> {
    if (this.current) return this.current;
    if (!this.accepted)
      throw new UserError('the peer sent file data before its list of files', ExitCode.IntegrityFailure);
    const pending = this.queue.shift();
    if (!pending)
      throw new UserError('the peer sent data for a file it never announced', ExitCode.IntegrityFailure);
    const tempPath = join(
      pending.dir,
      `.${pending.name.slice(0, 200)}.p2pcat-${randomBytes(4).toString('hex')}.part`,
    );
    // 'wx' = O_CREAT|O_EXCL: never opens an existing file or follows a planted link.
    const handle = await open(tempPath, 'wx', 0o600);
    this.temps.add(tempPath);
    this.current = { pending, tempPath, handle, hash: createHash('sha256'), written: 0 };
    if (this.stopped) throw halted();
    return this.current;
  }

  fileData(data: Uint8Array): Promise<void> {
    return this.op(async () => {
      const cur = await this.openNext();
      if (cur.written + data.length > cur.pending.entry.size) {
        throw new UserError(
          `the peer sent more data for ${escapeForTerminal(cur.pending.entry.path)} than it announced`,
          ExitCode.IntegrityFailure,
        );
      }
      cur.hash.update(data);
      await cur.handle.write(data);
      cur.written += data.length;
      this.bytesWritten += data.length;
    });
  }

  /** The file's end with its SHA-256: linked into place when it matches. Returns the final path. */
  fileEnd(sha256: Uint8Array): Promise<string> {
    return this.op(async () => {
      const cur = await this.openNext();
      await cur.handle.sync();
      await cur.handle.close();
      this.current = undefined;
      if (this.stopped) throw halted();
      const digest = cur.hash.digest();
      const final = join(cur.pending.dir, cur.pending.name);
      const shown = escapeForTerminal(final);
      if (cur.written !== cur.pending.entry.size || sha256.length !== 32 || !digest.equals(sha256)) {
        await this.discard(cur.tempPath);
        throw new UserError(
          `${escapeForTerminal(cur.pending.entry.path)}: SHA-256 mismatch, the file was not kept`,
          ExitCode.IntegrityFailure,
        );
      }
      if (this.o.force) {
        await rename(cur.tempPath, final);
      } else {
        try {
          await link(cur.tempPath, final);
        } catch (e) {
          await this.discard(cur.tempPath);
          if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
            throw new UserError(
              `${shown} appeared while receiving: not overwritten (use --force)`,
              ExitCode.TransferError,
            );
          }
          throw e;
        }
        await unlink(cur.tempPath);
      }
      this.temps.delete(cur.tempPath);
      this.received.push(final);
      return final;
    });
  }

  /** True once the list was announced (ENTRIES_END). */
  get listed(): boolean {
    return this.announced;
  }

  /** True when every announced file has arrived whole. */
  get complete(): boolean {
    return this.announced && this.queue.length === 0 && this.current === undefined;
  }

  /**
   * Called on any failure or interruption: no further write starts, the one in flight is waited
   * for, then every temporary file and every directory this receiver created (deepest first,
   * only if empty) is removed. When it resolves, nothing more is written.
   */
  async cleanup(): Promise<void> {
    this.stopped = true;
    await this.busy;
    if (this.current) {
      await this.current.handle.close().catch(() => {});
      this.current = undefined;
    }
    for (const t of [...this.temps]) await this.discard(t);
    for (const d of this.created.splice(0).reverse()) await rmdir(d).catch(() => {});
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
