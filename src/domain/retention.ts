/**
 * Write-once retention (S3 Object Lock): how long each object is kept from deletion and overwrite,
 * and whether it carries a legal hold. Governance mode can be lifted by whoever may bypass it
 * (s3:BypassGovernanceRetention); compliance mode by nobody until the date passes. The date is
 * counted from when the object is written.
 */

/** Retention as configured: a mode and a length of time (ms). */
export interface RetentionRule {
  readonly mode: 'governance' | 'compliance';
  /** ms from the write. */
  readonly for: number;
}

/** What an upload sets on its object: configured retention and legal hold, if any. */
export interface ObjectLockRule {
  readonly retention?: RetentionRule;
  readonly legalHold: boolean;
}

/** The headers' form of a rule at one moment: S3's mode name and the date the retention ends. */
export interface ObjectLockSettings {
  readonly retention?: {
    readonly mode: 'GOVERNANCE' | 'COMPLIANCE';
    readonly retainUntil: Date;
  };
  readonly legalHold?: boolean;
}

/** True when the rule asks for anything (then the bucket needs Object Lock). */
export function locksObjects(rule: ObjectLockRule | undefined): boolean {
  return rule !== undefined && (rule.retention !== undefined || rule.legalHold);
}

/** The settings of an object written at `nowMs` under `rule`; undefined when it asks nothing. */
export function objectLockAt(
  rule: ObjectLockRule | undefined,
  nowMs: number,
): ObjectLockSettings | undefined {
  if (rule === undefined || !locksObjects(rule)) return undefined;
  return {
    ...(rule.retention === undefined
      ? {}
      : {
          retention: {
            mode: rule.retention.mode === 'compliance' ? 'COMPLIANCE' : 'GOVERNANCE',
            // whole seconds: S3 keeps the date to the second
            retainUntil: new Date(Math.ceil((nowMs + rule.retention.for) / 1000) * 1000),
          },
        }),
    ...(rule.legalHold ? { legalHold: true } : {}),
  };
}

/** "governance for 30d, legal hold" (for messages). */
export function describeLockRule(rule: ObjectLockRule): string {
  const parts: string[] = [];
  if (rule.retention !== undefined)
    parts.push(`${rule.retention.mode} retention for ${formatDays(rule.retention.for)}`);
  if (rule.legalHold) parts.push('legal hold');
  return parts.join(', ');
}

function formatDays(ms: number): string {
  const days = ms / 86_400_000;
  if (Number.isInteger(days)) return `${days}d`;
  const hours = ms / 3_600_000;
  if (Number.isInteger(hours)) return `${hours}h`;
  return `${Math.round(ms / 1000)}s`;
}
