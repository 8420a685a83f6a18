// Builds tools/nfq-delay.c on first use (into .build/, reused while newer than the source).
import { mkdir, rename, stat } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { run } from './sh.js';

const packageRoot = fileURLToPath(new URL('..', import.meta.url));
const source = `${packageRoot}tools/nfq-delay.c`;
const binary = `${packageRoot}.build/nfq-delay`;

let building: Promise<string> | undefined;

async function mtime(path: string): Promise<number> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return -1;
  }
}

/** Path of the compiled nfq-delay program. */
export function nfqDelayBinary(): Promise<string> {
  building ??= (async () => {
    if ((await mtime(binary)) > (await mtime(source))) return binary;
    await mkdir(`${packageRoot}.build`, { recursive: true });
    const flags = (
      await run('pkg-config', ['--cflags', '--libs', 'libnetfilter_queue'], { allowFailure: true })
    ).stdout
      .trim()
      .split(/\s+/)
      .filter((s) => s.length > 0);
    if (flags.length === 0) flags.push('-lnetfilter_queue', '-lnfnetlink');
    // Compile to a temporary name then rename, so parallel test files never run a half-written binary.
    const tmp = `${binary}.${process.pid}.tmp`;
    await run('gcc', ['-O2', '-Wall', '-o', tmp, source, ...flags]).catch((e: Error) => {
      throw new Error(`${e.message} (install libnetfilter-queue-dev and gcc)`);
    });
    await rename(tmp, binary);
    return binary;
  })();
  return building;
}
