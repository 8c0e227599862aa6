/** The Redis the cluster tests use, and whether it answers (CI starts it; elsewhere it may be absent). */
import net from 'node:net';

export const REDIS = process.env.HOOKBRIDGE_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function redisAnswers(url = REDIS): Promise<boolean> {
  return new Promise<boolean>((resolve) => {
    const u = new URL(url);
    const sock = net.connect(Number(u.port || 6379), u.hostname, () => (sock.end(), resolve(true)));
    sock.on('error', () => resolve(false));
    sock.setTimeout(1000, () => (sock.destroy(), resolve(false)));
  });
}
