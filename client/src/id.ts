/**
 * @module id
 * A short id per event (time + randomness, 8-14 characters of [0-9a-z]), so the worker can recognize
 * and drop an event it already counted when a failed batch is sent again.
 */

export const newId = (now: number = Date.now()): string =>
  now.toString(36) + Math.random().toString(36).slice(2, 8);
