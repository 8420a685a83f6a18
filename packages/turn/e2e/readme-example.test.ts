// The README's allocation example, run as written (server address and credentials substituted) against
// coturn on loopback: it must stay runnable.
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { checkPrerequisites } from '@p2pcat/natlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Coturn, startCoturn } from './coturn.js';

const pre = checkPrerequisites({ commands: ['turnserver', 'openssl'] });
const here = dirname(fileURLToPath(import.meta.url));

describe.skipIf(pre.skip)('README allocation example against coturn', () => {
  let coturn: Coturn;
  beforeAll(async () => {
    coturn = await startCoturn();
  });
  afterAll(async () => {
    await coturn?.stop();
  });

  it('runs and prints the relayed and server-reflexive addresses', async () => {
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toBeDefined();
    const source = block!
      .replace("from '@p2pcat/turn'", `from ${JSON.stringify(join(here, '..', 'src', 'index.ts'))}`)
      .replace('port: 3478', `port: ${coturn.port}`)
      .replace("username: 'alice'", `username: ${JSON.stringify(coturn.username)}`)
      .replace("password: 'secret'", `password: ${JSON.stringify(coturn.password)}`);
    const dir = join(here, '.build');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'readme-example.mts');
    writeFileSync(file, source);
    const { stdout } = await promisify(execFile)('npx', ['tsx', file], {
      cwd: join(here, '..', '..', '..'),
      timeout: 20_000,
    });
    expect(stdout).toMatch(
      /relayed \{ family: 'IPv4', address: '127\.0\.0\.1', port: \d+ \} server-reflexive/,
    );
  }, 30_000);

  it('the by-name example resolves localhost and allocates', async () => {
    const readme = readFileSync(join(here, '..', 'README.md'), 'utf8');
    const block = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].find((m) =>
      m[1]!.includes('createTurnSocket'),
    )?.[1];
    expect(block).toBeDefined();
    const source = block!
      .replace("from '@p2pcat/turn'", `from ${JSON.stringify(join(here, '..', 'src', 'index.ts'))}`)
      .replace("'localhost:3478'", `'localhost:${coturn.port}'`)
      .replace("username: 'alice'", `username: ${JSON.stringify(coturn.username)}`)
      .replace("password: 'secret'", `password: ${JSON.stringify(coturn.password)}`);
    const dir = join(here, '.build');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'readme-by-name.mts');
    writeFileSync(file, source);
    const { stdout } = await promisify(execFile)('npx', ['tsx', file], {
      cwd: join(here, '..', '..', '..'),
      timeout: 20_000,
    });
    expect(stdout).toMatch(/talking to \{ family: 'IPv4', address: '127\.0\.0\.1', port: \d+ \}/);
    expect(stdout).toMatch(/relayed \{ family: 'IPv4', address: '127\.0\.0\.1', port: \d+ \}/);
  }, 30_000);
});
