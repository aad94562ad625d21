/**
 * @module log
 * One structured log line per event (JSON), at a level. A leaf module: everything may import it.
 */
export type LogLevel = 'info' | 'warn' | 'error';
export type Log = (level: LogLevel, msg: string, err?: unknown) => void;

export const log: Log = (level, msg, err) => {
  const line = JSON.stringify({
    level,
    msg,
    ...(err === undefined ? {} : { err: err instanceof Error ? `${err.name}: ${err.message}` : String(err) }),
  });
  if (level === 'error') console.error(line);
  else if (level === 'warn') console.warn(line);
  else console.log(line);
};
