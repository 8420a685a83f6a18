import type { TransportAddress } from '@p2pcat/stun/core';
import { describe, expect, it } from 'vitest';
import { PERMISSION_LIFETIME, PERMISSION_REFRESH, PermissionTable, QUEUE_LIMIT } from './permissions.js';

const A: TransportAddress = { family: 'IPv4', address: '203.0.113.5', port: 6000 };
const A2: TransportAddress = { ...A, port: 7000 };
const B: TransportAddress = { family: 'IPv4', address: '203.0.113.6', port: 6000 };

describe('PermissionTable (RFC 8656 §9)', () => {
  it('keys permissions by IP address only: any port of the peer shares one', () => {
    const t = new PermissionTable();
    const first = t.ensure(A);
    expect(first.created).toBe(true);
    expect(first.permission.peer).toEqual({ ...A, port: 0 });
    expect(t.ensure(A2)).toEqual({ permission: first.permission, created: false });
    expect(t.ensure(B).created).toBe(true);
    expect([...t.values()].map((p) => p.peer.address)).toEqual([A.address, B.address]);
  });

  it('allows data only once installed and for 300 s; refresh is due at 240 s', () => {
    const t = new PermissionTable();
    t.ensure(A);
    expect(t.allows(A, 0)).toBe(false);
    expect(t.nextRefresh()).toBeUndefined();
    expect(t.installed(A2, 1000)?.first).toBe(true);
    expect(t.allows(A, 1000 + PERMISSION_LIFETIME - 1)).toBe(true);
    expect(t.allows(A, 1000 + PERMISSION_LIFETIME)).toBe(false);
    expect(t.allows(B, 1000)).toBe(false);
    expect(t.nextRefresh()).toBe(1000 + PERMISSION_REFRESH);
    expect([...t.due(1000 + PERMISSION_REFRESH - 1)]).toEqual([]);
    const [due] = [...t.due(1000 + PERMISSION_REFRESH)];
    expect(due?.peer.address).toBe(A.address);
    due!.inFlight = true;
    expect([...t.due(1000 + PERMISSION_REFRESH)]).toEqual([]);
    expect(t.nextRefresh()).toBeUndefined();
    expect(t.installed(A, 250_000)?.first).toBe(false);
    expect(t.get(A)).toMatchObject({ inFlight: false, expiresAt: 250_000 + PERMISSION_LIFETIME });
  });

  it('installed() of an unknown address is ignored', () => {
    expect(new PermissionTable().installed(A, 0)).toBeUndefined();
  });

  it('a ChannelBind success extends but never shortens the permission (RFC 8656 §12.2)', () => {
    const t = new PermissionTable();
    t.ensure(A);
    const { permission } = t.installed(A, 100_000)!;
    t.extend(permission, 50_000);
    expect(permission.expiresAt).toBe(100_000 + PERMISSION_LIFETIME);
    t.extend(permission, 200_000);
    expect(permission.expiresAt).toBe(200_000 + PERMISSION_LIFETIME);
  });

  it(`queues at most ${QUEUE_LIMIT} datagrams in order and hands them over once`, () => {
    const t = new PermissionTable();
    const { permission } = t.ensure(A);
    for (let i = 0; i < QUEUE_LIMIT; i++) expect(t.enqueue(permission, new Uint8Array([i]), A)).toBe(true);
    expect(t.enqueue(permission, new Uint8Array([0]), A)).toBe(false);
    const queue = t.takeQueue(permission);
    expect(queue).toHaveLength(QUEUE_LIMIT);
    expect(queue[1]!.data).toEqual(new Uint8Array([1]));
    expect(t.takeQueue(permission)).toEqual([]);
  });

  it('delete and clear forget permissions and report the queued datagrams dropped', () => {
    const t = new PermissionTable();
    t.enqueue(t.ensure(A).permission, new Uint8Array(1), A);
    t.enqueue(t.ensure(B).permission, new Uint8Array(1), B);
    t.enqueue(t.ensure(B).permission, new Uint8Array(1), B);
    expect(t.delete(A2)?.queue).toHaveLength(1);
    expect(t.delete(A2)).toBeUndefined();
    expect(t.clear()).toBe(2);
    expect([...t.values()]).toEqual([]);
  });
});
