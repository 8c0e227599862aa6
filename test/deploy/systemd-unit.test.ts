/**
 * deploy/hookbridge.service, checked two ways: `systemd-analyze verify` accepts it, and
 * its ExecStart run the way systemd runs it (its Environment= lines, its working
 * directory, the repository standing in for /opt/hookbridge and a temporary directory
 * for the state directory) serves /ready, then stops cleanly on its KillSignal within
 * TimeoutStopSec — so `systemctl stop` and restarts drain instead of killing.
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { freePort, until } from '../helpers/wait.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const UNIT = path.join(ROOT, 'deploy', 'hookbridge.service');
const text = fs.readFileSync(UNIT, 'utf8');

/** `Key=value` lines of one section (repeated keys kept in order). */
function section(name: string): [string, string][] {
  const out: [string, string][] = [];
  let inside = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('[')) inside = line === `[${name}]`;
    else if (inside && line && !line.startsWith('#')) {
      const i = line.indexOf('=');
      out.push([line.slice(0, i), line.slice(i + 1)]);
    }
  }
  return out;
}
const service = section('Service');
const one = (k: string) => service.find(([key]) => key === k)?.[1];

const hasSystemd = (() => {
  try {
    execFileSync('systemd-analyze', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();
if (!hasSystemd && process.env.CI === 'true') throw new Error('CI=true: systemd-analyze is required to check deploy/hookbridge.service');
if (!hasSystemd) console.log('[systemd unit test] verify part skipped: systemd-analyze is not installed');

describe('deploy/hookbridge.service', () => {
  it.skipIf(!hasSystemd)('systemd-analyze verify accepts it', () => {
    const out = execFileSync('systemd-analyze', ['verify', UNIT], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(out).toBe('');
  });

  it('runs node directly as an unprivileged user, drains on SIGTERM, restarts on failure', () => {
    expect(one('ExecStart')).toBe('/usr/bin/node /opt/hookbridge/dist/cli.js serve');
    expect(one('User')).toBe('hookbridge');
    expect(one('KillSignal')).toBe('SIGTERM');
    expect(Number(one('TimeoutStopSec'))).toBeGreaterThan(10);
    expect(one('Restart')).toBe('on-failure');
  });

  it('its ExecStart with its environment serves /ready and stops on its KillSignal within TimeoutStopSec', async () => {
    const state = fs.mkdtempSync(path.join(os.tmpdir(), 'hookbridge-unit-'));
    const local = (v: string) => v.replaceAll('/opt/hookbridge', ROOT).replaceAll('/var/lib/hookbridge', state);
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH };
    for (const [k, v] of service) if (k === 'Environment') {
      const i = v.indexOf('=');
      env[v.slice(0, i)] = local(v.slice(i + 1));
    }
    const port = await freePort();
    env.PORT = String(port);
    env.HOOKBRIDGE_ADMIN_TOKEN = 'unit-test-admin-token-0123456789';
    const [cmd, ...args] = local(one('ExecStart')!).split(' ');
    const child = spawn(cmd === '/usr/bin/node' && !fs.existsSync(cmd) ? process.execPath : cmd, args, { cwd: local(one('WorkingDirectory')!), env, stdio: ['ignore', 'pipe', 'pipe'] });
    const output: string[] = [];
    child.stdout.on('data', (c: Buffer) => output.push(c.toString()));
    child.stderr.on('data', (c: Buffer) => output.push(c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await until('the unit\'s server to be ready', 20_000, async () => {
        if (child.exitCode !== null) throw new Error(`exited ${child.exitCode}: ${output.join('')}`);
        try {
          return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
        } catch {
          return false;
        }
      });
      expect(fs.existsSync(path.join(state, 'hookbridge.db')), 'the database lives in the state directory').toBe(true);
      const t0 = Date.now();
      child.kill(one('KillSignal') as NodeJS.Signals);
      expect(await exited).toBe(0);
      expect(Date.now() - t0).toBeLessThan(Number(one('TimeoutStopSec')) * 1000);
      expect(output.join('')).toMatch(/"msg":"stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(state, { recursive: true, force: true });
    }
  });
});
