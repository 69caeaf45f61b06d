import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { describe, it } from 'node:test';
import { abortScope } from '../../src/transfer/abort-scope.js';

describe('abortScope', () => {
  it('puts one listener on the shared signal however many uploads hang under it', () => {
    const parent = new AbortController();
    const scopes = Array.from({ length: 50 }, () => abortScope(parent.signal, 8));
    assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
    for (const s of scopes.slice(0, 25)) s.close();
    const more = abortScope(parent.signal, 8);
    assert.equal(getEventListeners(parent.signal, 'abort').length, 1);
    for (const s of [...scopes.slice(25), more]) s.close();
  });

  it("aborts every open scope with the caller's reason, and no closed one", () => {
    const parent = new AbortController();
    const open = [abortScope(parent.signal, 8), abortScope(parent.signal, 8)];
    const closed = abortScope(parent.signal, 8);
    closed.close();
    const reason = new Error('interrupted');
    parent.abort(reason);
    for (const s of open) {
      assert.equal(s.signal?.aborted, true);
      assert.equal(s.signal.reason, reason);
    }
    assert.equal(closed.signal?.aborted, false);
  });

  it('is aborted from the start under an aborted signal, and absent without one', () => {
    const parent = new AbortController();
    parent.abort(new Error('gone'));
    assert.equal(abortScope(parent.signal, 8).signal?.aborted, true);
    assert.equal(abortScope(undefined, 8).signal, undefined);
  });

  it('lets an upload hold its bound of listeners without a warning, and warns past it', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => {
      warnings.push(w.name);
    };
    process.on('warning', onWarning);
    try {
      const parent = new AbortController();
      const scope = abortScope(parent.signal, 16);
      const listeners = Array.from({ length: 16 }, () => () => undefined);
      for (const l of listeners) scope.signal?.addEventListener('abort', l);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, []);
      scope.signal?.addEventListener('abort', () => undefined);
      await new Promise((resolve) => setImmediate(resolve));
      assert.deepEqual(warnings, ['MaxListenersExceededWarning']);
      scope.close();
    } finally {
      process.off('warning', onWarning);
    }
  });
});
