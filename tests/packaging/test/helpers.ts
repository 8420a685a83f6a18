// Helpers for the packaging test: running commands, listing tarballs, reading README examples.
import { execFile } from 'node:child_process';
import { builtinModules } from 'node:module';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; never rejects (the caller asserts on the code). */
export function run(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd: opts.cwd, env: opts.env ?? process.env, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1;
        resolve({ code, stdout, stderr: err && code === 1 && !stderr ? String(err.message) : stderr });
      },
    );
  });
}

/**
 * The environment without the lower-case npm_* variables a package manager sets for its scripts, so
 * npm runs as in a user's shell (upper-case NPM_CONFIG_* settings of the machine are kept).
 */
export function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('npm_')) env[k] = v;
  return { ...env, ...extra };
}

/** The first ```ts or ```js block of a README, or undefined. */
export function firstCodeExample(readme: string): string | undefined {
  const m = /^```(?:ts|js|typescript|javascript)\n([\s\S]*?)^```$/m.exec(readme);
  return m?.[1];
}

const BUILTINS = new Set(builtinModules);

/** Package names a built JavaScript file imports (static, dynamic, re-exports); builtins left out. */
export function importedPackages(js: string): Set<string> {
  const out = new Set<string>();
  const re =
    /(?:^|\n)\s*(?:import|export)\s[^'"`;]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)/g;
  for (const m of js.matchAll(re)) {
    const spec = m[1] ?? m[2] ?? '';
    if (spec.startsWith('.') || spec.startsWith('node:') || BUILTINS.has(spec)) continue;
    const parts = spec.split('/');
    out.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? spec));
  }
  return out;
}

/** Loader hook (for `node --import`) that fails any import of a Node builtin from a file module. */
export const NO_BUILTINS_HOOK = `import { builtinModules, register } from 'node:module';
const hook = \`const builtins = new Set(\${JSON.stringify(builtinModules)});
export async function resolve(specifier, context, next) {
  if ((specifier.startsWith('node:') || builtins.has(specifier)) && context.parentURL?.startsWith('file:'))
    throw new Error('node builtin ' + specifier + ' imported by ' + context.parentURL);
  return next(specifier, context);
}\`;
register('data:text/javascript,' + encodeURIComponent(hook));
`;
