/** The little of PouchDB's API the peer benchmark uses (the packages ship no types). */
declare module 'pouchdb-browser' {
  type Doc = { _id: string; _rev?: string; [k: string]: unknown };
  type Replication = PromiseLike<unknown> & { cancel(): void };
  type Changes = { on(event: 'change', cb: (c: { id: string }) => void): Changes; cancel(): void };
  export interface PouchInstance<D extends Doc = Doc> {
    put(doc: D): Promise<unknown>;
    info(): Promise<{ doc_count: number }>;
    sync(other: PouchInstance<D>, opts: Record<string, unknown>): Replication;
    changes(opts: Record<string, unknown>): Changes;
  }
  interface PouchStatic {
    new <D extends Doc = Doc>(name: string, opts?: Record<string, unknown>): PouchInstance<D>;
    replicate<D extends Doc>(
      from: PouchInstance<D>,
      to: PouchInstance<D>,
      opts: Record<string, unknown>,
    ): Replication;
  }
  const PouchDB: PouchStatic;
  export default PouchDB;
}
