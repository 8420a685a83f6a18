// Compiles native/udp-batch.c into dist/native/<platform>-<arch>/udp-batch.node (part of `build`).
// Optional: without Linux, a C compiler or the Node-API headers it prints one line and succeeds,
// and the package runs on its pure-JavaScript path. No node-gyp: one `cc` command against the
// headers of the node-api-headers package (or those installed beside node).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const target = `${process.platform}-${process.arch}`;
const outDir = join(here, '..', 'dist', 'native', target);
const out = join(outDir, 'udp-batch.node');
const skip = (why) => {
  console.log(`@p2pcat/pseudotcp: native addon not built (${why}); the pure-JavaScript path will be used`);
  process.exit(0);
};

if (process.platform !== 'linux') skip(`sendmmsg/recvmmsg are Linux only, this is ${process.platform}`);
if (process.env.P2PCAT_NO_NATIVE_BUILD === '1') skip('P2PCAT_NO_NATIVE_BUILD=1');
let include;
try {
  include = createRequire(import.meta.url)('node-api-headers').include_dir;
} catch {
  include = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node'].find((d) =>
    existsSync(join(d, 'node_api.h')),
  );
}
if (include === undefined) skip('no Node-API headers: install node-api-headers');
const cc = process.env.CC ?? 'cc';
mkdirSync(outDir, { recursive: true });
const tmp = `${out}.${process.pid}`;
try {
  execFileSync(
    cc,
    [
      '-O2',
      '-Wall',
      '-shared',
      '-fPIC',
      '-DNODE_GYP_MODULE_NAME=udp_batch',
      '-I',
      include,
      '-o',
      tmp,
      join(here, 'udp-batch.c'),
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
} catch (e) {
  skip(e.code === 'ENOENT' ? `no C compiler (${cc})` : `${cc} failed`);
}
renameSync(tmp, out); // atomic: a test running meanwhile never loads half a file
console.log(`@p2pcat/pseudotcp: native addon built: dist/native/${target}/udp-batch.node`);
