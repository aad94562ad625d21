/**
 * @module safe-regex.test
 * Patterns known to backtrack catastrophically (the OWASP ReDoS examples, the safe-regex suites,
 * polynomial cases) are refused; ordinary targeting patterns are accepted and stay fast on hostile
 * input of the size a request can carry.
 */
import { describe, expect, it } from 'vitest';
import { MAX_REGEX_SUBJECT, regexProblem, regexSubject } from './safe-regex.ts';

const refused: [pattern: string, flags: string, why: RegExp][] = [
  // OWASP "Regular expression Denial of Service" examples
  ['^(a+)+$', '', /repetition inside a repetition/],
  ['([a-zA-Z]+)*', '', /repetition inside a repetition/],
  ['(a|aa)+', '', /alternatives can start with the same character/],
  ['(a|a?)+', '', /alternatives can start with the same character/],
  ['(.*a){12}', '', /repetition inside a repetition/],
  ['^(([a-z])+.)+[A-Z]([a-z])+$', '', /repetition inside a repetition/],
  [
    '^([a-zA-Z0-9])(([\\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$',
    '',
    /repetition inside a repetition/,
  ],
  ["^[a-zA-Z]+(([\\'\\,\\.\\- ][a-zA-Z ])?[a-zA-Z]*)*$", '', /repetition inside a repetition/],
  ['^(\\d+\\.)*\\d+$', '', /repetition inside a repetition/],
  // safe-regex / safe-regex2 suites
  ['(a*)*', '', /repetition inside a repetition/],
  ['(a+)+', '', /repetition inside a repetition/],
  ['(x+x+)+y', '', /repetition inside a repetition/],
  ['(\\w+\\s?)*', '', /repetition inside a repetition/],
  ['(a|a)*', '', /alternatives can start with the same character/],
  ['(ab|a)+c', '', /alternatives can start with the same character/],
  ['(\\w|\\d)+$', '', /alternatives can start with the same character/],
  ['(a|A)+$', 'i', /alternatives can start with the same character/],
  ['(?:a|b|)+x', '', /alternatives can start with the same character/],
  ['(a{1,3})+$', '', /repetition inside a repetition/],
  ['(aa?)+$', '', /repetition inside a repetition/],
  ['^(?:[a-z0-9]+-?)+$', '', /repetition inside a repetition/],
  ['((ab)*)+$', '', /repetition inside a repetition/],
  // polynomial: a chain of repetitions over the same characters
  ['a.*b.*c', '', /cube of the input/],
  ['.*.*=.*', '', /cube of the input/],
  ['\\d+\\d+x', '', /cube of the input/],
  ['utm_source=.*&utm_medium=.*$', '', /cube of the input/],
  ['\\s*\\s*$', '', /cube of the input/],
  ['^a*a*a*$x', '', /cube of the input/],
  // the rest
  ['(a)\\1', '', /backreference/],
  ['(?<x>a)\\k<x>', '', /backreference/],
  ['a{1000}', '', /count above 999/],
  ['a{2,5000}', '', /count above 999/],
  ['(?=.*\\d)x', '', /lookahead or lookbehind/],
  ['(?<=a+)b', '', /lookahead or lookbehind/],
  [`^${'a'.repeat(300)}$`, '', /longer than 256/],
  ['(', '', /^not a valid regular expression \(Invalid regular expression: \/\(\/: Unterminated group\)$/],
  ['a**', '', /^not a valid regular expression/],
  ['[z-a]', '', /^not a valid regular expression/],
];

const accepted: [pattern: string, flags: string][] = [
  ['^/c/(shoes|boots)', ''],
  ['^https?://', ''],
  ['\\d{3}-\\d{4}', ''],
  ['foo.*bar', ''],
  ['^(a|b)+$', ''],
  ['^/products/[^/]+/reviews$', ''],
  ['utm_source=(google|bing)', 'i'],
  ['\\.pdf$', ''],
  ['^/blog/.*', ''],
  ['^[^@]+@[^@]+\\.[a-z]{2,10}$', 'i'],
  ['google\\.|bing\\.', ''],
  ['^/(en|de|fr)/(c|p)/', ''],
  ['iPhone|iPad|Android', ''],
  ['^/c/[^/]+/[^/]+$', ''],
  ['\\d+\\.\\d+', ''],
  ['^a.*b.*c', ''],
  ['(?:^|/)sale(?:/|$)', ''],
  ['^[\\w.-]+$', ''],
  ['[?&]ref=[^&]*', ''],
  ['\\bblack friday\\b', 'i'],
  ['(?<![a-z])shoe', ''],
  ['^\\s*$', ''],
  ['[\\d-x]', ''],
  ['\\p{L}+', 'u'],
  ['^/c/\\u0041{2}\\x41\\101', ''],
  ['a{2}b{1,3}', ''],
  ['[]a]', ''],
  ['\\/path\\/', ''],
  // not a backreference outside unicode mode: there is no group 2, so \\2 is the octal escape for U+0002
  ['(a)\\2', ''],
];

describe('regexProblem', () => {
  for (const [pattern, flags, why] of refused) {
    it(`refuses /${pattern}/${flags}`, () => {
      const problem = regexProblem(pattern, flags);
      expect(problem).toMatch(why);
    });
  }
  for (const [pattern, flags] of accepted) {
    it(`accepts /${pattern}/${flags}`, () => {
      expect(regexProblem(pattern, flags)).toBeNull();
    });
  }
});

// Strings that make backtracking engines work hardest on patterns like those above: long runs of
// one character of each class the tables use, repeated prefixes, and each followed by a character
// that makes the match fail at the end.
function hostileInputs(pattern: string): string[] {
  const size = 30_000;
  const pumps = ['a', 'A', '1', ' ', '/', '.', '-', 'ab', 'foo', '/c/', 'a.', '=&', 'x@', 'utm_source='];
  for (const m of pattern.matchAll(/[A-Za-z]{2,}/g)) pumps.push(m[0]);
  const out: string[] = [];
  for (const p of pumps) {
    const run = p.repeat(Math.ceil(size / p.length)).slice(0, size);
    out.push(run, `${run}!`, `${run}\n`);
  }
  return out;
}

describe('accepted patterns on hostile input', () => {
  it(`tests at most ${MAX_REGEX_SUBJECT} characters`, () => {
    expect(regexSubject('x'.repeat(30_000))).toHaveLength(MAX_REGEX_SUBJECT);
    expect(regexSubject('/c/shoes')).toBe('/c/shoes');
  });

  // A sanity bound, not a benchmark: a refused pattern such as (a+)+$ does not finish on these inputs,
  // and a cubic one takes seconds; every accepted one is far below the bound on the bounded subject.
  it('runs each accepted pattern on each 30 kB hostile string well within 50 ms', () => {
    const slow: string[] = [];
    for (const [pattern, flags] of accepted) {
      const re = new RegExp(pattern, flags);
      for (const input of hostileInputs(pattern)) {
        const t0 = performance.now();
        re.test(regexSubject(input));
        const ms = performance.now() - t0;
        if (ms > 50)
          slow.push(`/${pattern}/ on ${JSON.stringify(input.slice(0, 12))}...: ${ms.toFixed(1)} ms`);
      }
    }
    expect(slow).toEqual([]);
  });
});
