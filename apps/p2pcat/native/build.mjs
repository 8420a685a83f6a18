// Compiles native/file-pages.c into dist/native/<platform>-<arch>/file-pages.node (part of
// `build`). Optional like @p2pcat/pseudotcp's addon: without Linux, a C compiler or the Node-API
// headers it prints one line and succeeds, and p2pcat simply keeps those pages (file-pages.ts).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const target = `${process.platform}-${process.arch}`;
const out = join(here, '..', 'dist', 'native', target, 'file-pages.node');
const skip = (why) => {
  console.log(`p2pcat: native addon not built (${why}); startup pages stay resident`);
  process.exit(0);
};

if (process.platform !== 'linux')
  skip(`madvise of file mappings is done on Linux only, this is ${process.platform}`);
if (process.env.P2PCAT_NO_NATIVE_BUILD === '1') skip('P2PCAT_NO_NATIVE_BUILD=1');
const headers = (() => {
  try {
    return createRequire(import.meta.url)('node-api-headers').include_dir;
  } catch {
    return ['/usr/include/node', join(dirname(process.execPath), '..', 'include', 'node')].find((d) =>
      existsSync(join(d, 'node_api.h')),
    );
  }
})();
if (headers === undefined) skip('no Node-API headers: install node-api-headers');
mkdirSync(dirname(out), { recursive: true });
const partial = `${out}.${process.pid}`;
const compiler = process.env.CC ?? 'cc';
try {
  const flags = ['-O2', '-Wall', '-shared', '-fPIC', '-DNODE_GYP_MODULE_NAME=file_pages'];
  execFileSync(compiler, [...flags, '-I', headers, '-o', partial, join(here, 'file-pages.c')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
} catch (e) {
  skip(e.code === 'ENOENT' ? `no C compiler (${compiler})` : `${compiler} failed`);
}
renameSync(partial, out); // whole or not at all for a process loading it meanwhile
console.log(`p2pcat: native addon built: dist/native/${target}/file-pages.node`);
