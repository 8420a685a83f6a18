// File names announced by the peer are hostile until checked. Only relative paths of plain
// components survive: no absolute paths, no "..", no drive letters or backslashes, no device
// names, no control or bidirectional-control characters, no hidden names unless allowed.
// Creation never follows a symbolic link.
import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { escapeForTerminal, hasTerminalUnsafe } from './escape.js';
import { ExitCode, UserError } from './exit-codes.js';

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)(\..*)?$/i;
const MAX_COMPONENT_BYTES = 255;
export const MAX_PATH_BYTES = 4096;
/** Components of one received path (a/b/c is 3). */
export const MAX_DEPTH = 64;

export function unsafeName(path: string, why: string): UserError {
  const shown = escapeForTerminal(path.length > 80 ? `${path.slice(0, 80)}…` : path);
  return new UserError(
    `the peer sent an unsafe file name "${shown}" (${why}): refused, nothing written`,
    ExitCode.TransferError,
  );
}

export interface PathRules {
  /** accept components that start with a dot (--allow-hidden) */
  allowHidden?: boolean;
}

/** Returns the path's components, or throws a UserError naming the problem. */
export function checkRelativePath(path: string, rules: PathRules = {}): string[] {
  if (typeof path !== 'string' || path.length === 0) throw unsafeName(String(path), 'empty');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw unsafeName(path, 'too long');
  if (hasTerminalUnsafe(path)) throw unsafeName(path, 'control character');
  if (path.includes('\\')) throw unsafeName(path, 'backslash');
  if (path.startsWith('/')) throw unsafeName(path, 'absolute path');
  if (/^[A-Za-z]:/.test(path)) throw unsafeName(path, 'drive letter');
  const parts = path.split('/');
  if (parts.length > MAX_DEPTH) throw unsafeName(path, `more than ${MAX_DEPTH} levels deep`);
  for (const part of parts) {
    if (part === '' || part === '.') throw unsafeName(path, 'empty component');
    if (part === '..') throw unsafeName(path, 'parent directory');
    if (part.startsWith('.') && !rules.allowHidden)
      throw unsafeName(path, 'hidden name; --allow-hidden accepts it');
    if (Buffer.byteLength(part) > MAX_COMPONENT_BYTES) throw unsafeName(path, 'component too long');
    if (WINDOWS_DEVICE.test(part)) throw unsafeName(path, 'device name');
    if (/[. ]$/.test(part)) throw unsafeName(path, 'trailing dot or space');
    if (part.includes(':')) throw unsafeName(path, 'colon');
  }
  return parts;
}

/**
 * Creates the directories of `components` below `root`, refusing any existing component that is
 * not a real directory (a symbolic link planted there would redirect the write elsewhere). Each
 * directory made here is reported through `created` (parents first), so that a failed transfer
 * can remove exactly those.
 */
export async function makeDirectoriesBelow(
  root: string,
  components: string[],
  created?: (dir: string) => void,
): Promise<string> {
  let dir = root;
  for (const part of components) {
    dir = join(dir, part);
    try {
      const st = await lstat(dir);
      if (!st.isDirectory() || st.isSymbolicLink()) {
        throw new UserError(
          `${escapeForTerminal(dir)} exists and is not a directory: refused`,
          ExitCode.TransferError,
        );
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      // Without `recursive`, mkdir fails with EEXIST if something appeared meanwhile.
      await mkdir(dir, { mode: 0o755 });
      created?.(dir);
    }
  }
  return dir;
}
