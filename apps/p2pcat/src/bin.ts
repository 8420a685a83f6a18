#!/usr/bin/env node
// The p2pcat command (package.json "bin"): process-wide settings that must come before anything
// runs, then the CLI.
//
// Memory: a transfer makes garbage at tens of MB/s (64 KiB records, datagrams), and V8 answers by
// growing the young generation up to 2 x 16 MiB semi-spaces plus the space they copy into, then
// lets promoted garbage pile up in the old generation before collecting it: p2pcat's peak RSS was
// 120-150 MiB. The young generation's maximum is fixed when the process starts
// (--max-semi-space-size only works on the node command line), but these flags are read each time
// the collector decides to grow a space, so they still work when set here:
// - a growth factor of 1 keeps the semi-spaces at their initial 1 MiB;
// - the session collects the young generation every MiB of records (memory.ts);
// - transfer.ts hands back the pages of node's executable that starting node went through once
//   (file-pages.ts), at start and when the session begins.
// Flags that V8 reads only when the isolate starts do nothing here: --max-semi-space-size,
// --single-threaded-gc (V8 aborts at the next full collection), and --no-concurrent-recompilation
// (TurboFan's background jobs keep 3-6 MiB in glibc's per-thread malloc arenas during a transfer;
// from here the flag changes nothing).
// bench/p2pcat/RESULTS.md has the peak RSS of each side.
//
// Code: loading the CLI as its 268 separate ES modules (the packages, their dependencies) cost
// 20 MiB of RSS before anything ran; the build also writes them as one file (esbuild, the
// package.json build script), which loads in 9 MiB; without its whitespace (names kept) the
// source V8 holds is 35 % smaller and an idle process 2 MiB smaller. The modules are the fallback
// when that file is missing (a build by tsc alone).
import { existsSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--semi-space-growth-factor=1');
const bundle = new URL('./p2pcat.bundle.js', import.meta.url);
await import(existsSync(bundle) ? bundle.href : './cli.js');
