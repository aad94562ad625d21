/**
 * @module bench/lib/processes
 * Memory and CPU time of the processes under test, from /proc (Linux): the workerd children of this
 * process, their resident set and the CPU time they have used. Peaks come from VmHWM, reset per phase
 * through `/proc/<pid>/clear_refs` (value 5, Linux 4.0+), and from sampling VmRSS as a fallback where
 * the reset is not allowed. CPU time comes from the scheduler's own nanosecond count of each thread
 * (`/proc/<pid>/task/<tid>/schedstat`, first field), and from utime + stime in `/proc/<pid>/stat`
 * (clock ticks, 10 ms) where schedstat is missing.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** PIDs of this process's children whose command is `comm`. */
export function childPids(comm, ppid = process.pid) {
  const out = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'
      const close = stat.lastIndexOf(')');
      const name = stat.slice(stat.indexOf('(') + 1, close);
      const parent = Number(stat.slice(close + 2).split(' ')[1]);
      if (name === comm && parent === ppid) out.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

function statusKb(pid, field) {
  try {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export const rssKb = (pid) => statusKb(pid, 'VmRSS');
export const hwmKb = (pid) => statusKb(pid, 'VmHWM');

/** Resets the peak RSS of a process to its current RSS; false where that is not allowed. */
export function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Tracks the peak RSS of named processes over a phase: `start()` resets the kernel's high-water mark
 * and samples VmRSS every `everyMs`; `stop()` returns `{ name: peak kB }`.
 */
export function createMemoryTracker(pidsByName, everyMs = 100) {
  let peaks = {};
  let resettable = {};
  let timer;
  const sample = () => {
    for (const [name, pids] of Object.entries(pidsByName)) {
      const kb = pids.reduce((sum, pid) => sum + (rssKb(pid) || 0), 0);
      peaks[name] = Math.max(peaks[name] ?? 0, kb);
    }
  };
  return {
    start() {
      peaks = {};
      resettable = {};
      for (const [name, pids] of Object.entries(pidsByName)) resettable[name] = pids.every(resetPeak);
      sample();
      timer = setInterval(sample, everyMs);
    },
    stop() {
      clearInterval(timer);
      sample();
      const out = {};
      for (const [name, pids] of Object.entries(pidsByName)) {
        const hwm = resettable[name] ? pids.reduce((sum, pid) => sum + (hwmKb(pid) || 0), 0) : 0;
        out[name] = Math.max(hwm, peaks[name] ?? 0);
      }
      return out;
    },
  };
}

/** Fields of /proc/<pid>/stat after the command (which may hold spaces): index 0 is the state. */
function statFields(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

let tickNs;
/** Nanoseconds per clock tick (`getconf CLK_TCK`, 100 on almost every Linux). */
function nsPerTick() {
  if (tickNs === undefined) {
    let hz = 100;
    try {
      hz = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      // no getconf: keep the usual value
    }
    tickNs = 1e9 / hz;
  }
  return tickNs;
}

/**
 * CPU time a process has used, user + system, all threads, in nanoseconds, from utime + stime
 * (fields 14 and 15 of /proc/<pid>/stat): 10 ms resolution, but it keeps the time of threads that
 * have ended. NaN when the process is gone.
 */
export function statCpuNs(pid) {
  try {
    const f = statFields(pid);
    return (Number(f[11]) + Number(f[12])) * nsPerTick();
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU time a process's live threads have used, in nanoseconds, from the scheduler's run-time count of
 * each thread (exact, not sampled at ticks). NaN where schedstat is not available.
 */
export function schedCpuNs(pid) {
  let sum = 0;
  let seen = 0;
  let tids;
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return Number.NaN;
  }
  for (const tid of tids) {
    try {
      sum += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
      seen++;
    } catch {
      // the thread ended while we looked
    }
  }
  return seen ? sum : Number.NaN;
}

/** Which CPU clock this machine offers: 'schedstat' (ns, per thread) or 'stat' (utime + stime, ticks). */
export const cpuSource = () => (Number.isFinite(schedCpuNs(process.pid)) ? 'schedstat' : 'stat');

/** CPU time, in nanoseconds, used so far by a set of processes, read with `source`. */
export function cpuNs(pids, source = cpuSource()) {
  const read = source === 'schedstat' ? schedCpuNs : statCpuNs;
  return pids.reduce((sum, pid) => sum + read(pid), 0);
}
