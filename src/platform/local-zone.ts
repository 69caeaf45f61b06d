/**
 * The agent's local time zone, as the process sees it: the TZ environment variable, else the
 * system's (/etc/localtime). Bandwidth timetables are read in it (docs/bandwidth.md).
 */
import type { LocalZone } from '../domain/bandwidth-schedule.js';

/** The process's time zone, daylight saving time included. */
export const systemZone: LocalZone = {
  offsetMinutes: (epochMs) => -new Date(epochMs).getTimezoneOffset(),
};
