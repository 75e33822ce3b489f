import { ProjectEvent } from '@mandant/contracts';
import { describe, expect, it } from 'vitest';
import { deciderSpec } from '@mandant/shared/testing';
import { type ProjectCommand, projectDecider } from './decide.ts';

const created: ProjectEvent = {
  type: 'project.created.v1',
  data: { name: 'Panama', slug: 'panama', description: 'offshore leaks', settings: { model: 'small', lang: 'en' } },
};
const archived: ProjectEvent = { type: 'project.archived.v1', data: {} };
const deleted: ProjectEvent = { type: 'project.deleted.v1', data: {} };

const { decide, rejection } = deciderSpec(projectDecider, ProjectEvent);

const everyCommandButCreate: ProjectCommand[] = [
  { type: 'UpdateProject', name: 'Renamed' },
  { type: 'ChangeProjectSettings', patch: { model: 'large' } },
  { type: 'ArchiveProject' },
  { type: 'UnarchiveProject' },
  { type: 'DeleteProject' },
];

describe('CreateProject', () => {
  it('creates a project with its name, slug, description and settings', () => {
    expect(decide([], { type: 'CreateProject', name: 'Panama', slug: 'panama', description: '', settings: {} })).toEqual([
      { type: 'project.created.v1', data: { name: 'Panama', slug: 'panama', description: '', settings: {} } },
    ]);
  });

  it('rejects a project that exists with conflict', () => {
    expect(rejection([created], { type: 'CreateProject', name: 'Panama', slug: 'panama', description: '', settings: {} })).toBe('conflict');
  });

  it('rejects recreating a deleted project with conflict', () => {
    expect(rejection([created, deleted], { type: 'CreateProject', name: 'Panama', slug: 'panama', description: '', settings: {} })).toBe(
      'conflict',
    );
  });
});

describe('UpdateProject', () => {
  it('emits only the fields that change', () => {
    expect(decide([created], { type: 'UpdateProject', name: 'Panama Papers', slug: 'panama', description: undefined })).toEqual([
      { type: 'project.updated.v1', data: { name: 'Panama Papers' } },
    ]);
  });

  it('emits every changed field together', () => {
    expect(decide([created], { type: 'UpdateProject', name: 'P', slug: 'p-2', description: 'new' })).toEqual([
      { type: 'project.updated.v1', data: { name: 'P', slug: 'p-2', description: 'new' } },
    ]);
  });

  it('sees earlier updates when deciding', () => {
    const given: ProjectEvent[] = [created, { type: 'project.updated.v1', data: { slug: 'pp' } }];
    expect(decide(given, { type: 'UpdateProject', slug: 'pp' })).toEqual([]);
  });

  it('emits nothing when no field changes', () => {
    expect(decide([created], { type: 'UpdateProject', name: 'Panama', description: 'offshore leaks' })).toEqual([]);
  });

  it('rejects an archived project with project.archived', () => {
    expect(rejection([created, archived], { type: 'UpdateProject', name: 'Renamed' })).toBe('project.archived');
  });
});

describe('ChangeProjectSettings', () => {
  it('merges the patch shallowly and emits the whole resulting settings', () => {
    expect(decide([created], { type: 'ChangeProjectSettings', patch: { model: 'large', top_k: 8 } })).toEqual([
      { type: 'project.settings_changed.v1', data: { settings: { model: 'large', lang: 'en', top_k: 8 } } },
    ]);
  });

  it('removes a key whose patch value is null', () => {
    expect(decide([created], { type: 'ChangeProjectSettings', patch: { lang: null } })).toEqual([
      { type: 'project.settings_changed.v1', data: { settings: { model: 'small' } } },
    ]);
  });

  it('emits nothing when the patch changes nothing', () => {
    expect(decide([created], { type: 'ChangeProjectSettings', patch: { model: 'small', absent: null } })).toEqual([]);
  });

  it('rejects an archived project with project.archived', () => {
    expect(rejection([created, archived], { type: 'ChangeProjectSettings', patch: { model: 'large' } })).toBe('project.archived');
  });
});

describe('ArchiveProject and UnarchiveProject', () => {
  it('archives an active project', () => {
    expect(decide([created], { type: 'ArchiveProject' })).toEqual([{ type: 'project.archived.v1', data: {} }]);
  });

  it('emits nothing when archiving an archived project', () => {
    expect(decide([created, archived], { type: 'ArchiveProject' })).toEqual([]);
  });

  it('unarchives an archived project', () => {
    expect(decide([created, archived], { type: 'UnarchiveProject' })).toEqual([{ type: 'project.unarchived.v1', data: {} }]);
  });

  it('emits nothing when unarchiving an active project', () => {
    expect(decide([created], { type: 'UnarchiveProject' })).toEqual([]);
  });

  it('accepts updates again once unarchived', () => {
    const given: ProjectEvent[] = [created, archived, { type: 'project.unarchived.v1', data: {} }];
    expect(decide(given, { type: 'UpdateProject', name: 'Back' })).toEqual([{ type: 'project.updated.v1', data: { name: 'Back' } }]);
  });
});

describe('DeleteProject', () => {
  it('deletes an active project', () => {
    expect(decide([created], { type: 'DeleteProject' })).toEqual([{ type: 'project.deleted.v1', data: {} }]);
  });

  it('deletes an archived project', () => {
    expect(decide([created, archived], { type: 'DeleteProject' })).toEqual([{ type: 'project.deleted.v1', data: {} }]);
  });
});

describe('a missing project', () => {
  it.each(everyCommandButCreate.map((c) => [c.type, c] as const))(
    'rejects %s on a project never created with not_found',
    (_name, command) => {
      expect(rejection([], command)).toBe('not_found');
    },
  );

  it.each(everyCommandButCreate.map((c) => [c.type, c] as const))('rejects %s on a deleted project with not_found', (_name, command) => {
    expect(rejection([created, deleted], command)).toBe('not_found');
  });
});
