// The little of jsdom's API that spec/support/angular-setup.ts uses (jsdom ships no types and
// @types/jsdom is not a devDependency).
declare module 'jsdom' {
  export class JSDOM {
    constructor(html?: string, options?: { url?: string; pretendToBeVisual?: boolean });
    readonly window: Window & typeof globalThis;
  }
}
