// File names announced by the peer are hostile until checked. Only relative paths of plain
// components survive: no absolute paths, no "..", no drive letters or backslashes, no device
// names, no control characters. Creation never follows a symbolic link.
import { lstat, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitCode, UserError } from './exit-codes.js';

const WINDOWS_DEVICE = /^(con|prn|aux|nul|com[0-9]|lpt[0-9]|conin\$|conout\$)(\..*)?$/i;
const MAX_COMPONENT_BYTES = 255;
const MAX_PATH_BYTES = 4096;

export function unsafeName(path: string, why: string): UserError {
  const shown = JSON.stringify(path.length > 80 ? `${path.slice(0, 80)}…` : path);
  return new UserError(
    `the peer sent an unsafe file name ${shown} (${why}): refused, nothing written`,
    ExitCode.TransferError,
  );
}

/** Returns the path's components, or throws a UserError naming the problem. */
export function checkRelativePath(path: string): string[] {
  if (typeof path !== 'string' || path.length === 0) throw unsafeName(String(path), 'empty');
  if (Buffer.byteLength(path) > MAX_PATH_BYTES) throw unsafeName(path, 'too long');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
  if (/[\u0000-\u001f\u007f-\u009f]/.test(path)) throw unsafeName(path, 'control character');
  if (path.includes('\\')) throw unsafeName(path, 'backslash');
  if (path.startsWith('/')) throw unsafeName(path, 'absolute path');
  if (/^[A-Za-z]:/.test(path)) throw unsafeName(path, 'drive letter');
  const parts = path.split('/');
  for (const part of parts) {
    if (part === '' || part === '.') throw unsafeName(path, 'empty component');
    if (part === '..') throw unsafeName(path, 'parent directory');
    if (Buffer.byteLength(part) > MAX_COMPONENT_BYTES) throw unsafeName(path, 'component too long');
    if (WINDOWS_DEVICE.test(part)) throw unsafeName(path, 'device name');
    if (/[. ]$/.test(part)) throw unsafeName(path, 'trailing dot or space');
    if (part.includes(':')) throw unsafeName(path, 'colon');
  }
  return parts;
}

/**
 * Creates the directories of `components` below `root`, refusing any existing component that is
 * not a real directory (a symbolic link planted there would redirect the write elsewhere).
 */
export async function makeDirectoriesBelow(root: string, components: string[]): Promise<string> {
  let dir = root;
  for (const part of components) {
    dir = join(dir, part);
    try {
      const st = await lstat(dir);
      if (!st.isDirectory() || st.isSymbolicLink()) {
        throw new UserError(`${dir} exists and is not a directory: refused`, ExitCode.TransferError);
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      await mkdir(dir, { mode: 0o755 });
    }
  }
  return dir;
}
