#!/usr/bin/env node
// Placeholder until the p2pcat issue lands: says what is coming, nothing more.
const args = process.argv.slice(2);
if (args.length === 0 || args.includes('--help') || args.includes('-h')) {
  process.stdout.write(
    'p2pcat: encrypted pipe and file transfer between two machines behind NATs.\n' +
      'Not implemented yet: invite/answer, nat-check, candidates and stun-server are coming.\n',
  );
  process.exit(0);
}
process.stderr.write(`p2pcat: '${args[0]}' is not available yet (run p2pcat --help)\n`);
process.exit(2);
