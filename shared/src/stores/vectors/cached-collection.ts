import { VectorIndexInputError } from './port.ts';
import type { ChunkPayload, VectorSearchOptions } from './port.ts';
import { createTopK } from './top-k.ts';
import type { Scored } from './top-k.ts';

/** A stored point as the cache reads it (the `vector_points` columns it needs). */
export interface CachedRow {
  id: string;
  document_id: string;
  project_ids: string[];
  chunk_index: number;
  document_type: string;
  created_at: Date;
  entity_names: string[];
  /** unit-length float32 little-endian */
  vector: Buffer;
}

/** A document's projects, which all its points share. */
export interface DocumentProjects {
  document_id: string;
  project_ids: string[];
}

/**
 * What one point costs besides its floats: id and payload strings, map and set entries. An
 * estimate (V8 does not say), used only to keep the cache inside its byte budget.
 */
export const POINT_OVERHEAD_BYTES = 400;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * One collection (tenant, model, dimension) held in memory: the unit vectors in one
 * Float32Array (slot i at [i·d, (i+1)·d)), the payload fields search filters on and returns, a
 * per-project index of slots, so a project-scoped search scores that project's points only, and a
 * per-document one, so a relink moves a document's points between projects.
 * Deleted slots are reused. Synchronous throughout: a search never sees a half-applied refresh.
 */
export class CachedCollection {
  private vectors: Float32Array;
  private capacity: number;
  private used = 0;
  private readonly free: number[] = [];
  private readonly slotOf = new Map<string, number>();
  private readonly ids: Array<string | undefined> = [];
  private readonly documentIds: string[] = [];
  private readonly documentTypes: string[] = [];
  private readonly entityNames: string[][] = [];
  private readonly projectIds: string[][] = [];
  private chunkIndex: Int32Array;
  private createdMs: Float64Array;
  private readonly byProject = new Map<string, Set<number>>();
  private readonly byDocument = new Map<string, Set<number>>();
  /** marks slots already scored in a multi-project search (stamp per search, no clearing) */
  private seen: Uint32Array;
  private stamp = 0;

  constructor(
    readonly dimension: number,
    capacity: number,
  ) {
    this.capacity = Math.max(16, capacity);
    this.vectors = new Float32Array(this.capacity * dimension);
    this.chunkIndex = new Int32Array(this.capacity);
    this.createdMs = new Float64Array(this.capacity);
    this.seen = new Uint32Array(this.capacity);
  }

  get size(): number {
    return this.slotOf.size;
  }

  /** Bytes held, by the same estimate the budget uses. */
  bytes(): number {
    return this.capacity * (this.dimension * 4 + 16) + this.slotOf.size * POINT_OVERHEAD_BYTES;
  }

  put(row: CachedRow): void {
    let slot = this.slotOf.get(row.id);
    if (slot === undefined) {
      slot = this.free.pop() ?? this.used++;
      if (slot >= this.capacity) this.grow();
      this.slotOf.set(row.id, slot);
      this.ids[slot] = row.id;
    } else {
      this.unindex(slot);
      this.unindexDocument(slot);
    }
    const v = floats(row.vector);
    if (v.length !== this.dimension) throw new Error(`point ${row.id}: stored vector has ${v.length} values, not ${this.dimension}`);
    this.vectors.set(v, slot * this.dimension);
    this.documentIds[slot] = row.document_id;
    this.documentTypes[slot] = row.document_type;
    this.entityNames[slot] = row.entity_names;
    this.chunkIndex[slot] = row.chunk_index;
    this.createdMs[slot] = row.created_at.getTime();
    let ofDocument = this.byDocument.get(row.document_id);
    if (!ofDocument) this.byDocument.set(row.document_id, (ofDocument = new Set()));
    ofDocument.add(slot);
    this.index(slot, row.project_ids);
  }

  /** Gives every point of the document the projects (a relink: no point's vector changes). */
  relink(documentId: string, projectIds: string[]): void {
    for (const slot of this.byDocument.get(documentId) ?? []) {
      this.unindex(slot);
      this.index(slot, projectIds);
    }
  }

  remove(id: string): void {
    const slot = this.slotOf.get(id);
    if (slot === undefined) return;
    this.unindex(slot);
    this.unindexDocument(slot);
    this.slotOf.delete(id);
    this.ids[slot] = undefined;
    this.documentIds[slot] = '';
    this.entityNames[slot] = [];
    this.projectIds[slot] = [];
    this.free.push(slot);
  }

  /**
   * The best `k` points that pass the filters, nearest first (ties by id, as the streaming path
   * orders them). `query` is unit length; scores are computed exactly as the streaming path does
   * (float64 query × stored float32, summed in order), so both paths rank alike.
   */
  search(query: Float64Array, f: VectorSearchOptions, k: number): Array<Scored & { slot: number }> {
    const top = createTopK(k);
    const from = f.from === undefined ? -Infinity : dateMs('from', f.from);
    const to = f.to === undefined ? Infinity : dateMs('to', f.to);
    const floor = f.minScore ?? -Infinity;
    const d = this.dimension;
    const vs = this.vectors;
    const consider = (slot: number): void => {
      const id = this.ids[slot];
      if (id === undefined) return;
      if (f.documentType !== undefined && this.documentTypes[slot] !== f.documentType) return;
      const created = this.createdMs[slot] ?? NaN;
      if (created < from || created > to) return;
      if (f.entity !== undefined && !(this.entityNames[slot] ?? []).includes(f.entity)) return;
      const base = slot * d;
      let s = 0;
      for (let j = 0; j < d; j++) s += (query[j] ?? 0) * (vs[base + j] ?? 0);
      if (s >= floor) top.offer(id, s);
    };
    if (f.projectIds === undefined) {
      for (let slot = 0; slot < this.used; slot++) consider(slot);
    } else if (f.projectIds.length === 1) {
      for (const slot of this.byProject.get(f.projectIds[0]?.toLowerCase() ?? '') ?? []) consider(slot);
    } else {
      // a point in two of the projects is scored once
      const stamp = this.nextStamp();
      for (const p of f.projectIds) {
        for (const slot of this.byProject.get(p.toLowerCase()) ?? []) {
          if (this.seen[slot] === stamp) continue;
          this.seen[slot] = stamp;
          consider(slot);
        }
      }
    }
    return top.sorted().map((h) => ({ ...h, slot: this.slotOf.get(h.id) ?? -1 }));
  }

  payload(tenantId: string, slot: number): ChunkPayload {
    return {
      tenant_id: tenantId.toLowerCase(),
      document_id: this.documentIds[slot] ?? '',
      project_ids: [...(this.projectIds[slot] ?? [])],
      chunk_index: this.chunkIndex[slot] ?? 0,
      document_type: this.documentTypes[slot] ?? '',
      created_at: new Date(this.createdMs[slot] ?? NaN).toISOString(),
      entity_names: [...(this.entityNames[slot] ?? [])],
    };
  }

  private index(slot: number, projectIds: string[]): void {
    this.projectIds[slot] = projectIds;
    for (const p of projectIds) {
      let set = this.byProject.get(p);
      if (!set) this.byProject.set(p, (set = new Set()));
      set.add(slot);
    }
  }

  private unindexDocument(slot: number): void {
    const documentId = this.documentIds[slot] ?? '';
    const set = this.byDocument.get(documentId);
    set?.delete(slot);
    if (set?.size === 0) this.byDocument.delete(documentId);
  }

  private unindex(slot: number): void {
    for (const p of this.projectIds[slot] ?? []) {
      const set = this.byProject.get(p);
      set?.delete(slot);
      if (set?.size === 0) this.byProject.delete(p);
    }
  }

  private nextStamp(): number {
    if (this.stamp === 0xffffffff) {
      this.seen.fill(0);
      this.stamp = 0;
    }
    return ++this.stamp;
  }

  private grow(): void {
    const capacity = Math.ceil(this.capacity * 1.5);
    const vectors = new Float32Array(capacity * this.dimension);
    vectors.set(this.vectors);
    this.vectors = vectors;
    const chunkIndex = new Int32Array(capacity);
    chunkIndex.set(this.chunkIndex);
    this.chunkIndex = chunkIndex;
    const createdMs = new Float64Array(capacity);
    createdMs.set(this.createdMs);
    this.createdMs = createdMs;
    this.seen = new Uint32Array(capacity);
    this.stamp = 0;
    this.capacity = capacity;
  }
}

function dateMs(what: string, iso: string): number {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) throw new VectorIndexInputError(`${what} is not a date: ${JSON.stringify(iso)}`);
  return ms;
}

/** The stored floats, as a view when the bytes allow one, else a copy. */
export function floats(buf: Buffer): Float32Array {
  if (LITTLE_ENDIAN && buf.byteOffset % 4 === 0) return new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
  const out = new Float32Array(buf.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatLE(i * 4);
  return out;
}
