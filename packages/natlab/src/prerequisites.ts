// Decides whether an end-to-end test that needs real components can run here.
// Outside CI a missing prerequisite skips the suite with a one-line reason; under CI=true it is an
// error, because CI installs everything and a skipped e2e test there would hide a regression.
import { execFileSync } from 'node:child_process';

export interface Prerequisites {
  /** needs root (network namespaces, iptables) */
  root?: boolean;
  /** executables that must be on PATH (or absolute paths) */
  commands?: string[];
  /** pkg-config modules that must be present (e.g. 'nice') */
  pkgConfig?: string[];
}

export interface PrerequisiteCheck {
  skip: boolean;
  reason: string;
}

function hasCommand(cmd: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${JSON.stringify(cmd)}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function hasPkgConfig(mod: string): boolean {
  try {
    execFileSync('pkg-config', ['--exists', mod], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Returns { skip, reason }; throws under CI=true when something is missing. */
export function checkPrerequisites(needs: Prerequisites): PrerequisiteCheck {
  const missing: string[] = [];
  if (needs.root && process.getuid?.() !== 0) missing.push('root');
  for (const c of needs.commands ?? []) if (!hasCommand(c)) missing.push(c);
  for (const m of needs.pkgConfig ?? []) if (!hasPkgConfig(m)) missing.push(`pkg-config:${m}`);
  if (missing.length === 0) return { skip: false, reason: '' };
  const reason = `needs ${missing.join(', ')} (run scripts/install-system-deps.sh as root)`;
  if (process.env.CI === 'true') {
    throw new Error(`e2e prerequisites missing under CI=true: ${reason}`);
  }
  process.stderr.write(`skipped: ${reason}\n`);
  return { skip: true, reason };
}
