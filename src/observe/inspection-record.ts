import type { ActorRefLike, InspectionEvent } from 'xstate';

/** A value that survives `JSON.stringify` unchanged. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/** The XState inspection events a record can come from. */
export const INSPECTION_TYPES = ['@xstate.actor', '@xstate.event', '@xstate.snapshot', '@xstate.microstep', '@xstate.action'] as const;

export type InspectionType = (typeof INSPECTION_TYPES)[number];

/**
 * One XState inspection event, reduced to plain JSON. The format is stable: fields are
 * only ever added. See docs/inspection.md.
 */
export interface InspectionRecord {
  /** 1, 2, 3… in the order the stream saw the events. */
  seq: number;
  type: InspectionType;
  /** The actor's id: `conductor`, `<jobId>/<sheetId>` for a sheet, `breaker:<instrument>`. */
  actorId: string;
  /** The id of the actor's machine: `sheet`, `conductor`, `breaker` (absent for other logic). */
  machine?: string;
  /** Sheet actors: the job and the sheet. */
  jobId?: string;
  sheetId?: string;
  /** Breaker actors: the instrument. */
  instrument?: string;
  /**
   * `@xstate.event`: the event delivered. `@xstate.snapshot`, `@xstate.microstep`: the event
   * that led to the snapshot (`xstate.init` for the first one).
   */
  event?: { type: string; [key: string]: JsonValue };
  /** `@xstate.event`: the id of the actor that sent it, when an actor did. */
  sourceId?: string;
  /** `@xstate.snapshot`, `@xstate.microstep`: the state value (a state name for baton's machines). */
  state?: JsonValue;
  /** `@xstate.snapshot`: `active`, `done`, `error` or `stopped`. */
  status?: string;
  /** `@xstate.snapshot`: the context. */
  context?: JsonValue;
  /** `@xstate.action`: the action executed, by name. */
  action?: { type: string; params?: JsonValue };
}

interface Identity {
  actorId: string;
  machine?: string;
  jobId?: string;
  sheetId?: string;
  instrument?: string;
}

/** Plain data nested deeper than this is cut off (`"…"`): events and contexts are shallow. */
const MAX_DEPTH = 6;

/**
 * Builds records from XState inspection events. Identities are worked out once per actor;
 * everything else is copied into plain JSON so a record never holds on to live objects.
 */
export class InspectionRecorder {
  private seq = 0;
  private readonly identities = new WeakMap<object, Identity>();

  /** The record for `event`, or undefined for event types this format does not carry. */
  record(event: InspectionEvent): InspectionRecord | undefined {
    if (!(INSPECTION_TYPES as readonly string[]).includes(event.type)) return undefined;
    const record: InspectionRecord = { seq: ++this.seq, type: event.type as InspectionType, ...this.identity(event.actorRef) };
    switch (event.type) {
      case '@xstate.event': {
        record.event = eventJson(event.event);
        const source = event.sourceRef === undefined ? undefined : this.identity(event.sourceRef).actorId;
        if (source !== undefined) record.sourceId = source;
        break;
      }
      case '@xstate.snapshot': {
        record.event = eventJson(event.event);
        const snapshot = event.snapshot as { status?: unknown; value?: unknown; context?: unknown };
        if (snapshot.value !== undefined) record.state = toJson(snapshot.value, 0);
        if (typeof snapshot.status === 'string') record.status = snapshot.status;
        if (snapshot.context !== undefined) record.context = toJson(snapshot.context, 0);
        break;
      }
      case '@xstate.microstep': {
        record.event = eventJson(event.event);
        const value = (event.snapshot as { value?: unknown }).value;
        if (value !== undefined) record.state = toJson(value, 0);
        break;
      }
      case '@xstate.action': {
        const params = event.action.params;
        record.action = { type: event.action.type, ...(params !== undefined ? { params: toJson(params, 0) } : {}) };
        break;
      }
      default:
        break;
    }
    return record;
  }

  private identity(actorRef: ActorRefLike): Identity {
    let identity = this.identities.get(actorRef);
    if (identity === undefined) {
      identity = identify(actorRef);
      this.identities.set(actorRef, identity);
    }
    return identity;
  }
}

/** Names an actor from its id and its machine's id (baton's actor ids follow fixed shapes). */
function identify(actorRef: ActorRefLike): Identity {
  const ref = actorRef as ActorRefLike & { id?: unknown; logic?: { id?: unknown } };
  const actorId = typeof ref.id === 'string' ? ref.id : actorRef.sessionId;
  const machine = typeof ref.logic?.id === 'string' ? ref.logic.id : undefined;
  const identity: Identity = { actorId, ...(machine !== undefined ? { machine } : {}) };
  if (machine === 'sheet') {
    const slash = actorId.indexOf('/');
    if (slash > 0) {
      identity.jobId = actorId.slice(0, slash);
      identity.sheetId = actorId.slice(slash + 1);
    }
  } else if (machine === 'breaker' && actorId.startsWith('breaker:')) {
    identity.instrument = actorId.slice('breaker:'.length);
  }
  return identity;
}

function eventJson(event: { type: string }): { type: string; [key: string]: JsonValue } {
  const json = toJson(event, 0);
  return typeof json === 'object' && json !== null && !Array.isArray(json) ? { ...json, type: event.type } : { type: event.type };
}

/** A JSON copy: functions and undefined dropped, errors as name and message, non-finite numbers as null. */
function toJson(value: unknown, depth: number): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : null;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return null;
  }
  if (value === null) return null;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) return value.map((item) => toJson(item, depth + 1));
  if (value instanceof Error) return { name: value.name, message: value.message };
  if (value instanceof Date) return value.toISOString();
  const out: { [key: string]: JsonValue } = {};
  for (const [key, item] of Object.entries(value)) {
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    out[key] = toJson(item, depth + 1);
  }
  return out;
}
