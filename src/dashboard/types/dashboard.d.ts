/**
 * The dashboard's own shapes, for the JSDoc types of static/: the shared store (app.js), what a
 * view is given and what it gives back.
 */
import type { api } from '../static/api.js';
import type { createThroughput } from '../static/chart.js';
import type { Destination, EventRecord, Fleet, Job, Stats, Status, Transfer } from './api';

/** The SVG elements h() makes in the SVG namespace. */
export type SvgTag = 'svg' | 'path' | 'line' | 'rect' | 'text' | 'g' | 'circle' | 'polyline';

/** The element h(tag) makes. */
export type ElementOf<K extends string> = K extends SvgTag
  ? SVGElement
  : K extends keyof HTMLElementTagNameMap
    ? HTMLElementTagNameMap[K]
    : HTMLElement;

/**
 * What an element is given as children: nodes and text; arrays are flattened, and false, null and
 * undefined are left out.
 */
export type Child = Node | string | number | false | null | undefined | readonly Child[];

/**
 * An attribute: `class` may be a list (falsy entries left out), `dataset` and `style` objects,
 * `on…` a listener; value, checked, indeterminate and disabled are set as properties; false, null
 * and undefined leave it out.
 */
export type AttrValue =
  | string
  | number
  | boolean
  | null
  | undefined
  | ((event: Event) => unknown)
  | readonly (string | false | null | undefined)[]
  | Readonly<Record<string, string>>;

export type Attrs = Readonly<Record<string, AttrValue>>;

/** What the store's listeners are told, by the name they listen to. */
export interface StoreEvents {
  /** status, jobs, destinations (and stats) were loaded again */
  core: undefined;
  /** the agents sharing the journal were loaded again */
  fleet: undefined;
  /** the live transfers changed */
  transfers: undefined;
  /** an event of the stream */
  event: EventRecord;
}

/** The state the views share (app.js createStore). */
export interface Store {
  status: Status | null;
  jobs: Job[];
  destinations: Destination[];
  /** GET /agents, null until first loaded. */
  fleet: Fleet | null;
  transfers: Transfer[];
  /** GET /stats: throughput per job and the queue's time left, null until first loaded. */
  stats: Stats | null;
  throughput: ReturnType<typeof createThroughput>;
  on<K extends keyof StoreEvents>(type: K, fn: (payload: StoreEvents[K]) => void): void;
  emit<K extends keyof StoreEvents>(
    type: K,
    ...payload: StoreEvents[K] extends undefined ? [] : [StoreEvents[K]]
  ): void;
  /** Files waiting for their first or next try (not parked, not done). */
  pendingCount(): number;
}

/** What each view is made with. */
export interface ViewContext {
  store: Store;
  api: typeof api;
  /** Loads status, jobs, destinations, transfers, agents and stats again. */
  refresh: () => Promise<void>;
  /** The same, debounced. */
  refreshSoon: () => void;
  /** Loads the agents again. */
  refreshFleet: () => Promise<void>;
}

/** What a view gives the router. */
export interface View {
  show(params: URLSearchParams): void;
  hide?(): void;
}
