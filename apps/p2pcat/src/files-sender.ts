// Lists what --send PATH... names: files, and directories walked without following links.
import { lstat, readdir } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { ExitCode, UserError } from './exit-codes.js';
import type { Entry } from './messages.js';

export interface LocalEntry extends Entry {
  /** where to read it from */
  source: string;
}

export async function listEntries(paths: string[], warn: (line: string) => void): Promise<LocalEntry[]> {
  const out: LocalEntry[] = [];
  const seen = new Set<string>();
  const add = (e: LocalEntry) => {
    if (seen.has(e.path))
      throw new UserError(`two inputs would both be sent as ${e.path}: rename one`, ExitCode.Usage);
    seen.add(e.path);
    out.push(e);
  };
  const walk = async (source: string, rel: string): Promise<void> => {
    const st = await lstat(source);
    if (st.isSymbolicLink()) {
      warn(`skipping symbolic link ${source}`);
    } else if (st.isDirectory()) {
      add({ path: rel, type: 'dir', size: 0, source });
      const names = (await readdir(source)).sort();
      for (const name of names) await walk(join(source, name), `${rel}/${name}`);
    } else if (st.isFile()) {
      add({ path: rel, type: 'file', size: st.size, source });
    } else {
      warn(`skipping ${source}: not a regular file or directory`);
    }
  };
  for (const p of paths) {
    const abs = resolve(p);
    try {
      await lstat(abs);
    } catch {
      throw new UserError(`cannot read ${p}: no such file or directory`, ExitCode.Usage);
    }
    const name = basename(abs);
    if (!name || name === '/')
      throw new UserError(`cannot send ${p}: give a file or directory below /`, ExitCode.Usage);
    await walk(abs, name);
  }
  return out;
}
