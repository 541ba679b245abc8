import { TresorError } from '../core/errors.ts';
import type { ApprovalRow, IndexStore } from '../store/index.ts';
import type { ApprovalPreview, ApprovalViewer } from './preview.ts';
import { runApproved } from './requests.ts';

/**
 * One kind of four-eyes request as its owner registers it. The owners live where the
 * action does (retention: hold release, early deletion, policy change; ingest: quarantine
 * discard; auth: role grant; privacy next: erasure, restriction lift): this module may not
 * import them (DESIGN §2), so the wiring (src/site/approvals.ts, used by the service and the CLI) registers each.
 */
export interface ApprovalKind {
  /** what approving would do, computed now; without it the approver sees kind and target */
  describe?(row: ApprovalRow, viewer: ApprovalViewer): ApprovalPreview;
  /** carries out an approved request; `actor` is the approver */
  execute(row: ApprovalRow, actor: string): Promise<Record<string, unknown>>;
}

export type ApprovalKinds = Record<string, ApprovalKind>;

/**
 * The executors, by kind. Filled once at wiring; the console and `tresor approve` ask it
 * to describe a request and to carry out an approved one.
 */
export class ApprovalRegistry {
  readonly #kinds = new Map<string, ApprovalKind>();

  /** A kind has one owner: registering it twice is a wiring mistake, not an override. */
  register(kind: string, k: ApprovalKind): this {
    if (this.#kinds.has(kind)) throw new TresorError('E_INTERNAL', `approval kind "${kind}" is registered twice`);
    this.#kinds.set(kind, k);
    return this;
  }

  registerAll(kinds: ApprovalKinds): this {
    for (const [kind, k] of Object.entries(kinds)) this.register(kind, k);
    return this;
  }

  has(kind: string): boolean {
    return this.#kinds.has(kind);
  }

  /** the registered kinds, in registration order */
  kinds(): string[] {
    return [...this.#kinds.keys()];
  }

  /** What approving `row` would do, for this viewer; a kind without `describe` shows kind and target. */
  describe(row: ApprovalRow, viewer: ApprovalViewer): ApprovalPreview {
    const d = this.#kinds.get(row.kind)?.describe;
    if (d) return d(row, viewer);
    return { summary: `${row.kind} ${row.target}`, facts: [{ label: 'target', value: row.target }] };
  }

  /**
   * Carries out an approved request with its kind's executor, at most once (runApproved's
   * claim). A kind nobody registered is refused before anything is claimed, so the
   * request stays approved for a version that knows it.
   */
  async execute(store: IndexStore, row: ApprovalRow, actor: string): Promise<{ row: ApprovalRow; result: Record<string, unknown> }> {
    const k = this.#kinds.get(row.kind);
    if (!k) {
      throw new TresorError('E_INTERNAL', `approved, but this version cannot carry out "${row.kind}" (no executor registered for it)`,
        { detail: { reason: 'no-executor', kind: row.kind } });
    }
    return runApproved(store, row.id, (r) => k.execute(r, actor));
  }
}
