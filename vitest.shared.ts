// Shared vitest settings: every package writes a JSON report under <root>/.reports so that
// scripts/test-all.mjs can print one closing line for the whole suite.
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = dirname(fileURLToPath(import.meta.url));

export function packageTestConfig(packageDir: string, options: { timeoutMs?: number } = {}) {
  const name = basename(packageDir);
  return defineConfig({
    test: {
      include: ['src/**/*.test.ts', 'e2e/**/*.test.ts', 'test/**/*.test.ts'],
      testTimeout: options.timeoutMs ?? 20_000,
      hookTimeout: 120_000,
      passWithNoTests: true,
      reporters: ['default', 'json'],
      outputFile: { json: join(root, '.reports', `${name}.json`) },
    },
  });
}
