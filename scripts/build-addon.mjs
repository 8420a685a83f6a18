// Compiles one optional Node-API addon of a workspace package into
// <package>/dist/native/<platform>-<arch>/<name>.node, for that package's native/build.mjs (part of
// its `build`). Optional: without Linux, a C compiler or the Node-API headers it prints one line
// and succeeds, and the package does without. No node-gyp: one `cc` command against the headers of
// the package's node-api-headers dev dependency (or those installed beside node).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * @param {object} o
 * @param {string} o.from the caller's import.meta.url (native/build.mjs of the package)
 * @param {string} o.label the package's name, at the start of each printed line
 * @param {string} o.name the addon (native/<name>.c, <name>.node; the C module name with _ for -)
 * @param {string} o.linuxOnly why it is built on Linux only (followed by ", this is <platform>")
 * @param {string} o.without what the package does without it
 */
export function buildAddon({ from, label, name, linuxOnly, without }) {
  const here = dirname(fileURLToPath(from));
  const target = `${process.platform}-${process.arch}`;
  const out = join(here, '..', 'dist', 'native', target, `${name}.node`);
  const skip = (why) => {
    console.log(`${label}: native addon not built (${why}); ${without}`);
    process.exit(0);
  };
  if (process.platform !== 'linux') skip(`${linuxOnly}, this is ${process.platform}`);
  if (process.env.P2PCAT_NO_NATIVE_BUILD === '1') skip('P2PCAT_NO_NATIVE_BUILD=1');
  let include;
  try {
    include = createRequire(from)('node-api-headers').include_dir;
  } catch {
    include = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) =>
      existsSync(join(d, 'node_api.h')),
    );
  }
  if (include === undefined) skip('no Node-API headers: install node-api-headers');
  const cc = process.env.CC ?? 'cc';
  mkdirSync(dirname(out), { recursive: true });
  const tmp = `${out}.${process.pid}`;
  try {
    execFileSync(
      cc,
      [
        '-O2',
        '-Wall',
        '-shared',
        '-fPIC',
        `-DNODE_GYP_MODULE_NAME=${name.replaceAll('-', '_')}`,
        '-I',
        include,
        '-o',
        tmp,
        join(here, `${name}.c`),
      ],
      { stdio: ['ignore', 'inherit', 'inherit'] },
    );
  } catch (e) {
    skip(e.code === 'ENOENT' ? `no C compiler (${cc})` : `${cc} failed`);
  }
  renameSync(tmp, out); // atomic: a test running meanwhile never loads half a file
  console.log(`${label}: native addon built: dist/native/${target}/${name}.node`);
}
