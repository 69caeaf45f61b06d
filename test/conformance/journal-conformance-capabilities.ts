/**
 * Conformance: the capability records (journal/capability-log.ts): one per endpoint and bucket,
 * the latest probe's, kept across a reopen and seen by every store on the same journal.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EndpointCapabilities } from '../../src/domain/capabilities.js';
import type { CapabilityRecord } from '../../src/journal/journal-store.js';
import { withStore, type MakeJournalStore } from './journal-conformance-support.js';

const RGW: EndpointCapabilities = {
  conditionalPut: true,
  tagging: true,
  objectLock: false,
  versioning: false,
  checksumCrc32: false,
  md5Etags: true,
};

const SWIFT: EndpointCapabilities = {
  conditionalPut: false,
  tagging: false,
  objectLock: false,
  versioning: false,
  checksumCrc32: false,
  md5Etags: true,
};

function recordFor(over: Partial<CapabilityRecord> = {}): CapabilityRecord {
  return {
    endpoint: 'http://127.0.0.1:7480',
    bucket: 'b',
    capabilities: RGW,
    probedAt: 1_000,
    agent: 'host:1:aa',
    ...over,
  };
}

/** Registers the capability tests. */
export function describeCapabilities(make: MakeJournalStore): void {
  void describe('capability records', () => {
    void it('keeps the latest probe per endpoint and bucket, in that order', () =>
      withStore(make, async (store) => {
        assert.deepEqual(await store.listCapabilities(), []);
        const locked = { ...RGW, objectLock: true, versioning: true, conditionalPut: false };
        await store.saveCapabilities(recordFor({ bucket: 'z' }));
        await store.saveCapabilities(recordFor({ endpoint: '', bucket: 'aws' }));
        await store.saveCapabilities(recordFor({ bucket: 'a', capabilities: locked }));
        // a later probe of the same bucket replaces it, whoever probed
        await store.saveCapabilities(
          recordFor({ bucket: 'z', capabilities: SWIFT, probedAt: 2_000, agent: 'other:2:bb' }),
        );
        assert.deepEqual(await store.listCapabilities(), [
          recordFor({ endpoint: '', bucket: 'aws' }),
          recordFor({ bucket: 'a', capabilities: locked }),
          recordFor({ bucket: 'z', capabilities: SWIFT, probedAt: 2_000, agent: 'other:2:bb' }),
        ]);
      }));

    void it('an older answer that arrives late does not replace a newer one', () =>
      withStore(make, async (store) => {
        await store.saveCapabilities(recordFor({ capabilities: SWIFT, probedAt: 5_000 }));
        await store.saveCapabilities(recordFor({ probedAt: 4_000 }));
        assert.deepEqual(await store.listCapabilities(), [
          recordFor({ capabilities: SWIFT, probedAt: 5_000 }),
        ]);
      }));

    void it('survive close and reopen, and are seen through another store', (t) =>
      withStore(make, async (store, fixture) => {
        await store.saveCapabilities(recordFor());
        const other = fixture.second === undefined ? undefined : await fixture.second();
        try {
          if (other !== undefined) assert.deepEqual(await other.listCapabilities(), [recordFor()]);
        } finally {
          await other?.close();
        }
        if (fixture.reopen === undefined) {
          t.skip('this storage does not outlive its store');
          return;
        }
        await store.close();
        const reopened = await fixture.reopen();
        try {
          assert.deepEqual(await reopened.listCapabilities(), [recordFor()]);
        } finally {
          await reopened.close();
        }
      }));
  });
}
