/**
 * The fixture most e2e suites share: before the suite, the test RGW, a client of it, a fresh
 * bucket and a temporary directory; after it, all of them cleaned up. Suites that need more (a
 * database, agents) extend it (fleet-fixture.ts).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { after, before } from 'node:test';
import { createTestBucket, makeS3Client, rgwServer, type S3ServerInfo } from './s3-server.js';
import { makeTmpDir } from './tmp.js';

export class S3Fixture {
  info!: S3ServerInfo;
  client!: S3Client;
  bucket!: { name: string; cleanup(): Promise<void> };
  tmp!: { path: string; cleanup(): Promise<void> };

  protected constructor() {}

  /**
   * Registers the suite's before and after hooks (call it inside describe()); `label` names the
   * bucket and the temporary directory. The fields are set once the before hook has run.
   */
  static use(label: string): S3Fixture {
    const f = new S3Fixture();
    f.hook(label);
    return f;
  }

  protected hook(label: string): void {
    before(async () => {
      this.info = await rgwServer();
      this.client = makeS3Client(this.info);
      this.bucket = await createTestBucket(this.info, label);
      this.tmp = await makeTmpDir(label);
      await this.setUp();
    });
    after(async () => {
      await this.tearDown();
      await this.bucket.cleanup();
      await this.tmp.cleanup();
      this.client.destroy();
    });
  }

  /** More set-up of a subclass, after the bucket and tmp dir exist. */
  protected async setUp(): Promise<void> {}

  /** More tear-down of a subclass, before the bucket and tmp dir go. */
  protected async tearDown(): Promise<void> {}
}
