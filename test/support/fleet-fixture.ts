/**
 * The fixture of the fleet tests (several `s3ferry run` processes on one PostgreSQL journal): an
 * S3Fixture (RGW, bucket, tmp dir) with a fresh database; after the suite, every agent started
 * through it is stopped and the database dropped.
 */
import { join } from 'node:path';
import { freePort, startAgentProcess, type AgentProcess } from './agent-process.js';
import { fleetYaml } from './fleet.js';
import { createTestDatabase, type TestDatabase } from './postgres.js';
import { S3Fixture } from './s3-fixture.js';

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

export class FleetFixture extends S3Fixture {
  db!: TestDatabase;
  /** The agents started through {@link start} and not yet taken out by the test. */
  readonly agents: AgentProcess[] = [];

  /**
   * Registers the suite's before and after hooks (call it inside describe()); `label` names the
   * bucket and the temporary directory. The fields are set once the before hook has run.
   */
  static override use(label: string): FleetFixture {
    const f = new FleetFixture();
    f.hook(label);
    return f;
  }

  protected override async setUp(): Promise<void> {
    this.db = await createTestDatabase();
  }

  protected override async tearDown(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop().catch(() => undefined)));
    await this.db.drop();
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
