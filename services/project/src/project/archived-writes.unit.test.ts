import type { ProjectEvent } from '@mandant/contracts';
import { DomainError } from '@mandant/shared/errors';
import { PROJECT_WRITES, type ProjectWrite, projectWriteAllowed, requireWritable } from './writes.ts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ProjectCommand, decideProject } from './decide.ts';
import { type ProjectState, evolveProject, initialProjectState } from './project.ts';

const runs = { seed: Number(process.env.FC_SEED ?? 20261202), numRuns: 300 };
const P = '0190a000-0000-7000-8000-00000000000a';
const created: ProjectEvent = { type: 'project.created.v1', data: { name: 'Panama', slug: 'panama', description: '', settings: {} } };

const WRITES = Object.keys(PROJECT_WRITES) as ProjectWrite[];
/** The project's own writes, which its decider refuses itself. */
const DECIDED: Partial<Record<ProjectWrite, ProjectCommand>> = {
  'project.update': { type: 'UpdateProject', name: 'Renamed' },
  'project.settings': { type: 'ChangeProjectSettings', patch: { lang: 'de' } },
};

const refusal = (fn: () => unknown): string | null => {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof DomainError) return err.code;
    throw err;
  }
};

describe('writes on an archived project', () => {
  it('refuses content and allows reading on, leaving, administration and the lifecycle (the table)', () => {
    const archivedTakes = WRITES.filter((w) => projectWriteAllowed(w, 'archived')).sort();
    expect(archivedTakes).toEqual([
      'member.put',
      'member.remove',
      'member.save_state',
      'project.archive',
      'project.delete',
      'project.unarchive',
    ]);
    for (const w of WRITES) expect(projectWriteAllowed(w, 'active')).toBe(true);
  });

  it('answers project.archived naming the project', () => {
    let caught: unknown;
    try {
      requireWritable('conversation.message', P.toUpperCase(), 'archived');
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DomainError);
    expect(caught).toMatchObject({ code: 'project.archived', details: { project_id: P } });
  });

  it('in any sequence of archive, unarchive and writes, a content write succeeds iff the project is not archived', () => {
    const step = fc.oneof(
      fc.constant<{ kind: 'lifecycle'; command: ProjectCommand }>({ kind: 'lifecycle', command: { type: 'ArchiveProject' } }),
      fc.constant<{ kind: 'lifecycle'; command: ProjectCommand }>({ kind: 'lifecycle', command: { type: 'UnarchiveProject' } }),
      fc.constantFrom(...WRITES).map((write) => ({ kind: 'write' as const, write })),
    );
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        let state: ProjectState = evolveProject(initialProjectState(), created);
        let archived = false;
        for (const s of steps) {
          if (s.kind === 'lifecycle') {
            // archiving and unarchiving are always accepted, and idempotent
            for (const e of decideProject(s.command, state)) state = evolveProject(state, e);
            archived = s.command.type === 'ArchiveProject';
            expect(state.status).toBe(archived ? 'archived' : 'active');
            continue;
          }
          const expected = !archived || PROJECT_WRITES[s.write];
          const status = state.status === 'archived' ? 'archived' : 'active';
          expect(projectWriteAllowed(s.write, status)).toBe(expected);
          expect(refusal(() => requireWritable(s.write, P, status))).toBe(expected ? null : 'project.archived');
          const command = DECIDED[s.write];
          if (command) {
            // the project decider and the table agree on the project's own writes
            const code = refusal(() => decideProject(command, state));
            expect(code).toBe(expected ? null : 'project.archived');
            if (code === null) for (const e of decideProject(command, state)) state = evolveProject(state, e);
          }
        }
      }),
      runs,
    );
  });
});
