/**
 * @module template-context.test
 * Each placeholder's context must be the one a browser's parser gives it, in HTML and inside an
 * <svg>; a document whose placeholders sit where escaping is not enough is refused with their paths.
 */
import { describe, expect, it } from 'vitest';
import {
  attributeContext,
  attributeTemplateProblems,
  type Context,
  templateContexts,
  unsafeTemplateProblems,
} from './template-context.ts';

const contexts = (src: string, within: 'html' | 'svg' = 'html'): Context[] =>
  templateContexts(src, within).map((p) => p.context);

describe('templateContexts', () => {
  const cases: [string, Context[]][] = [
    ['<b>Hi {{ name }}</b>', ['text']],
    ['{{ a }} and {{ b.c }}', ['text', 'text']],
    ['<div class="banner {{ topInterest }}">x</div>', ['attr']],
    ['<div title=\'{{ t }}\' data-x="{{ y }}">', ['attr', 'attr']],
    ['<a href="{{ item.url }}">{{ item.title }}</a>', ['url-attr', 'text']],
    ['<a HREF="/search?q={{ q }}">', ['url-attr']],
    [
      '<img src="{{ s }}" srcset="{{ a }} 1x, {{ b }} 2x" alt="{{ c }}">',
      ['url-attr', 'url-attr', 'url-attr', 'attr'],
    ],
    ['<form action="{{ a }}"><button formaction="{{ b }}">', ['url-attr', 'url-attr']],
    ['<video poster="{{ p }}"></video><q cite="{{ c }}">', ['url-attr', 'url-attr']],
    ['<svg><a xlink:href="{{ u }}"><text>{{ t }}</text></a></svg>', ['url-attr', 'text']],
    ['<a ping="{{ p }}" data-href="{{ d }}">', ['url-attr', 'attr']],
    ['<div onclick="go(\'{{ x }}\')">', ['event-handler']],
    ['<img src=x onerror="{{ x }}">', ['event-handler']],
    ['<body ONLOAD="{{ x }}">', ['event-handler']],
    ['<p style="color: {{ c }}">', ['style']],
    ['<style>.a { color: {{ c }} }</style><p>{{ t }}</p>', ['style', 'text']],
    ['<iframe srcdoc="{{ d }}"></iframe>', ['srcdoc']],
    ['<script>var x = "{{ x }}";</script>{{ y }}', ['script', 'text']],
    ['<script type="application/ld+json">{"a": "{{ x }}"}</script>', ['script']],
    ['<SCRIPT>a</SCRIPT >{{ y }}', ['text']],
    ['<script src="{{ s }}"></script>', ['active-attr']],
    ['<link rel="stylesheet" href="{{ h }}">', ['active-attr']],
    ['<base href="{{ h }}">', ['active-attr']],
    ['<meta http-equiv="refresh" content="0; url={{ u }}">', ['active-attr']],
    ['<object data="{{ d }}"></object><embed src="{{ e }}">', ['active-attr', 'active-attr']],
    ['<svg><animate attributeName="href" values="{{ v }}"/></svg>', ['active-attr']],
    ['<!-- {{ x }} -->{{ y }}', ['comment', 'text']],
    ['<!--> {{ y }}', ['text']],
    ['<!DOCTYPE {{ x }}>', ['comment']],
    ['<?php {{ x }} ?>', ['comment']],
    ['<{{ tag }}>', ['tag']],
    ['</{{ tag }}>', ['tag']],
    ['<div {{ attr }}>', ['tag']],
    ['<div data-{{ a }}="1">', ['tag']],
    ['<div class="a"{{ b }}>', ['tag']],
    ['<br/{{ b }}>', ['tag']],
    ['<div class={{ c }}>', ['unquoted-attr']],
    ['<a href=/x?{{ q }}>', ['unquoted-attr']],
    ['<textarea>{{ t }}</textarea>{{ u }}', ['rawtext', 'text']],
    ['<title><b>{{ t }}</b></title>', ['rawtext']],
    ['<noscript><p title="</noscript><p>{{ x }}">', ['text']],
    ['<xmp><script>{{ x }}</script></xmp>', ['rawtext']],
    ['<plaintext></plaintext>{{ x }}', ['rawtext']],
    // script data escape states: the first </script> inside <!-- <script> does not end the script
    ['<script><!-- <script> </script> {{ x }} --></script>{{ y }}', ['script', 'text']],
    ['<script><!-- </script>{{ y }}', ['text']],
    // foreign content: <svg><style> and <svg><script> are still CSS and script
    ['<svg><style>{{ c }}</style></svg>', ['style']],
    ['<svg><script>{{ c }}</script></svg>', ['script']],
    // in SVG, <title> is not RCDATA, and it is an HTML integration point
    ['<svg><title><script>{{ x }}</script></title></svg>', ['script']],
    ['<svg><textarea><script>{{ x }}</script></textarea></svg>', ['script']],
    // <p> breaks out of foreign content, so <textarea> is RCDATA again
    ['<svg><p><textarea><script>{{ x }}</script></textarea>', ['rawtext']],
    ['<svg><foreignObject><textarea>{{ x }}</textarea></foreignObject></svg>', ['rawtext']],
    ['<svg/><textarea>{{ x }}</textarea>', ['rawtext']],
    ['a < b {{ x }}', ['text']],
    ['a <3 {{ x }}', ['text']],
  ];
  for (const [src, expected] of cases) {
    it(src, () => {
      expect(contexts(src)).toEqual(expected);
    });
  }

  it('gives each placeholder its path and offset', () => {
    expect(templateContexts('<a href="{{ item.url }}">{{item.title}}</a>')).toEqual([
      { path: 'item.url', context: 'url-attr', at: 9 },
      { path: 'item.title', context: 'text', at: 25 },
    ]);
  });

  it('reads a template as inside an <svg> when asked', () => {
    expect(contexts('<textarea><script>{{ x }}</script></textarea>', 'svg')).toEqual(['script']);
    expect(contexts('<textarea><script>{{ x }}</script></textarea>', 'html')).toEqual(['rawtext']);
  });
});

describe('unsafeTemplateProblems', () => {
  it('accepts text, quoted attributes, URL attributes and RCDATA', () => {
    const ok = [
      '<div class="banner">Welcome back! New in {{ topInterest }}</div>',
      '<li><a href="{{ item.url }}">{{ item.title }}</a></li>',
      '<a href="/search?q={{ q }}" title="{{ q }}">Search</a>',
      '<textarea>{{ note }}</textarea>',
      'no placeholders <script>alert(1)</script> at all',
    ];
    for (const src of ok) expect(unsafeTemplateProblems(src, 'campaigns.0.variants.1.html')).toEqual([]);
  });

  it('refuses each unsafe placeholder with the template path and the placeholder', () => {
    const problems = unsafeTemplateProblems(
      '<a onclick="x({{ a }})" style="{{ b }}">{{ ok }}</a><script>{{ c }}</script><!-- {{ d }} --><i {{ e }}>',
      'campaigns.2.variants.0.html',
    );
    expect(problems).toHaveLength(5);
    expect(problems[0]).toBe(
      'campaigns.2.variants.0.html: "{{ a }}" (at 14) is inside an event handler attribute, where escaping is not safe',
    );
    for (const [i, name] of ['a', 'b', 'c', 'd', 'e'].entries()) {
      expect(problems[i]).toMatch(
        new RegExp(`^campaigns\\.2\\.variants\\.0\\.html: "\\{\\{ ${name} \\}\\}"`),
      );
    }
    expect(problems.join('\n')).not.toContain('ok');
  });

  const unsafe: [string, string][] = [
    ['<iframe srcdoc="{{ x }}">', 'srcdoc'],
    ['<div class={{ x }}>', 'unquoted'],
    ['<script src="{{ x }}"></script>', 'loads code'],
    ['<meta http-equiv="refresh" content="0;url={{ x }}">', 'loads code'],
    ['<textarea><script>{{ x }}</script></textarea>', 'a script'],
    ['<textarea><a href="{{ x }}"></a></textarea>', 'depending on whether the slot is inside an <svg>'],
  ];
  for (const [src, why] of unsafe) {
    it(`refuses ${src}`, () => {
      const problems = unsafeTemplateProblems(src, 'h');
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(why);
    });
  }

  it('reports a malformed placeholder as parseTemplate does', () => {
    expect(unsafeTemplateProblems('{{ a + b }}', 'h')).toEqual(['h: "{{ a + b }}" is not an attribute name']);
  });
});

describe('setAttribute slots', () => {
  it('classifies the attribute by name alone', () => {
    expect(attributeContext(undefined, 'onclick')).toBe('event-handler');
    expect(attributeContext(undefined, 'style')).toBe('style');
    expect(attributeContext(undefined, 'srcdoc')).toBe('srcdoc');
    expect(attributeContext(undefined, 'values')).toBe('active-attr');
    expect(attributeContext(undefined, 'href')).toBe('url-attr');
    expect(attributeContext(undefined, 'title')).toBe('attr');
  });

  it('refuses placeholders written into an event handler, a style or a srcdoc', () => {
    expect(attributeTemplateProblems('onmouseover', 'go({{ x }})', 'campaigns.0.variants.1.value')).toEqual([
      'campaigns.0.variants.1.value: "{{ x }}" is written into "onmouseover", an event handler attribute, where escaping is not safe',
    ]);
    expect(attributeTemplateProblems('style', 'color:{{ c }}', 'v')).toHaveLength(1);
    expect(attributeTemplateProblems('srcdoc', '{{ c }}', 'v')).toHaveLength(1);
  });

  it('accepts fixed values anywhere and placeholders in ordinary and URL attributes', () => {
    expect(attributeTemplateProblems('onclick', 'track()', 'v')).toEqual([]);
    expect(attributeTemplateProblems('href', '/c/{{ topInterest }}', 'v')).toEqual([]);
    expect(attributeTemplateProblems('title', '{{ topInterest }}', 'v')).toEqual([]);
  });
});
