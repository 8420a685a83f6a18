// Compiles native/file-pages.c into dist/native/<platform>-<arch>/file-pages.node (part of
// `build`; the workspace's scripts/build-addon.mjs). Without Linux, a C compiler or the Node-API
// headers it prints one line and succeeds, and p2pcat simply keeps those pages (file-pages.ts).
import { buildAddon } from '../../../scripts/build-addon.mjs';

buildAddon({
  from: import.meta.url,
  label: 'p2pcat',
  name: 'file-pages',
  linuxOnly: 'madvise of file mappings is done on Linux only',
  without: 'startup pages stay resident',
});
