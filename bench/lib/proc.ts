import { readFileSync } from 'node:fs';

/** Linux reports utime/stime in clock ticks; 100 per second on every kernel we run on. */
const TICKS_PER_SECOND = 100;

export interface ProcSample {
  cpuSeconds: number;
  rssBytes: number;
}

/** CPU seconds (user + system) and resident memory of a process, from /proc/<pid>. */
export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces: fields are counted after its ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const cpuSeconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { cpuSeconds, rssBytes: rssKb * 1024 };
}

/** Summed over several processes (the nodes of one run). */
export function sampleAll(pids: number[]): ProcSample {
  let cpuSeconds = 0;
  let rssBytes = 0;
  for (const pid of pids) {
    const sample = sampleProcess(pid);
    cpuSeconds += sample.cpuSeconds;
    rssBytes += sample.rssBytes;
  }
  return { cpuSeconds, rssBytes };
}
