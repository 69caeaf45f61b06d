/** Deep freezing for parsed configuration: nothing downstream can change what was validated. */

/**
 * Freezes `value` and every object and array it holds, in place, and returns it. An object that
 * is already frozen is taken as deep-frozen (a named destination shared by several jobs is frozen
 * once).
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
