/**
 * @module bench/lib/processes
 * Memory of the processes under test, from /proc (Linux): the workerd children of this process and
 * their resident set. Peaks come from VmHWM, reset per phase through `/proc/<pid>/clear_refs` (value 5,
 * Linux 4.0+), and from sampling VmRSS as a fallback where the reset is not allowed.
 */
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
