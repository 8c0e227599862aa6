import autocannon from 'autocannon';
let clicks = 0; const lat = [];
const url = process.argv[2]; const secs = Number(process.argv[3] ?? 10);
const inst = autocannon({ url, connections: 10, duration: secs, requests: [{ method: 'POST', path: '/webhook/kontur-create', headers: { 'content-type': 'application/json' },
  setupRequest(req) { const i = `${process.pid.toString(36)}x${(clicks++).toString(36)}`; req.body = `{"channel_id":"ch${i}","channel_name":"Town Square","channel_type":"O","user_id":"u${i}","username":"bench.user"}`; return req; } }] });
const t0 = Date.now(); const slow = [];
inst.on('response', (_c, code, _b, ms) => { lat.push(ms); if (ms > 8) slow.push([Date.now() - t0, Math.round(ms)]); });
const r = await inst; lat.sort((a, b) => a - b);
console.log('ok/s', Math.round(r['2xx'] / r.duration), 'p50', lat[Math.floor(lat.length * 0.5)].toFixed(2), 'p99', lat[Math.floor(lat.length * 0.99)].toFixed(2), 'non2xx', r.non2xx);
console.log('slow (t ms, latency):', JSON.stringify(slow.slice(0, 200)));
