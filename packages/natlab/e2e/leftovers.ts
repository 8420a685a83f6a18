// What a lab with this prefix could leave behind, as readable strings (empty after down()).
import { existsSync, readdirSync } from 'node:fs';
import { listNetns, workDir } from '../src/netns.js';
import { run } from '../src/sh.js';

export async function leftovers(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const n of await listNetns()) if (n.startsWith(`${prefix}-`)) found.push(`netns ${n}`);
  const links = await run('ip', ['-o', 'link'], { allowFailure: true });
  for (const l of links.stdout.split('\n')) if (l.includes(prefix)) found.push(`link ${l}`);
  const ipt = await run('iptables-save', [], { allowFailure: true });
  if (ipt.stdout.includes(prefix)) found.push('iptables rule');
  const nft = await run('nft', ['list', 'tables'], { allowFailure: true });
  if (nft.stdout.includes(prefix)) found.push('nft table');
  const ps = await run('ps', ['-eo', 'pid,args'], { allowFailure: true });
  for (const l of ps.stdout.split('\n'))
    if (l.includes(prefix) && !l.includes('ps -eo')) found.push(`process ${l.trim()}`);
  if (existsSync(workDir(prefix))) found.push(`dir ${workDir(prefix)}`);
  const etc = existsSync('/etc/netns') ? readdirSync('/etc/netns') : [];
  for (const n of etc) if (n.startsWith(`${prefix}-`)) found.push(`/etc/netns/${n}`);
  return found;
}
