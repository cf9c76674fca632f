import { createNatsJetStreamBroker, createNatsBroker, streamNameOf } from '../src/platform/broker/index.ts';
import { createLogger } from '../src/platform/logger.ts';
import { connect } from 'nats';
const logger = createLogger({ level: 'silent', nodeId: 'probe' });
const N = Number(process.env.N ?? 2000);
for (const mode of ['core', 'js', 'core', 'js']) {
  const prefix = `probe_${process.pid}_${mode}_${Math.random().toString(36).slice(2, 8)}`;
  const make = () => mode === 'js' ? createNatsJetStreamBroker('nats://127.0.0.1:4222', logger, prefix, { storage: 'memory', maxAgeMs: 60000, maxBytes: 64 << 20, maxMsgs: 100000 }) : createNatsBroker('nats://127.0.0.1:4222', logger, prefix);
  const a = await make(); const b = await make();
  let got = 0; let done!: () => void; const all = new Promise<void>((r) => (done = r));
  b.onMessage(() => { if (++got === N) done(); });
  await b.subscribe(['c']);
  const t0 = performance.now(); const c0 = process.cpuUsage();
  await Promise.all(Array.from({ length: N }, (_, i) => a.publish('c', `m${i}`)));
  const t1 = performance.now();
  await all; const t2 = performance.now(); const c = process.cpuUsage(c0);
  // Traffic the receiving node has no subscriber for: what it costs to drop.
  const unwanted = Array.from({ length: N }, (_, i) => a.publish(`other${i % 50}`, `x${i}`));
  const c1 = process.cpuUsage(); const t3 = performance.now();
  await Promise.all(unwanted); await a.publish('c', 'end');
  await new Promise<void>((r) => { const iv = setInterval(() => { if (got > N) { clearInterval(iv); r(); } }, 1); });
  const t4 = performance.now(); const cu = process.cpuUsage(c1);
  console.log(mode, `publish ${N}: ${(t1 - t0).toFixed(0)} ms, all delivered ${(t2 - t0).toFixed(0)} ms, cpu ${((c.user + c.system) / 1000).toFixed(0)} ms; ${N} unsubscribed + marker: ${(t4 - t3).toFixed(0)} ms, cpu ${((cu.user + cu.system) / 1000).toFixed(0)} ms`);
  await a.close(); await b.close();
  if (mode === 'js') { const nc = await connect({ servers: 'nats://127.0.0.1:4222' }); await (await nc.jetstreamManager()).streams.delete(streamNameOf(prefix)); await nc.close(); }
}
