// Writes a secret (an invite or answer token) to a file only its owner can read.
import { open } from 'node:fs/promises';

/**
 * Writes `text` to `path` with mode 0600. `mode` only applies when the file is created, so an
 * existing file is made 0600 (fchmod on the open descriptor) after being emptied and before the
 * secret is written: at no moment does the file hold the secret with wider permissions.
 */
export async function writePrivateFile(path: string, text: string): Promise<void> {
  const fh = await open(path, 'w', 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(text);
  } finally {
    await fh.close();
  }
}
