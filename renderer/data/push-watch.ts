type Doc = Record<string, unknown>;

const seqOf = (d: Doc): number => (typeof d['seq'] === 'number' ? d['seq'] : 0);

/**
 * Versions pulled while a push of the same document was under way, handed to the next pull again.
 *
 * RxDB leaves a pulled document alone while this PC has an unpushed change of it (the upstream is
 * to send that first) and moves its pull checkpoint past it anyway. It holds the server's stream
 * events back while a push runs, but a pull already under way when the push starts can still
 * bring a newer version (another PC's edit); the push's answer — accepted, or a conflict carrying
 * the server state as it was inside that push — then becomes this PC's version of the document,
 * older than the one the pull brought, which no later pull brings again. The PC would keep the
 * old version (and its entries pending) for ever: soak seed 950000035, server "picking"@199,
 * PC "open"@180.
 *
 * So: `begin` the ids of a push, `onPull` every pull's documents (it remembers the newest version
 * of every id under way and adds the versions ready again), `answer` with the push's answer,
 * `settle` the ids once RxDB has processed it; then a pull hands the versions at least as new as
 * the answer's to RxDB once more, which takes them now that the PC's copy equals its master.
 */
export class PushWatch {
  private readonly underway = new Map<string, number>();
  private readonly pulled = new Map<string, Doc>();
  private readonly ready = new Map<string, Doc>();
  /** The highest sequence a push's answer gave each id under way (accepted, or the conflict's). */
  private readonly answered = new Map<string, number>();

  begin(ids: readonly string[]): void {
    for (const id of ids) this.underway.set(id, (this.underway.get(id) ?? 0) + 1);
  }

  /** Every pull's documents, before RxDB sees them: returns them with the versions ready again. */
  onPull(docs: readonly Doc[]): Doc[] {
    const out: Doc[] = [];
    if (this.ready.size > 0) {
      const fresh = new Set(docs.map((d) => String(d['id'])));
      for (const [id, d] of this.ready) if (!fresh.has(id)) out.push(d);
      this.ready.clear();
    }
    out.push(...docs);
    if (this.underway.size > 0)
      for (const d of out) {
        const id = String(d['id']);
        if (!this.underway.has(id)) continue;
        const seen = this.pulled.get(id);
        if (!seen || seqOf(d) >= seqOf(seen)) this.pulled.set(id, d);
      }
    return out;
  }

  /** A push's answer: the versions it made (accepted) or the server holds (conflicts). */
  answer(conflicts: readonly Doc[], accepted: readonly { id: string; seq: number }[]): void {
    const note = (id: string, seq: number) => {
      if (this.underway.has(id)) this.answered.set(id, Math.max(seq, this.answered.get(id) ?? 0));
    };
    for (const c of conflicts) note(String(c['id']), seqOf(c));
    for (const a of accepted) note(a.id, a.seq);
  }

  /** The push of these ids is processed. True when versions wait for the next pull. */
  settle(ids: readonly string[]): boolean {
    for (const id of ids) {
      const n = (this.underway.get(id) ?? 1) - 1;
      if (n > 0) {
        this.underway.set(id, n);
        continue;
      }
      this.underway.delete(id);
      const d = this.pulled.get(id);
      // A version older than the answer's was pulled before the push was applied: the answer is
      // newer (and its own version comes with a later pull). The version the push made itself is
      // handed over again: the PC's copy still carries the change's pending audit entries.
      if (d && seqOf(d) >= (this.answered.get(id) ?? 0)) this.ready.set(id, d);
      this.pulled.delete(id);
      this.answered.delete(id);
    }
    return this.ready.size > 0;
  }
}
