// Compiles native/udp-batch.c into dist/native/<platform>-<arch>/udp-batch.node (part of `build`;
// the workspace's scripts/build-addon.mjs). Without Linux, a C compiler or the Node-API headers it
// prints one line and succeeds, and the package runs on its pure-JavaScript path.
import { buildAddon } from '../../../scripts/build-addon.mjs';

buildAddon({
  from: import.meta.url,
  label: '@p2pcat/pseudotcp',
  name: 'udp-batch',
  linuxOnly: 'sendmmsg/recvmmsg are Linux only',
  without: 'the pure-JavaScript path will be used',
});
