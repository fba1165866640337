/**
 * Angular TestBed for the specs under mocha + jsdom, loaded once with mocha's `file` option (before
 * any spec): a jsdom document on globalThis, the JIT compiler, and a zoneless test environment.
 * zone.js is never loaded in this process (spec/angular/zone.spec.ts runs its own child process).
 */
import { JSDOM } from 'jsdom';
import '@angular/compiler';
import * as core from '@angular/core';
import { TestBed } from '@angular/core/testing';
import { BrowserTestingModule, platformBrowserTesting } from '@angular/platform-browser/testing';

const dom = new JSDOM('<!doctype html><html><head></head><body></body></html>', {
  url: 'http://localhost/',
  pretendToBeVisual: true,
});

/**
 * Only what Angular's DOM renderer uses is copied onto globalThis. `addEventListener` and friends
 * stay off globalThis, so browser-detecting code in other specs (bindPageLifecycle) still sees Node.
 */
const GLOBALS = [
  'window',
  'document',
  'Node',
  'Element',
  'HTMLElement',
  'Text',
  'Comment',
  'Event',
  'KeyboardEvent',
  'MouseEvent',
  'getComputedStyle',
  'requestAnimationFrame',
  'cancelAnimationFrame',
] as const;
const g = globalThis as Record<string, unknown>;
const win = dom.window as unknown as Record<string, unknown>;
for (const name of GLOBALS) {
  if (name in g) continue;
  const value = win[name];
  g[name] =
    typeof value === 'function' && name.charAt(0) === name.charAt(0).toLowerCase()
      ? value.bind(dom.window)
      : value;
}

// Zoneless whatever the Angular version: v20+ names it provideZonelessChangeDetection, v19 had the
// experimental name (and defaulted to zone.js in TestBed).
const zoneless = ((core as Record<string, unknown>).provideZonelessChangeDetection ??
  (core as Record<string, unknown>)
    .provideExperimentalZonelessChangeDetection) as () => core.EnvironmentProviders;
class ZonelessTestingModule {}
core.NgModule({ providers: [zoneless()] })(ZonelessTestingModule);

TestBed.initTestEnvironment([BrowserTestingModule, ZonelessTestingModule], platformBrowserTesting(), {
  teardown: { destroyAfterEach: true },
});
