/**
 * The fixture of the fleet tests (several `s3ferry run` processes on one PostgreSQL journal):
 * before the suite, the test RGW with a fresh bucket, a temporary directory and a fresh database;
 * after it, every agent started through it stopped, and all of those removed.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { freePort, startAgentProcess, type AgentProcess } from './agent-process.js';
import { fleetYaml } from './fleet.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { createTestBucket, makeS3Client, rgwServer, type S3ServerInfo } from './s3-server.js';
import { makeTmpDir } from './tmp.js';

/** The parts of an agent's YAML a fleet test chooses (the rest comes from the fixture). */
export interface FleetAgentOptions {
  /** Claims hold this long without a heartbeat, e.g. '3s'. */
  readonly lease: string;
  readonly settle?: string;
  /** Extra lines under `destination:` (indented by 6 spaces). */
  readonly destination?: string;
  /** Extra lines of the job (indented by 4 spaces). */
  readonly job?: string;
}

export class FleetFixture {
  info!: S3ServerInfo;
  client!: S3Client;
  bucket!: { name: string; cleanup(): Promise<void> };
  tmp!: { path: string; cleanup(): Promise<void> };
  db!: TestDatabase;
  /** The agents started through {@link start} and not yet taken out by the test. */
  readonly agents: AgentProcess[] = [];

  private constructor() {}

  /**
   * Registers the suite's before and after hooks (call it inside describe()); `label` names the
   * bucket and the temporary directory. The fields are set once the before hook has run.
   */
  static use(label: string): FleetFixture {
    const f = new FleetFixture();
    before(async () => {
      f.info = await rgwServer();
      f.client = makeS3Client(f.info);
      f.bucket = await createTestBucket(f.info, label);
      f.tmp = await makeTmpDir(label);
      f.db = await createTestDatabase();
    });
    after(async () => {
      await Promise.all(f.agents.map((a) => a.stop().catch(() => undefined)));
      await f.db.drop();
      await f.bucket.cleanup();
      await f.tmp.cleanup();
      f.client.destroy();
    });
    return f;
  }

  /** The YAML of one agent of the fleet on `inbox`: the shared journal, the bucket, its own port. */
  async yaml(inbox: string, options: FleetAgentOptions): Promise<string> {
    return fleetYaml({
      port: await freePort(),
      journal: this.db.url,
      inbox,
      bucket: this.bucket.name,
      endpoint: this.info.endpoint,
      ...options,
    });
  }

  /** Starts an agent in the directory `name` of the fixture's tmp dir; stopped after the suite. */
  async start(name: string, yaml: string): Promise<AgentProcess> {
    const a = await startAgentProcess(join(this.tmp.path, name), yaml, this.info);
    this.agents.push(a);
    return a;
  }
}
